/**
 * The reconciler's queries (core/publishing/reconcile.server.ts), system-wide: it serves every workspace.
 * Expired claims, lookups of unknown outcomes, and pending deliveries whose job was lost.
 */
import { and, asc, eq, isNotNull, lt, lte, max, sql } from 'drizzle-orm'
import type { DbOrTx } from '../client'
import { PENDING_STATES } from '../../domain/delivery'
import { deliveries, sequenceSteps, sequences, type StepContent } from '../schema'
import type { Delivery } from './deliveries'
import type { AttemptOutcome } from './deliveries-publish'
import { bump, holding, pending, threadProgress, type ThreadProgress } from './deliveries-sql'
import { rowsOf } from './prepared'

/** `publishing` claims whose lease has expired: their worker died or stalled. */
export async function findExpiredLeases(db: DbOrTx, args: { now: Date; limit: number }): Promise<Delivery[]> {
  return db
    .select()
    .from(deliveries)
    .where(and(eq(deliveries.state, 'publishing'), lte(deliveries.leaseExpiresAt, args.now)))
    .orderBy(asc(deliveries.leaseExpiresAt))
    .limit(args.limit)
}

/**
 * Take over an expired claim and record what the recovery decided. Conditional on the claim still being
 * the expired one, so a worker that finishes in the meantime wins and this does nothing.
 */
export async function settleExpiredLease(
  db: DbOrTx,
  args: { deliveryId: string; attemptId: string; now: Date; outcome: AttemptOutcome },
): Promise<boolean> {
  const rows = await db
    .update(deliveries)
    .set({
      state: args.outcome.state,
      nextAttemptAt: args.outcome.nextAttemptAt,
      lastError: args.outcome.lastError,
      lastErrorKind: args.outcome.lastErrorKind,
      leaseExpiresAt: null,
      updatedAt: args.now,
      ...bump,
    })
    .where(and(holding(args), lte(deliveries.leaseExpiresAt, args.now)))
    .returning({ id: deliveries.id })
  return rows.length === 1
}

export type LookupView = { delivery: Delivery; content: StepContent }

/** `needs_review` deliveries whose lookup is due. */
export async function findLookupsDue(db: DbOrTx, args: { now: Date; limit: number }): Promise<LookupView[]> {
  return db
    .select({ delivery: deliveries, content: sequenceSteps.content })
    .from(deliveries)
    .innerJoin(sequenceSteps, eq(sequenceSteps.id, deliveries.stepId))
    .where(and(eq(deliveries.state, 'needs_review'), isNotNull(deliveries.nextAttemptAt), lte(deliveries.nextAttemptAt, args.now)))
    .orderBy(asc(deliveries.nextAttemptAt))
    .limit(args.limit)
}

/**
 * When an earlier round of the same post went out to the same account (an evergreen series, decision 107):
 * the latest `published_at` of the deliveries of this sequence, step and account with a lower cycle. A
 * lookup for this round only looks at posts created after it, so it cannot take that round's post (the
 * same text) for this one. Null for a first round or when none was published.
 */
export async function earlierRoundPublishedAt(db: DbOrTx, args: { delivery: Pick<Delivery, 'workspaceId' | 'sequenceId' | 'stepId' | 'accountId' | 'cycle'> }): Promise<Date | null> {
  const { delivery } = args
  if (delivery.cycle === 0 || !delivery.accountId) return null
  const [row] = await db
    .select({ at: max(deliveries.publishedAt) })
    .from(deliveries)
    .where(
      and(
        eq(deliveries.workspaceId, delivery.workspaceId),
        eq(deliveries.sequenceId, delivery.sequenceId),
        eq(deliveries.stepId, delivery.stepId),
        eq(deliveries.accountId, delivery.accountId),
        lt(deliveries.cycle, delivery.cycle),
      ),
    )
  return row?.at ?? null
}

/**
 * Record a lookup's answer, if the delivery did not change since it was read. `thread`: the parts of the
 * thread found (or known) to be at the network; a continuation starts after them.
 */
export async function settleLookup(
  db: DbOrTx,
  args: {
    deliveryId: string
    version: number
    now: Date
    outcome:
      | { state: 'published'; remoteId: string; url: string | null; partIds: string[] }
      | { state: 'queued' | 'failed' | 'needs_review'; nextAttemptAt: Date | null; lastError: string; thread?: ThreadProgress }
  },
): Promise<boolean> {
  const { outcome } = args
  const set =
    outcome.state === 'published'
      ? {
          state: 'published' as const,
          remoteId: outcome.remoteId,
          remoteUrl: outcome.url,
          remotePartIds: outcome.partIds,
          publishedAt: args.now,
          nextAttemptAt: null,
          lastError: null,
          lastErrorKind: null,
        }
      : { state: outcome.state, nextAttemptAt: outcome.nextAttemptAt, lastError: outcome.lastError, ...threadProgress(outcome.thread) }
  const rows = await db
    .update(deliveries)
    .set({ ...set, updatedAt: args.now, ...bump })
    .where(and(eq(deliveries.id, args.deliveryId), eq(deliveries.version, args.version), eq(deliveries.state, 'needs_review')))
    .returning({ id: deliveries.id })
  return rows.length === 1
}

export type StalledDelivery = Pick<Delivery, 'id' | 'workspaceId' | 'dueAt' | 'nextAttemptAt' | 'attempts' | 'version'> & { maxLatenessSeconds: number }

/**
 * Pending deliveries of active sequences that should have started at least `graceMs` ago: their job was
 * never enqueued (a crash between commit and enqueue), was lost, or no worker ran.
 */
export async function findStalledDeliveries(db: DbOrTx, args: { now: Date; graceMs: number; limit: number }): Promise<StalledDelivery[]> {
  const before = new Date(args.now.getTime() - args.graceMs)
  return db
    .select({
      id: deliveries.id,
      workspaceId: deliveries.workspaceId,
      dueAt: deliveries.dueAt,
      nextAttemptAt: deliveries.nextAttemptAt,
      attempts: deliveries.attempts,
      version: deliveries.version,
      maxLatenessSeconds: sequences.maxLatenessSeconds,
    })
    .from(deliveries)
    .innerJoin(sequences, eq(sequences.id, deliveries.sequenceId))
    .where(and(pending, lte(deliveries.nextAttemptAt, before), eq(sequences.status, 'active')))
    .orderBy(asc(deliveries.nextAttemptAt))
    .limit(args.limit)
}

/**
 * The earliest instant a reconciler pass could find work (decision 109): a claim's lease runs out, a
 * lookup comes due, or a pending delivery of an active sequence is `graceMs` past its time without a
 * claim. Null when there is none. One statement, each part the first entry of an index range
 * (`deliveries_state_next_idx`; the `publishing` rows are the few claims in flight), so it costs the same
 * with a million future deliveries as with none.
 */
export async function nextReconcileWork(db: DbOrTx, args: { graceMs: number }): Promise<Date | null> {
  const firstPending = (state: string) =>
    sql`(select ${deliveries.nextAttemptAt} from ${deliveries} where ${deliveries.state} = ${state} and ${deliveries.nextAttemptAt} is not null
          and exists (select 1 from ${sequences} where ${sequences.id} = ${deliveries.sequenceId} and ${sequences.status} = 'active')
          order by ${deliveries.nextAttemptAt} limit 1)`
  const grace = sql`make_interval(secs => ${args.graceMs / 1000})`
  const rows = rowsOf<{ at: Date | string | null }>(
    await db.execute(sql`select least(
      (select min(${deliveries.leaseExpiresAt}) from ${deliveries} where ${deliveries.state} = 'publishing'),
      (select ${deliveries.nextAttemptAt} from ${deliveries} where ${deliveries.state} = 'needs_review' and ${deliveries.nextAttemptAt} is not null order by ${deliveries.nextAttemptAt} limit 1),
      ${firstPending(PENDING_STATES[0])} + ${grace},
      ${firstPending(PENDING_STATES[1])} + ${grace}
    ) as at`),
  )
  const at = rows[0]?.at
  return at == null ? null : new Date(at)
}
