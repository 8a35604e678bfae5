import { and, asc, eq, gte, inArray, isNotNull, lt, sql, type SQL } from 'drizzle-orm'
import { PENDING_STATES, type DeliveryState } from '../../domain/delivery'
import { contentForNetwork } from '../../domain/series/variants'
import type { DbOrTx } from '../client'
import { insertDeliveriesInTx } from './deliveries'
import { rowsOf } from './prepared'
import { accounts, deliveries, sequenceSteps, sequences, seriesTargets, seriesTimings, type ApprovalState } from '../schema'

export type SeriesTimingRow = typeof seriesTimings.$inferSelect
export type SeriesTimingValues = Omit<typeof seriesTimings.$inferInsert, 'workspaceId' | 'sequenceId' | 'createdAt' | 'updatedAt'>

export async function insertSeriesTiming(
  db: DbOrTx,
  args: { workspaceId: string; sequenceId: string; timing: SeriesTimingValues; accountIds: string[]; now: Date },
): Promise<void> {
  await db.insert(seriesTimings).values({ ...args.timing, workspaceId: args.workspaceId, sequenceId: args.sequenceId, createdAt: args.now, updatedAt: args.now })
  await setSeriesTargets(db, args)
}

/** The series' timing row, locked for update when `forUpdate` (inside a transaction). */
export async function getSeriesTiming(
  db: DbOrTx,
  args: { workspaceId: string; sequenceId: string; forUpdate?: boolean },
): Promise<SeriesTimingRow | null> {
  const query = db
    .select()
    .from(seriesTimings)
    .where(and(eq(seriesTimings.workspaceId, args.workspaceId), eq(seriesTimings.sequenceId, args.sequenceId)))
  const [row] = args.forUpdate ? await query.for('update') : await query
  return row ?? null
}

export async function updateSeriesTiming(
  db: DbOrTx,
  args: { workspaceId: string; sequenceId: string; timing: Partial<SeriesTimingValues>; now: Date },
): Promise<void> {
  await db
    .update(seriesTimings)
    .set({ ...args.timing, updatedAt: args.now })
    .where(and(eq(seriesTimings.workspaceId, args.workspaceId), eq(seriesTimings.sequenceId, args.sequenceId)))
}

export async function listSeriesTargets(db: DbOrTx, args: { workspaceId: string; sequenceId: string }): Promise<string[]> {
  const rows = await db
    .select({ accountId: seriesTargets.accountId })
    .from(seriesTargets)
    .where(and(eq(seriesTargets.workspaceId, args.workspaceId), eq(seriesTargets.sequenceId, args.sequenceId)))
    .orderBy(asc(seriesTargets.createdAt), asc(seriesTargets.accountId))
  return rows.map((r) => r.accountId)
}

/** Replace the series' target accounts (ids must belong to the workspace; the caller checks). */
export async function setSeriesTargets(db: DbOrTx, args: { workspaceId: string; sequenceId: string; accountIds: string[] }): Promise<void> {
  await db.delete(seriesTargets).where(and(eq(seriesTargets.workspaceId, args.workspaceId), eq(seriesTargets.sequenceId, args.sequenceId)))
  if (args.accountIds.length === 0) return
  await db.insert(seriesTargets).values(args.accountIds.map((accountId) => ({ workspaceId: args.workspaceId, sequenceId: args.sequenceId, accountId })))
}

export type SeriesSummary = {
  id: string
  name: string
  status: string
  timezone: string
  rule: string
  start: string
  steps: number
  approval: ApprovalState
  nextDueAt: Date | null
  counts: Partial<Record<DeliveryState, number>>
}

export async function listSeries(db: DbOrTx, args: { workspaceId: string }): Promise<SeriesSummary[]> {
  const rows = await db
    .select({
      id: sequences.id,
      name: sequences.name,
      status: sequences.status,
      timezone: seriesTimings.timezone,
      rule: seriesTimings.rule,
      start: seriesTimings.start,
      approval: seriesTimings.approval,
      steps: sql<number>`(select count(*)::int from ${sequenceSteps} where ${sequenceSteps.sequenceId} = ${sequences.id})`,
    })
    .from(sequences)
    .innerJoin(seriesTimings, eq(seriesTimings.sequenceId, sequences.id))
    .where(and(eq(sequences.workspaceId, args.workspaceId), eq(sequences.kind, 'series')))
    .orderBy(asc(sequences.createdAt))
  if (rows.length === 0) return []
  const stats = await db
    .select({
      sequenceId: deliveries.sequenceId,
      state: deliveries.state,
      count: sql<number>`count(*)::int`,
      next: sql<Date | null>`min(case when ${deliveries.state} in ('planned', 'queued') then ${deliveries.dueAt} end)`,
    })
    .from(deliveries)
    // A series' deliveries target accounts: `account_id IS NOT NULL` lets the planner read them through the
    // partial index deliveries_target_uq (sequence_id, …) instead of every delivery of the workspace (the drips' too).
    .where(and(eq(deliveries.workspaceId, args.workspaceId), inArray(deliveries.sequenceId, rows.map((r) => r.id)), isNotNull(deliveries.accountId)))
    .groupBy(deliveries.sequenceId, deliveries.state)
  return rows.map((row) => {
    const mine = stats.filter((s) => s.sequenceId === row.id)
    const next = mine.map((s) => s.next && new Date(s.next)).filter((d): d is Date => !!d).sort((a, b) => a.getTime() - b.getTime())[0]
    return { ...row, nextDueAt: next ?? null, counts: Object.fromEntries(mine.map((s) => [s.state, s.count])) }
  })
}

export type CalendarDelivery = {
  id: string
  sequenceId: string
  seriesName: string
  sequenceStatus: string
  stepId: string
  position: number
  /** Round of an evergreen series: 0 for the first pass (decision 107). */
  cycle: number
  text: string
  accountId: string
  accountHandle: string
  accountKind: string
  dueAt: Date
  state: DeliveryState
  remoteUrl: string | null
  lastError: string | null
}

/** Deliveries of series for the calendar (and the ICS feed), optionally within [from, to) and filtered. */
export async function listCalendarDeliveries(
  db: DbOrTx,
  args: { workspaceId: string; from?: Date; to?: Date; accountIds?: string[]; sequenceIds?: string[]; states?: DeliveryState[]; deliveryIds?: string[] },
): Promise<CalendarDelivery[]> {
  const conditions: SQL[] = [eq(deliveries.workspaceId, args.workspaceId), eq(sequences.kind, 'series')]
  if (args.from) conditions.push(gte(deliveries.dueAt, args.from))
  if (args.to) conditions.push(lt(deliveries.dueAt, args.to))
  if (args.accountIds?.length) conditions.push(inArray(deliveries.accountId, args.accountIds))
  if (args.sequenceIds?.length) conditions.push(inArray(deliveries.sequenceId, args.sequenceIds))
  if (args.states?.length) conditions.push(inArray(deliveries.state, args.states))
  if (args.deliveryIds) conditions.push(inArray(deliveries.id, args.deliveryIds.length ? args.deliveryIds : ['00000000-0000-0000-0000-000000000000']))
  const rows = await db
    .select({
      id: deliveries.id,
      sequenceId: deliveries.sequenceId,
      seriesName: sequences.name,
      sequenceStatus: sequences.status,
      stepId: deliveries.stepId,
      position: sequenceSteps.position,
      cycle: deliveries.cycle,
      content: sequenceSteps.content,
      accountId: deliveries.accountId,
      accountHandle: accounts.handle,
      accountKind: accounts.kind,
      dueAt: deliveries.dueAt,
      state: deliveries.state,
      remoteUrl: deliveries.remoteUrl,
      lastError: deliveries.lastError,
    })
    .from(deliveries)
    .innerJoin(sequences, eq(sequences.id, deliveries.sequenceId))
    .innerJoin(sequenceSteps, eq(sequenceSteps.id, deliveries.stepId))
    .innerJoin(accounts, eq(accounts.id, deliveries.accountId))
    .where(and(...conditions))
    .orderBy(asc(deliveries.dueAt), asc(deliveries.id))
  // The inner join with accounts leaves only account targets (email deliveries have none). The text is
  // what the account's network gets: its own variant when the post has one (decision 098).
  return rows.map(({ content, ...row }) => ({ ...row, accountId: row.accountId!, text: contentForNetwork(content, row.accountKind).parts.map((p) => p.text).join('\n\n') }))
}

// ─── Re-planning writes (inside the caller's transaction) ─────────────────────────────────────────

const bump = { version: sql`${deliveries.version} + 1` }
const pending = inArray(deliveries.state, [...PENDING_STATES])

/** Move a pending delivery (returns false when it is no longer pending). */
export async function reschedulePending(db: DbOrTx, args: { workspaceId: string; deliveryId: string; dueAt: Date; now: Date }): Promise<boolean> {
  const rows = await db
    .update(deliveries)
    .set({ dueAt: args.dueAt, nextAttemptAt: args.dueAt, updatedAt: args.now, ...bump })
    .where(and(eq(deliveries.workspaceId, args.workspaceId), eq(deliveries.id, args.deliveryId), pending))
    .returning({ id: deliveries.id })
  return rows.length === 1
}

/** End a pending delivery as `skipped` or `canceled` (returns false when it is no longer pending). */
export async function settlePendingDelivery(
  db: DbOrTx,
  args: { workspaceId: string; deliveryId: string; state: 'skipped' | 'canceled'; now: Date },
): Promise<boolean> {
  const rows = await db
    .update(deliveries)
    .set({ state: args.state, nextAttemptAt: null, updatedAt: args.now, ...bump })
    .where(and(eq(deliveries.workspaceId, args.workspaceId), eq(deliveries.id, args.deliveryId), pending))
    .returning({ id: deliveries.id })
  return rows.length === 1
}

/** Inside the caller's transaction (re-planning): the shared insert of db/queries/deliveries.ts; jobs follow after commit (enqueuePlanned). */
export async function insertSeriesDeliveries(
  db: DbOrTx,
  args: { workspaceId: string; sequenceId: string; items: Array<{ stepId: string; accountId: string; cycle: number; dueAt: Date; state: 'planned' | 'skipped' }>; now: Date },
): Promise<Array<{ id: string; state: DeliveryState; dueAt: Date }>> {
  return insertDeliveriesInTx(db, args)
}

/** Bump the versions of a step's pending deliveries (its content changed: an attempt holding the old version cannot claim). */
export async function bumpPendingOfStep(db: DbOrTx, args: { workspaceId: string; stepId: string; now: Date }): Promise<void> {
  await db
    .update(deliveries)
    .set({ updatedAt: args.now, ...bump })
    .where(and(eq(deliveries.workspaceId, args.workspaceId), eq(deliveries.stepId, args.stepId), pending))
}

// ─── Approval (docs/decisions/012-series-approval-threads-import.md) ──────────────────────────────────────────────

/**
 * Hold a series inside the caller's transaction: the sequence becomes `paused` (nothing is claimed or
 * reconciled) and its pending deliveries' versions are bumped (an attempt already holding one cannot
 * claim it). The caller removes their jobs after commit.
 */
export async function holdSequenceInTx(db: DbOrTx, args: { workspaceId: string; sequenceId: string; now: Date }): Promise<string[]> {
  await db
    .update(sequences)
    .set({ status: 'paused', updatedAt: args.now })
    .where(and(eq(sequences.workspaceId, args.workspaceId), eq(sequences.id, args.sequenceId)))
  const rows = await db
    .update(deliveries)
    .set({ updatedAt: args.now, ...bump })
    .where(and(eq(deliveries.workspaceId, args.workspaceId), eq(deliveries.sequenceId, args.sequenceId), pending))
    .returning({ id: deliveries.id })
  return rows.map((r) => r.id)
}

/** How many series of the workspace wait for an owner's approval. */
export async function countSeriesNeedingApproval(db: DbOrTx, args: { workspaceId: string }): Promise<number> {
  const [row] = await db
    .select({ count: sql<number>`count(*)::int` })
    .from(seriesTimings)
    .where(and(eq(seriesTimings.workspaceId, args.workspaceId), eq(seriesTimings.approval, 'pending_approval')))
  return row?.count ?? 0
}

export type SeriesStepStat = { sequenceId: string; position: number; text: string; state: DeliveryState; count: number; firstDueAt: Date; remoteUrl: string | null }

/** Deliveries of every series post of the workspace by state (analytics per series and per post). */
export async function seriesStepStats(db: DbOrTx, args: { workspaceId: string }): Promise<SeriesStepStat[]> {
  // Counted per step first, then joined to the steps' text (grouping by the jsonb content sorted every delivery);
  // read through the partial index deliveries_target_uq (series deliveries target accounts), not the drips' deliveries.
  const result = await db.execute(sql`
    SELECT d.sequence_id AS "sequenceId", ss.position, coalesce(ss.content->'parts'->0->>'text', '') AS text, d.state, d.n AS count, d.first_due_at AS "firstDueAt", d.remote_url AS "remoteUrl"
    FROM (
      SELECT sequence_id, step_id, state, count(*)::int AS n, min(due_at) AS first_due_at, max(remote_url) AS remote_url FROM deliveries
      WHERE workspace_id = ${args.workspaceId} AND account_id IS NOT NULL
        AND sequence_id IN (SELECT id FROM sequences WHERE workspace_id = ${args.workspaceId} AND kind = 'series')
      GROUP BY 1, 2, 3
    ) d JOIN sequence_steps ss ON ss.id = d.step_id
    ORDER BY ss.position`)
  return rowsOf<{ sequenceId: string; position: number; text: string; state: string; count: number; firstDueAt: Date | string; remoteUrl: string | null }>(result).map((r) => ({
    ...r,
    position: Number(r.position),
    state: r.state as DeliveryState,
    count: Number(r.count),
    firstDueAt: new Date(r.firstDueAt),
  }))
}
