import { sql } from 'drizzle-orm'
import { check, index, integer, jsonb, pgTable, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core'
import { instant } from './columns'
import type { DeliveryState } from '../../domain/delivery'
import { accounts } from './accounts'
import { enrollments } from './drips'
import { sequenceSteps, sequences } from './sequences'
import { workspaceRef } from './workspaces'

/**
 * One step of one sequence going to one target at one instant: the unit the pipeline publishes at most
 * once and never loses (docs/decisions/007-publishing-pipeline.md). Every change bumps `version`; every
 * change after a claim is conditional on `attemptId`.
 */
export const deliveries = pgTable(
  'deliveries',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    workspaceId: workspaceRef(),
    sequenceId: uuid('sequence_id')
      .notNull()
      .references(() => sequences.id, { onDelete: 'cascade' }),
    stepId: uuid('step_id')
      .notNull()
      .references(() => sequenceSteps.id, { onDelete: 'cascade' }),
    /** The target: an account (social) or an enrollment (an email drip step); exactly one is set. */
    accountId: uuid('account_id').references(() => accounts.id, { onDelete: 'cascade' }),
    enrollmentId: uuid('enrollment_id').references(() => enrollments.id, { onDelete: 'cascade' }),
    /**
     * Which round of an evergreen series this is (decision 107): 0 for the first pass through the steps
     * (every delivery of a series that is not evergreen, and every email delivery), 1 for the first repeat, …
     */
    cycle: integer('cycle').notNull().default(0),
    /** When the user wants it out. Lateness is measured from here. */
    dueAt: instant('due_at').notNull(),
    /** When the next automatic action may run: the (first or retried) publish, or the lookup of a `needs_review`. Null: none (a person decides). */
    nextAttemptAt: instant('next_attempt_at'),
    state: text('state').$type<DeliveryState>().notNull().default('planned'),
    version: integer('version').notNull().default(1),
    /** The current claim: set when a publish attempt takes the delivery. */
    attemptId: uuid('attempt_id'),
    claimedAt: instant('claimed_at'),
    leaseExpiresAt: instant('lease_expires_at'),
    /** Recorded right before the network call: after it, a lost worker means an unknown outcome. */
    sendingAt: instant('sending_at'),
    attempts: integer('attempts').notNull().default(0),
    remoteId: text('remote_id'),
    remoteUrl: text('remote_url'),
    /**
     * The ids of the parts of a thread known to be at the network, in order (each a reply to the one
     * before): written when a thread stopped part-way or a lookup found a prefix of it, and when it is
     * published. A later attempt continues after the last one (decision 023).
     */
    remotePartIds: jsonb('remote_part_ids').$type<string[]>(),
    lastError: text('last_error'),
    lastErrorKind: text('last_error_kind'),
    publishedAt: instant('published_at'),
    /** SMS steps: the carrier's last reported status (queued, sent, delivered, undelivered, failed; decision 081). */
    providerStatus: text('provider_status'),
    /** When the workspace was told (by email) that this delivery failed, was missed or needs review. */
    notifiedAt: instant('notified_at'),
    createdAt: instant('created_at').notNull().defaultNow(),
    updatedAt: instant('updated_at').notNull().defaultNow(),
  },
  (t) => [
    // Partial: a delivery has one target, so each row is in one of these two indexes, not both (its
    // non-HOT updates add one entry fewer). ON CONFLICT names the predicate to use them.
    uniqueIndex('deliveries_target_uq').on(t.sequenceId, t.stepId, t.accountId, t.cycle).where(sql`${t.accountId} is not null`),
    uniqueIndex('deliveries_enrollment_step_uq').on(t.enrollmentId, t.stepId).where(sql`${t.enrollmentId} is not null`),
    check('deliveries_one_target_ck', sql`num_nonnulls(${t.accountId}, ${t.enrollmentId}) = 1`),
    index('deliveries_state_next_idx').on(t.state, t.nextAttemptAt),
    index('deliveries_workspace_due_idx').on(t.workspaceId, t.dueAt),
    index('deliveries_remote_idx').on(t.remoteId).where(sql`${t.remoteId} is not null and ${t.enrollmentId} is not null`),
    // A drip's email deliveries (analytics, decision 088).
    index('deliveries_drip_idx').on(t.sequenceId).where(sql`${t.enrollmentId} is not null`),
  ],
)
