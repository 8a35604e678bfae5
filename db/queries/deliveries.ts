import { and, asc, desc, eq, gt, inArray, isNotNull, isNull, lte, ne, type SQL } from 'drizzle-orm'
import type { Clock } from '../../domain/clock'
import type { DeliveryState } from '../../domain/delivery'
import type { Db, DbOrTx } from '../client'
import { accounts, deliveries, sequenceSteps, sequences, type StepContent } from '../schema'
import { bump, pending, scoped } from './deliveries-sql'
import { requireStepContent } from './sequences'

export type Delivery = typeof deliveries.$inferSelect

/**
 * Keeps Agenda's jobs in step with delivery rows (implemented by jobs/enqueue.ts deliveryScheduler). Called only
 * after the transaction that changed the rows committed. Best effort: a failed call leaves a stale job
 * (which finds nothing to do when it fires) or a missing one (which the reconciler re-enqueues).
 */
export type DeliveryScheduler = {
  schedule(args: { workspaceId: string; deliveryId: string; runAt: Date }): Promise<void>
  cancel(args: { deliveryId: string }): Promise<void>
}

function requireDate(field: string, value: unknown): asserts value is Date {
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) throw new Error(`${field}: must be a valid date`)
}

async function syncJobs(operations: Array<() => Promise<void>>): Promise<boolean> {
  let synced = true
  for (const operation of operations) {
    try {
      await operation()
    } catch {
      synced = false
    }
  }
  return synced
}

// ─── Planning and editing (called from the app) ───────────────────────────────────────────────────

export type PlanItem = { stepId: string; accountId: string; dueAt: Date; /** Round of an evergreen series (decision 107); default 0. */ cycle?: number }

/**
 * Record deliveries (idempotent per sequence, step, account and cycle: planning again changes nothing), then,
 * after commit, enqueue one publish job per pending delivery and mark it `queued`.
 */
export async function planDeliveries(
  db: Db,
  args: { workspaceId: string; sequenceId: string; items: PlanItem[]; clock: Clock; scheduler: DeliveryScheduler },
): Promise<{ deliveries: Delivery[]; created: number; jobsSynced: boolean }> {
  args.items.forEach((item, i) => {
    requireDate(`items[${i}].dueAt`, item.dueAt)
    if (typeof item.stepId !== 'string' || !item.stepId) throw new Error(`items[${i}].stepId: required`)
    if (typeof item.accountId !== 'string' || !item.accountId) throw new Error(`items[${i}].accountId: required`)
  })
  const now = args.clock.now()
  const { rows, created } = await db.transaction(async (tx) => {
    const [sequence] = await tx
      .select({ id: sequences.id })
      .from(sequences)
      .where(and(eq(sequences.workspaceId, args.workspaceId), eq(sequences.id, args.sequenceId)))
    if (!sequence) throw new Error(`sequenceId: no sequence ${args.sequenceId} in this workspace`)
    if (args.items.length === 0) return { rows: [], created: 0 }
    const stepIds = [...new Set(args.items.map((item) => item.stepId))]
    const accountIds = [...new Set(args.items.map((item) => item.accountId))]
    const steps = await tx
      .select({ id: sequenceSteps.id })
      .from(sequenceSteps)
      .where(and(eq(sequenceSteps.sequenceId, args.sequenceId), inArray(sequenceSteps.id, stepIds)))
    const known = await tx
      .select({ id: accounts.id })
      .from(accounts)
      .where(and(eq(accounts.workspaceId, args.workspaceId), inArray(accounts.id, accountIds)))
    const stepSet = new Set(steps.map((s) => s.id))
    const accountSet = new Set(known.map((a) => a.id))
    args.items.forEach((item, i) => {
      if (!stepSet.has(item.stepId)) throw new Error(`items[${i}].stepId: no step ${item.stepId} in this sequence`)
      if (!accountSet.has(item.accountId)) throw new Error(`items[${i}].accountId: no account ${item.accountId} in this workspace`)
    })
    const inserted = await insertDeliveriesInTx(tx, { workspaceId: args.workspaceId, sequenceId: args.sequenceId, items: args.items, now })
    const all = await tx
      .select()
      .from(deliveries)
      .where(and(eq(deliveries.workspaceId, args.workspaceId), eq(deliveries.sequenceId, args.sequenceId), inArray(deliveries.stepId, stepIds), inArray(deliveries.accountId, accountIds)))
    const wanted = new Set(args.items.map((item) => `${item.stepId}/${item.accountId}/${item.cycle ?? 0}`))
    return { rows: all.filter((row) => wanted.has(`${row.stepId}/${row.accountId}/${row.cycle}`)), created: inserted.length }
  })
  const { jobsSynced } = await enqueuePlanned(db, {
    workspaceId: args.workspaceId,
    items: rows.filter((row) => row.state === 'planned').map((row) => ({ deliveryId: row.id, runAt: row.nextAttemptAt ?? row.dueAt })),
    scheduler: args.scheduler,
    clock: args.clock,
  })
  return { deliveries: await listDeliveries(db, { workspaceId: args.workspaceId, deliveryIds: rows.map((row) => row.id) }), created, jobsSynced }
}

export type NewDelivery = PlanItem & { /** `skipped` records an occurrence the user skipped (no job). Default `planned`. */ state?: 'planned' | 'skipped' }

/**
 * Inside the caller's transaction: insert deliveries; one that exists for its (sequence, step, account,
 * cycle) is left as it is. Returns the inserted rows. Their jobs are enqueued after commit (enqueuePlanned).
 */
export async function insertDeliveriesInTx(
  tx: DbOrTx,
  args: { workspaceId: string; sequenceId: string; items: NewDelivery[]; now: Date },
): Promise<Array<{ id: string; state: DeliveryState; dueAt: Date }>> {
  const inserted: Array<{ id: string; state: DeliveryState; dueAt: Date }> = []
  // PostgreSQL takes at most 65,535 parameters per statement (8 a row here).
  for (let from = 0; from < args.items.length; from += INSERT_CHUNK) {
    inserted.push(...(await insertChunk(tx, { ...args, items: args.items.slice(from, from + INSERT_CHUNK) })))
  }
  return inserted
}

const INSERT_CHUNK = 2_000

function insertChunk(tx: DbOrTx, args: { workspaceId: string; sequenceId: string; items: NewDelivery[]; now: Date }) {
  return tx
    .insert(deliveries)
    .values(
      args.items.map((item) => {
        const state = item.state ?? 'planned'
        return {
          workspaceId: args.workspaceId,
          sequenceId: args.sequenceId,
          stepId: item.stepId,
          accountId: item.accountId,
          cycle: item.cycle ?? 0,
          dueAt: item.dueAt,
          state,
          nextAttemptAt: state === 'planned' ? item.dueAt : null,
          createdAt: args.now,
          updatedAt: args.now,
        }
      }),
    )
    .onConflictDoNothing({ target: [deliveries.sequenceId, deliveries.stepId, deliveries.accountId, deliveries.cycle], where: isNotNull(deliveries.accountId) })
    .returning({ id: deliveries.id, state: deliveries.state, dueAt: deliveries.dueAt })
}

/**
 * After commit: one publish job per planned delivery (idempotent: one job per delivery), then
 * `planned` → `queued` for those whose job now exists. A failed enqueue leaves its row `planned`, and the
 * reconciler enqueues it. `jobsSynced` is false when any enqueue failed.
 */
export async function enqueuePlanned(
  db: DbOrTx,
  args: { workspaceId: string; items: Array<{ deliveryId: string; runAt: Date }>; scheduler: DeliveryScheduler; clock: Clock },
): Promise<{ jobsSynced: boolean; queued: string[] }> {
  const queued: string[] = []
  for (const { deliveryId, runAt } of args.items) {
    try {
      await args.scheduler.schedule({ workspaceId: args.workspaceId, deliveryId, runAt })
      queued.push(deliveryId)
    } catch {
      // stays `planned`
    }
  }
  await markQueued(db, { workspaceId: args.workspaceId, deliveryIds: queued, clock: args.clock })
  return { jobsSynced: queued.length === args.items.length, queued }
}

/**
 * `planned` → `queued` once their jobs exist, skipping rows another transaction holds (decision 116). When the
 * deliveries are already due, a worker's batch claim (claimDueBatch) can hold some of them (taken with SKIP
 * LOCKED) while it waits for its own delivery; if this statement held that one and waited for one of the
 * batch, the two deadlocked (40P01). A row held is being claimed or edited; if it stays `planned` nothing is
 * lost: `planned` and `queued` are both pending, its job exists, and the reconciler treats both alike.
 */
export async function markQueued(db: DbOrTx, args: { workspaceId: string; deliveryIds: string[]; clock: Clock }): Promise<void> {
  if (args.deliveryIds.length === 0) return
  const free = db
    .select({ id: deliveries.id })
    .from(deliveries)
    .where(and(eq(deliveries.workspaceId, args.workspaceId), inArray(deliveries.id, args.deliveryIds), eq(deliveries.state, 'planned')))
    .for('update', { skipLocked: true })
  await db
    .update(deliveries)
    .set({ state: 'queued', updatedAt: args.clock.now(), ...bump })
    .where(and(inArray(deliveries.id, free), eq(deliveries.state, 'planned')))
}

export class DeliveryStateError extends Error {
  override name = 'DeliveryStateError'
}

/** Move a pending delivery to a new due time; its job moves after commit. */
export async function moveDelivery(
  db: Db,
  args: { workspaceId: string; deliveryId: string; dueAt: Date; clock: Clock; scheduler: DeliveryScheduler },
): Promise<Delivery> {
  requireDate('dueAt', args.dueAt)
  const [row] = await db
    .update(deliveries)
    .set({ dueAt: args.dueAt, nextAttemptAt: args.dueAt, updatedAt: args.clock.now(), ...bump })
    .where(and(scoped(args), pending))
    .returning()
  if (!row) throw await notPending(db, args, 'moved')
  await syncJobs([() => args.scheduler.schedule({ workspaceId: row.workspaceId, deliveryId: row.id, runAt: args.dueAt })])
  return row
}

/** Skip (the user chose not to send this occurrence) a pending delivery; its job is removed after commit. */
export function skipDelivery(db: Db, args: { workspaceId: string; deliveryId: string; clock: Clock; scheduler: DeliveryScheduler }): Promise<Delivery> {
  return settlePending(db, { ...args, state: 'skipped' })
}

/** Cancel a pending delivery; its job is removed after commit. */
export function cancelDelivery(db: Db, args: { workspaceId: string; deliveryId: string; clock: Clock; scheduler: DeliveryScheduler }): Promise<Delivery> {
  return settlePending(db, { ...args, state: 'canceled' })
}

async function settlePending(
  db: Db,
  args: { workspaceId: string; deliveryId: string; state: 'skipped' | 'canceled'; clock: Clock; scheduler: DeliveryScheduler },
): Promise<Delivery> {
  const [row] = await db
    .update(deliveries)
    .set({ state: args.state, nextAttemptAt: null, updatedAt: args.clock.now(), ...bump })
    .where(and(scoped(args), pending))
    .returning()
  if (!row) throw await notPending(db, args, args.state)
  await syncJobs([() => args.scheduler.cancel({ deliveryId: row.id })])
  return row
}

async function notPending(db: DbOrTx, args: { workspaceId: string; deliveryId: string }, what: string): Promise<Error> {
  const current = await getDelivery(db, args)
  if (!current) return new Error(`deliveryId: no delivery ${args.deliveryId} in this workspace`)
  return new DeliveryStateError(`state: the delivery is ${current.state} and can no longer be ${what}`)
}

/**
 * Change a step's content. Pending deliveries of the step get a new version in the same transaction, so
 * a publish attempt that read the old row cannot claim it; content is read at claim time. Returns how
 * many deliveries of the step are being published right now (too late for them).
 */
export async function updateStepContent(
  db: Db,
  args: { workspaceId: string; stepId: string; content: StepContent; clock: Clock },
): Promise<{ inFlight: number }> {
  requireStepContent(args.content, 'content')
  const now = args.clock.now()
  return db.transaction(async (tx) => {
    const updated = await tx
      .update(sequenceSteps)
      .set({ content: args.content, updatedAt: now })
      .where(and(eq(sequenceSteps.workspaceId, args.workspaceId), eq(sequenceSteps.id, args.stepId)))
      .returning({ id: sequenceSteps.id })
    if (updated.length === 0) throw new Error(`stepId: no step ${args.stepId} in this workspace`)
    await tx
      .update(deliveries)
      .set({ updatedAt: now, ...bump })
      .where(and(eq(deliveries.workspaceId, args.workspaceId), eq(deliveries.stepId, args.stepId), pending))
    const publishing = await tx
      .select({ id: deliveries.id })
      .from(deliveries)
      .where(and(eq(deliveries.workspaceId, args.workspaceId), eq(deliveries.stepId, args.stepId), eq(deliveries.state, 'publishing')))
    return { inFlight: publishing.length }
  })
}

/**
 * Pause a sequence: nothing of it is claimed from now on (the claim checks the sequence's status and the
 * pending rows' versions change in the same transaction); its jobs are removed after commit.
 */
export async function pauseSequence(
  db: Db,
  args: { workspaceId: string; sequenceId: string; clock: Clock; scheduler: DeliveryScheduler },
): Promise<{ jobsSynced: boolean }> {
  const ids = await setSequenceStatus(db, { ...args, status: 'paused' })
  return { jobsSynced: await syncJobs(ids.map((row) => () => args.scheduler.cancel({ deliveryId: row.id }))) }
}

/**
 * Resume a paused sequence: its pending deliveries are enqueued again. Those that came due while paused
 * go out now if still within the sequence's maxLateness, else become `missed` when their job runs.
 */
export async function resumeSequence(
  db: Db,
  args: { workspaceId: string; sequenceId: string; clock: Clock; scheduler: DeliveryScheduler },
): Promise<{ jobsSynced: boolean }> {
  const rows = await setSequenceStatus(db, { ...args, status: 'active' })
  const now = args.clock.now()
  return {
    jobsSynced: await syncJobs(
      rows.map((row) => () => {
        const at = row.nextAttemptAt ?? row.dueAt
        return args.scheduler.schedule({ workspaceId: args.workspaceId, deliveryId: row.id, runAt: at > now ? at : now })
      }),
    ),
  }
}

async function setSequenceStatus(
  db: Db,
  args: { workspaceId: string; sequenceId: string; status: 'active' | 'paused'; clock: Clock },
): Promise<Array<{ id: string; dueAt: Date; nextAttemptAt: Date | null }>> {
  const now = args.clock.now()
  return db.transaction(async (tx) => {
    const updated = await tx
      .update(sequences)
      .set({ status: args.status, updatedAt: now })
      .where(and(eq(sequences.workspaceId, args.workspaceId), eq(sequences.id, args.sequenceId)))
      .returning({ id: sequences.id })
    if (updated.length === 0) throw new Error(`sequenceId: no sequence ${args.sequenceId} in this workspace`)
    return tx
      .update(deliveries)
      .set({ updatedAt: now, ...bump })
      .where(and(eq(deliveries.workspaceId, args.workspaceId), eq(deliveries.sequenceId, args.sequenceId), pending))
      .returning({ id: deliveries.id, dueAt: deliveries.dueAt, nextAttemptAt: deliveries.nextAttemptAt })
  })
}

/**
 * Delete a sequence and its deliveries. Pending deliveries are canceled first in the same transaction (a
 * publish attempt holding an old version cannot claim them); their jobs are removed after commit.
 */
export async function deleteSequence(
  db: Db,
  args: { workspaceId: string; sequenceId: string; clock: Clock; scheduler: DeliveryScheduler },
): Promise<{ jobsSynced: boolean }> {
  const canceled = await db.transaction(async (tx) => {
    const rows = await tx
      .update(deliveries)
      .set({ state: 'canceled', nextAttemptAt: null, updatedAt: args.clock.now(), ...bump })
      .where(and(eq(deliveries.workspaceId, args.workspaceId), eq(deliveries.sequenceId, args.sequenceId), pending))
      .returning({ id: deliveries.id })
    const deleted = await tx
      .delete(sequences)
      .where(and(eq(sequences.workspaceId, args.workspaceId), eq(sequences.id, args.sequenceId)))
      .returning({ id: sequences.id })
    if (deleted.length === 0) throw new Error(`sequenceId: no sequence ${args.sequenceId} in this workspace`)
    return rows
  })
  return { jobsSynced: await syncJobs(canceled.map((row) => () => args.scheduler.cancel({ deliveryId: row.id }))) }
}

export async function getDelivery(db: DbOrTx, args: { workspaceId: string; deliveryId: string }): Promise<Delivery | null> {
  const [row] = await db.select().from(deliveries).where(scoped(args))
  return row ?? null
}

export async function listDeliveries(
  db: DbOrTx,
  args: { workspaceId: string; sequenceId?: string; deliveryIds?: string[]; states?: DeliveryState[] },
): Promise<Delivery[]> {
  const conditions: SQL[] = [eq(deliveries.workspaceId, args.workspaceId)]
  if (args.sequenceId) conditions.push(eq(deliveries.sequenceId, args.sequenceId))
  if (args.deliveryIds) {
    if (args.deliveryIds.length === 0) return []
    conditions.push(inArray(deliveries.id, args.deliveryIds))
  }
  if (args.states) conditions.push(inArray(deliveries.state, args.states))
  return db
    .select()
    .from(deliveries)
    .where(and(...conditions))
    .orderBy(asc(deliveries.dueAt), asc(deliveries.id))
}

/**
 * The due instants after `after` of the pending deliveries to these accounts (the queue's taken slots,
 * decision 091), leaving out one series' own (the one being edited: its post may keep its slot).
 */
export async function listPendingDueTimes(
  db: DbOrTx,
  args: { workspaceId: string; accountIds: string[]; after: Date; exceptSequenceId?: string },
): Promise<Date[]> {
  if (args.accountIds.length === 0) return []
  const conditions: SQL[] = [
    eq(deliveries.workspaceId, args.workspaceId),
    inArray(deliveries.accountId, args.accountIds),
    pending,
    gt(deliveries.dueAt, args.after),
  ]
  if (args.exceptSequenceId) conditions.push(ne(deliveries.sequenceId, args.exceptSequenceId))
  const rows = await db.selectDistinct({ dueAt: deliveries.dueAt }).from(deliveries).where(and(...conditions)).orderBy(asc(deliveries.dueAt))
  return rows.map((r) => r.dueAt)
}

// ─── Reading for people (the dashboard, the UI banner, /healthz) ──────────────────────────────────

/**
 * For /healthz and the UI banner: the pending delivery of an active sequence that has waited longest
 * past its time, across all workspaces, or null when nothing is overdue.
 */
export async function oldestOverdueDelivery(
  db: DbOrTx,
  now: Date,
  scope: { workspaceId?: string } = {},
): Promise<{ id: string; workspaceId: string; dueAt: Date; nextAttemptAt: Date; overdueMs: number } | null> {
  const [row] = await db
    .select({ id: deliveries.id, workspaceId: deliveries.workspaceId, dueAt: deliveries.dueAt, nextAttemptAt: deliveries.nextAttemptAt })
    .from(deliveries)
    .innerJoin(sequences, eq(sequences.id, deliveries.sequenceId))
    .where(
      and(
        pending,
        lte(deliveries.nextAttemptAt, now),
        eq(sequences.status, 'active'),
        scope.workspaceId ? eq(deliveries.workspaceId, scope.workspaceId) : undefined,
      ),
    )
    .orderBy(asc(deliveries.nextAttemptAt))
    .limit(1)
  if (!row || !row.nextAttemptAt) return null
  return { ...row, nextAttemptAt: row.nextAttemptAt, overdueMs: now.getTime() - row.nextAttemptAt.getTime() }
}

/** Deliveries waiting for a person (unknown outcome and no way to look it up). */
export async function listNeedingReview(db: DbOrTx, args: { workspaceId: string }): Promise<Delivery[]> {
  return db
    .select()
    .from(deliveries)
    .where(and(eq(deliveries.workspaceId, args.workspaceId), eq(deliveries.state, 'needs_review'), isNull(deliveries.nextAttemptAt)))
    .orderBy(asc(deliveries.dueAt))
}

/** What the dashboard tells the user about: failed, missed and needs-review deliveries, newest first. */
export async function listProblemDeliveries(db: DbOrTx, args: { workspaceId: string; limit: number }) {
  return db
    .select({
      id: deliveries.id,
      state: deliveries.state,
      dueAt: deliveries.dueAt,
      lastError: deliveries.lastError,
      sequenceId: sequences.id,
      sequenceName: sequences.name,
      accountHandle: accounts.handle,
    })
    .from(deliveries)
    .innerJoin(sequences, eq(sequences.id, deliveries.sequenceId))
    .innerJoin(accounts, eq(accounts.id, deliveries.accountId))
    .where(and(eq(deliveries.workspaceId, args.workspaceId), inArray(deliveries.state, ['failed', 'missed', 'needs_review'])))
    .orderBy(desc(deliveries.updatedAt))
    .limit(args.limit)
}
