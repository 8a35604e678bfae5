/**
 * The publish job's queries (core/publishing/publish.server.ts): read a delivery, claim it for one attempt, and
 * record what the attempt did. Every write after the claim requires the attempt's id.
 */
import { randomUUID } from 'node:crypto'
import { and, eq, gte, isNotNull, lte, ne, sql, type SQL } from 'drizzle-orm'
import type { DbOrTx } from '../client'
import { PENDING_STATES } from '../../domain/delivery'
import { deliveries, sequenceSteps, sequences, type StepContent } from '../schema'
import type { Delivery } from './deliveries'
import { bump, holding, holdingPlaceholders, pending, scoped, scopedPlaceholders, threadProgress, type ThreadProgress } from './deliveries-sql'
import { instant, iso, param, prepared } from './prepared'

export type { ThreadProgress } from './deliveries-sql'

export type StartView = {
  delivery: Delivery
  sequenceStatus: string
  maxLatenessSeconds: number
}

/** What a publish job reads before deciding whether to claim. */
export async function loadDeliveryForStart(db: DbOrTx, args: { workspaceId: string; deliveryId: string }): Promise<StartView | null> {
  const query = prepared(db, 'loadDeliveryForStart', (d, name) =>
    d
      .select({ delivery: deliveries, sequenceStatus: sequences.status, maxLatenessSeconds: sequences.maxLatenessSeconds })
      .from(deliveries)
      .innerJoin(sequences, eq(sequences.id, deliveries.sequenceId))
      .where(scopedPlaceholders)
      .prepare(name),
  )
  const [row] = await query.execute({ workspaceId: args.workspaceId, deliveryId: args.deliveryId })
  return row ?? null
}

export type Claim = {
  attemptId: string
  delivery: Delivery
  content: StepContent
}

/**
 * Take the delivery for one publish attempt: one conditional UPDATE, so of any number of workers only
 * one gets a row back. The version must be the one the caller decided on, the delivery pending and due,
 * and its sequence active.
 */
export async function claimDelivery(
  db: DbOrTx,
  args: { workspaceId: string; deliveryId: string; version: number; now: Date; leaseMs: number },
): Promise<Claim | null> {
  const query = prepared(db, 'claimDelivery', (d, name) => claimStatement(d, name, eq(deliveries.version, param('version'))))
  return runClaim(query, args)
}

/**
 * The common case in one statement (decision 087): claim a social delivery that `decideStart` would claim
 * — pending, due (`next_attempt_at` ≤ now), its sequence active, and not past the sequence's
 * `maxLateness` on a first attempt — without reading it first. The conditions are those of `decideStart`
 * written in SQL, and they are evaluated on the row as it is when the UPDATE takes it, so no version is
 * needed. `null` means "not this way": the caller reads the delivery and decides (ignore, wait, miss, or
 * a claim by version), as before.
 */
export async function claimDueDelivery(db: DbOrTx, args: { workspaceId: string; deliveryId: string; now: Date; leaseMs: number }): Promise<Claim | null> {
  const query = prepared(db, 'claimDueDelivery', (d, name) =>
    claimStatement(
      d,
      name,
      and(
        isNotNull(deliveries.accountId),
        sql`(${deliveries.attempts} > 0 or exists (select 1 from ${sequences} where ${sequences.id} = ${deliveries.sequenceId} and ${deliveries.dueAt} >= ${instant('now')} - make_interval(secs => ${sequences.maxLatenessSeconds})))`,
      )!,
    ),
  )
  return runClaim(query, args)
}

type ClaimQuery = ReturnType<typeof claimStatement>

async function runClaim(query: ClaimQuery, args: { workspaceId: string; deliveryId: string; version?: number; now: Date; leaseMs: number }): Promise<Claim | null> {
  const attemptId = randomUUID()
  const [row] = await query.execute({
    workspaceId: args.workspaceId,
    deliveryId: args.deliveryId,
    ...(args.version === undefined ? {} : { version: args.version }),
    attemptId,
    now: iso(args.now),
    leaseUntil: iso(new Date(args.now.getTime() + args.leaseMs)),
  })
  if (!row) return null
  const { claimed: delivery, sequence_steps: step } = row
  if (!step) throw new Error(`step ${delivery.stepId} of delivery ${delivery.id} is gone`)
  return { attemptId, delivery, content: step.content }
}

/** One statement: the claim (with `condition` besides the shared ones) and the step's content it publishes (read in the same snapshot). */
function claimStatement(d: DbOrTx, name: string, condition: SQL) {
  const claimed = d.$with('claimed').as(
    d
      .update(deliveries)
      .set({
        state: 'publishing',
        attemptId: param('attemptId'),
        claimedAt: instant('now'),
        leaseExpiresAt: instant('leaseUntil'),
        sendingAt: null,
        attempts: sql`${deliveries.attempts} + 1`,
        updatedAt: instant('now'),
        ...bump,
      })
      .where(
        and(
          scopedPlaceholders,
          condition,
          pending,
          lte(deliveries.nextAttemptAt, instant('now')),
          sql`exists (select 1 from ${sequences} where ${sequences.id} = ${deliveries.sequenceId} and ${sequences.status} = 'active')`,
        ),
      )
      .returning(),
  )
  return d.with(claimed).select().from(claimed).leftJoin(sequenceSteps, eq(sequenceSteps.id, claimed.stepId)).prepare(name)
}

/**
 * Record that the network call starts now. Succeeds only while this attempt still holds the claim and
 * its lease has not run out before `holdUntil` (now + a margin for clock skew), and extends the lease to
 * `leaseUntil` (≥ now + the call's deadline): no other worker can take the delivery over before the call
 * has ended one way or another.
 */
export async function markSending(db: DbOrTx, args: { deliveryId: string; attemptId: string; now: Date; holdUntil: Date; leaseUntil: Date }): Promise<boolean> {
  const query = prepared(db, 'markSending', (d, name) =>
    d
      .update(deliveries)
      .set({ sendingAt: instant('now'), leaseExpiresAt: instant('leaseUntil'), updatedAt: instant('now'), ...bump })
      .where(and(holdingPlaceholders, gte(deliveries.leaseExpiresAt, instant('holdUntil'))))
      .returning({ id: deliveries.id })
      .prepare(name),
  )
  const rows = await query.execute({ ...args, now: iso(args.now), leaseUntil: iso(args.leaseUntil), holdUntil: iso(args.holdUntil) })
  return rows.length === 1
}

/**
 * Record the attempt's success: `remoteId` and `remoteUrl` of the first post, `partIds` every part of it.
 * A continued thread's first post came from an earlier attempt: when the connector has no url for it, the
 * one recorded then stays.
 */
export async function recordPublished(
  db: DbOrTx,
  args: { deliveryId: string; attemptId: string; now: Date; remoteId: string; remoteUrl: string | null; partIds: string[] },
): Promise<boolean> {
  const query = prepared(db, 'recordPublished', (d, name) =>
    d
      .update(deliveries)
      .set({
        state: 'published',
        remoteId: param('remoteId'),
        remoteUrl: sql`coalesce(${sql.placeholder('remoteUrl')}, ${deliveries.remoteUrl})`,
        // As text, then cast: each driver passes a string parameter through unchanged.
        remotePartIds: sql`${sql.placeholder('partIds')}::text::jsonb`,
        publishedAt: instant('now'),
        nextAttemptAt: null,
        leaseExpiresAt: null,
        lastError: null,
        lastErrorKind: null,
        updatedAt: instant('now'),
        ...bump,
      })
      .where(holdingPlaceholders)
      .returning({ id: deliveries.id })
      .prepare(name),
  )
  const rows = await query.execute({ ...args, now: iso(args.now), partIds: JSON.stringify(args.partIds) })
  return rows.length === 1
}

export type AttemptOutcome = {
  state: 'queued' | 'failed' | 'needs_review'
  /** queued: the retry; needs_review: the lookup (null: a person decides). */
  nextAttemptAt: Date | null
  lastError: string
  lastErrorKind: string
  /** The parts of a thread that stopped part-way, as the connector reported them. */
  thread?: ThreadProgress
}

/** Record a failed attempt's outcome, if this attempt still holds the claim. */
export async function recordAttemptOutcome(db: DbOrTx, args: { deliveryId: string; attemptId: string; now: Date; outcome: AttemptOutcome }): Promise<boolean> {
  const { outcome } = args
  const rows = await db
    .update(deliveries)
    .set({
      state: outcome.state,
      nextAttemptAt: outcome.nextAttemptAt,
      lastError: outcome.lastError,
      lastErrorKind: outcome.lastErrorKind,
      leaseExpiresAt: null,
      ...threadProgress(outcome.thread),
      updatedAt: args.now,
      ...bump,
    })
    .where(holding(args))
    .returning({ id: deliveries.id })
  return rows.length === 1
}

/** A pending delivery that came due too long ago becomes `missed` (only if unchanged since it was read). */
export async function markMissed(db: DbOrTx, args: { workspaceId: string; deliveryId: string; version: number; now: Date }): Promise<boolean> {
  const rows = await db
    .update(deliveries)
    .set({ state: 'missed', nextAttemptAt: null, lastError: 'It came due while no worker was running, and more than the allowed delay had passed when one ran, so it was not published late.', updatedAt: args.now, ...bump })
    .where(and(scoped(args), eq(deliveries.version, args.version), pending))
    .returning({ id: deliveries.id })
  return rows.length === 1
}

/**
 * Claim a batch in one statement (decision 106): the delivery `deliveryId` (of `workspaceId`) when it is
 * claimable as `claimDueDelivery` would claim it, and up to `limit` other social deliveries of any
 * workspace that are claimable the same way, newest due first (the oldest are the ones whose own jobs the
 * job store hands out first), skipping rows another transaction holds. Every row gets its own attempt id
 * and the claim conditions of `claimDueDelivery`, evaluated on the row as the UPDATE takes it, so the
 * fencing is per delivery as before: any later write requires that attempt id.
 */
export async function claimDueBatch(db: DbOrTx, args: { workspaceId: string; deliveryId: string; now: Date; leaseMs: number; limit: number }): Promise<Claim[]> {
  const query = prepared(db, 'claimDueBatch', (d, name) => {
    const due = and(
      isNotNull(deliveries.accountId),
      pending,
      lte(deliveries.nextAttemptAt, instant('now')),
      sql`exists (select 1 from ${sequences} where ${sequences.id} = ${deliveries.sequenceId} and ${sequences.status} = 'active' and (${deliveries.attempts} > 0 or ${deliveries.dueAt} >= ${instant('now')} - make_interval(secs => ${sequences.maxLatenessSeconds})))`,
    )!
    // Per pending state, an index range (deliveries_state_next_idx) read backwards from now and stopped
    // after `limit` rows: the cost does not grow with the backlog or the stored calendar, also under a
    // generic plan. Rows another transaction holds are skipped.
    const others = (state: (typeof PENDING_STATES)[number]) =>
      sql`array(select ${deliveries.id} from ${deliveries} where ${deliveries.state} = ${state} and ${deliveries.nextAttemptAt} <= ${instant('now')} and ${and(due, ne(deliveries.id, param('deliveryId')))} order by ${deliveries.nextAttemptAt} desc limit ${sql.placeholder('limit')} for update skip locked)`
    // The job's own delivery is taken with SKIP LOCKED too: a claim never waits for a row while it holds
    // others. Two claims that each held the other's own delivery as a sibling and waited for their own
    // deadlocked until PostgreSQL's deadlock_timeout (1 s) cancelled one (the p99 tail at the knee). A held
    // own delivery is being claimed by another job (which publishes it) or edited: the caller then decides
    // and claims it alone (decideAndClaim), holding nothing else.
    const own = sql`array(select ${deliveries.id} from ${deliveries} where ${scopedPlaceholders} for update skip locked)`
    // Own, then both states' candidates, cut to `limit` (the rows cut off were only locked for this statement).
    const batch = sql`${deliveries.id} = any(${own} || (${others('planned')} || ${others('queued')})[1:${sql.placeholder('limit')}::int])`
    const claimed = d.$with('claimed').as(
      d
        .update(deliveries)
        .set({
          state: 'publishing',
          attemptId: sql`gen_random_uuid()`,
          claimedAt: instant('now'),
          leaseExpiresAt: instant('leaseUntil'),
          sendingAt: null,
          attempts: sql`${deliveries.attempts} + 1`,
          updatedAt: instant('now'),
          ...bump,
        })
        .where(and(batch, due))
        .returning(),
    )
    return d.with(claimed).select().from(claimed).leftJoin(sequenceSteps, eq(sequenceSteps.id, claimed.stepId)).prepare(name)
  })
  const rows = await query.execute({
    workspaceId: args.workspaceId,
    deliveryId: args.deliveryId,
    limit: args.limit,
    now: iso(args.now),
    leaseUntil: iso(new Date(args.now.getTime() + args.leaseMs)),
  })
  return rows.map(({ claimed: delivery, sequence_steps: step }) => {
    if (!step) throw new Error(`step ${delivery.stepId} of delivery ${delivery.id} is gone`)
    return { attemptId: delivery.attemptId!, delivery, content: step.content }
  })
}
