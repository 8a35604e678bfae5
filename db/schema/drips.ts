import { sql } from 'drizzle-orm'
import { boolean, index, integer, pgTable, primaryKey, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core'
import type { EnrollmentStatus } from '../../domain/drip/schema'
import { instant } from './columns'
import { contacts, segments } from './contacts'
import { sequences } from './sequences'
import { workspaceRef } from './workspaces'

/**
 * An email drip is a `sequences` row of kind `drip` (settings in `sequences.settings`, steps in
 * `sequence_steps`); each email a step sends is a `deliveries` row whose target is an enrollment.
 * See docs/decisions/016-drip-engine.md.
 */

/** One contact's pass through one drip: its own clock (`next_due_at`) and current step. */
export const enrollments = pgTable(
  'enrollments',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    workspaceId: workspaceRef(),
    sequenceId: uuid('sequence_id')
      .notNull()
      .references(() => sequences.id, { onDelete: 'cascade' }),
    contactId: uuid('contact_id')
      .notNull()
      .references(() => contacts.id, { onDelete: 'cascade' }),
    /** 1 for the first pass; re-entry (per the drip's policy) adds 1. */
    cycle: integer('cycle').notNull().default(1),
    status: text('status').$type<EnrollmentStatus>().notNull().default('active'),
    /** 0-based position of the next step to send (= number of steps passed). */
    stepPosition: integer('step_position').notNull().default(0),
    /** When the runner should look at this enrollment next; null once it has ended. */
    nextDueAt: instant('next_due_at'),
    /** What enrolled it: `form:<id>`, `event:<name>`, `date:<field>:<year>`, `segment:<id>`, `manual`, `api`, `import`. */
    source: text('source').notNull(),
    /** Caller's idempotency key (API enrollments, date-field years, segment entries); unique per drip. */
    enrollKey: text('enroll_key'),
    /** The runner's claim: set by the batch claim, checked by every write that follows it. */
    claimId: uuid('claim_id'),
    claimedUntil: instant('claimed_until'),
    lastSentAt: instant('last_sent_at'),
    /** When the enrollment began waiting at its current step (a wait-until action, decision 096); null otherwise. */
    waitingSince: instant('waiting_since'),
    /**
     * How many times something a wait may be waiting for (an event, an open or click, a field change) woke the
     * enrollment. The runner's claim reads it and its settlement compares it: a wake while the runner held the
     * claim keeps the enrollment due instead of being overwritten by a later look (decision 096).
     */
    wakes: integer('wakes').notNull().default(0),
    /** Why it ended (goal event name, condition, suppression…). */
    endReason: text('end_reason'),
    startedAt: instant('started_at').notNull(),
    endedAt: instant('ended_at'),
    createdAt: instant('created_at').notNull().defaultNow(),
    updatedAt: instant('updated_at').notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('enrollments_cycle_uq').on(t.sequenceId, t.contactId, t.cycle),
    uniqueIndex('enrollments_key_uq').on(t.sequenceId, t.enrollKey),
    index('enrollments_due_idx').on(t.nextDueAt, t.id).where(sql`status = 'active'`),
    index('enrollments_contact_idx').on(t.workspaceId, t.contactId),
    index('enrollments_sequence_idx').on(t.sequenceId, t.status, t.stepPosition),
    // The drip page's enrollments per trigger: an index-only count (decision 104).
    index('enrollments_sequence_source_idx').on(t.sequenceId, t.source),
  ],
)

/**
 * Segment-entry triggers: whether a contact was in one of the drip's trigger segments when the trigger job
 * last looked, and how many times they have entered it. Leaving and entering again is a new entry
 * (enrolled under the drip's re-entry policy); staying in is not. One row per drip, segment and contact
 * (a drip may have several segment triggers, decision 071).
 */
export const dripSegmentMembers = pgTable(
  'drip_segment_members',
  {
    workspaceId: workspaceRef(),
    sequenceId: uuid('sequence_id')
      .notNull()
      .references(() => sequences.id, { onDelete: 'cascade' }),
    segmentId: uuid('segment_id')
      .notNull()
      .references(() => segments.id, { onDelete: 'cascade' }),
    contactId: uuid('contact_id')
      .notNull()
      .references(() => contacts.id, { onDelete: 'cascade' }),
    inSegment: boolean('in_segment').notNull(),
    entries: integer('entries').notNull(),
    /** When the trigger job last found the contact in the segment. */
    seenAt: instant('seen_at').notNull(),
    changedAt: instant('changed_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.sequenceId, t.segmentId, t.contactId] }), index('drip_segment_members_in_idx').on(t.sequenceId, t.segmentId, t.seenAt).where(sql`in_segment`)],
)
