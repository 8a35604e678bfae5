import { sql, type SQL } from 'drizzle-orm'
import type { DbOrTx } from '../client'
import type { DripAnalyticsRaw } from './drip-analytics'
import type { DripStats } from './enrollments'
import { rowsOf } from './prepared'

/**
 * The per-drip analytics numbers from the roll-ups (docs/decisions/094-drip-analytics-roll-ups.md): the
 * same object as the raw query (`dripAnalyticsRows`, the oracle) for a period of whole local days
 * [fromDay, toDay) in the drip's zone. The cohort is the enrollments started on those days; their
 * activity counts up to the period's end; the daily rows are the activity of those days.
 */
export async function dripAnalyticsRollups(db: DbOrTx, args: { workspaceId: string; dripId: string; fromDay: string; toDay: string }): Promise<DripAnalyticsRaw> {
  const { workspaceId: ws, dripId: drip } = args
  const from = sql`${args.fromDay}::date`
  const to = sql`${args.toDay}::date`
  const result = await db.execute(sql`
    WITH cohort AS (
      SELECT coalesce(sum(enrolled), 0) AS enrolled, coalesce(sum(goal_reached), 0) AS goal_reached FROM drip_cohort_rollups
      WHERE workspace_id = ${ws} AND sequence_id = ${drip} AND cohort_day >= ${from} AND cohort_day < ${to}
    ), steps AS (
      -- bounced: messages with any bounce; soft: those without a hard one (decision 104).
      SELECT step_id AS "stepId", sum(sent) AS sent, sum(any_bounced) AS bounced, sum(any_bounced) - sum(bounced) AS "softBounced", sum(opened) AS opened,
        sum(clicked) AS clicked, sum(unsubscribed) AS unsubscribed, sum(complained) AS complained
      FROM drip_rollups WHERE workspace_id = ${ws} AND sequence_id = ${drip} AND cohort_day >= ${from} AND cohort_day < ${to} AND activity_day < ${to}
      GROUP BY step_id
      HAVING sum(sent) + sum(any_bounced) + sum(opened) + sum(clicked) + sum(unsubscribed) + sum(complained) > 0
    ), links AS (
      SELECT step_id AS "stepId", url, sum(clicks) AS clicks FROM drip_link_rollups
      WHERE workspace_id = ${ws} AND sequence_id = ${drip} AND cohort_day >= ${from} AND cohort_day < ${to} AND activity_day < ${to}
      GROUP BY 1, 2 HAVING sum(clicks) > 0
    ), conversions AS (
      SELECT step_id AS "stepId", nullif(currency, '') AS currency, sum(conversions) AS conversions, sum(valued) AS valued, sum(revenue) AS revenue
      FROM drip_conversion_rollups
      WHERE workspace_id = ${ws} AND sequence_id = ${drip} AND cohort_day >= ${from} AND cohort_day < ${to} AND activity_day < ${to}
      GROUP BY 1, 2 HAVING sum(conversions) > 0
    ), daily AS (
      SELECT day::text AS day, sum(sends) AS sends, sum(opens) AS opens, sum(clicks) AS clicks, sum(conversions) AS conversions FROM (
        SELECT activity_day AS day, sum(sent) AS sends, sum(opens) AS opens, sum(clicks) AS clicks, 0 AS conversions FROM drip_rollups
        WHERE workspace_id = ${ws} AND sequence_id = ${drip} AND activity_day >= ${from} AND activity_day < ${to} GROUP BY 1
        UNION ALL
        SELECT activity_day, 0, 0, 0, sum(conversions) FROM drip_conversion_rollups
        WHERE workspace_id = ${ws} AND sequence_id = ${drip} AND activity_day >= ${from} AND activity_day < ${to} GROUP BY 1
      ) t GROUP BY day HAVING sum(sends) + sum(opens) + sum(clicks) + sum(conversions) > 0
    )
    SELECT json_build_object(
      'enrolled', (SELECT enrolled FROM cohort),
      'goalReached', (SELECT goal_reached FROM cohort),
      'steps', (SELECT coalesce(json_agg(s), '[]'::json) FROM steps s),
      'links', (SELECT coalesce(json_agg(l), '[]'::json) FROM links l),
      'conversions', (SELECT coalesce(json_agg(c), '[]'::json) FROM conversions c),
      'daily', (SELECT coalesce(json_agg(t ORDER BY t.day), '[]'::json) FROM daily t)
    )::text AS r`)
  return JSON.parse(rowsOf<{ r: string }>(result)[0]!.r) as DripAnalyticsRaw
}

/** Recompute one drip's roll-ups from its raw rows (what the migration's backfill ran for every drip). */
export async function rebuildDripRollups(db: DbOrTx, args: { dripId: string }) {
  await db.execute(sql`SELECT drip_rollups_rebuild(${args.dripId}::uuid)`)
}

type StepSums = { dripId: string; stepId: string; sent: number; review: number; skipped: number; failed: number; opened: number; clicked: number; unsubscribed: number; bounced: number; complained: number }

/** The drips' roll-up rows of the workspace summed per step (all days): a few hundred index rows per drip. */
const stepSums = (ws: string, drips: SQL) => sql`
  SELECT sequence_id AS "dripId", step_id AS "stepId", sum(sent) AS sent, sum(review) AS review, sum(skipped) AS skipped, sum(failed) AS failed,
    sum(opened) AS opened, sum(clicked) AS clicked, sum(unsubscribed) AS unsubscribed, sum(any_bounced) AS bounced, sum(complained) AS complained
  FROM drip_rollups WHERE workspace_id = ${ws} AND sequence_id IN (SELECT id FROM ${drips}) GROUP BY 1, 2`

const workspaceDrips = (ws: string, dripIds: string[]) =>
  sql`(SELECT id FROM sequences WHERE workspace_id = ${ws} AND id IN (SELECT jsonb_array_elements_text(${JSON.stringify(dripIds)}::jsonb)::uuid)) AS d`

/** Per step: the deliveries by state and the messages with an event of each kind (only non-zero counts, as a GROUP BY gives them). */
function addStepSums(stats: Pick<DripStats, 'deliveriesByStep' | 'eventsByStep'>, s: StepSums) {
  const nonZero = (o: Record<string, number>) => Object.fromEntries(Object.entries(o).filter(([, n]) => Number(n) !== 0).map(([k, n]) => [k, Number(n)]))
  const deliveries = nonZero({ published: s.sent - s.review, needs_review: s.review, skipped: s.skipped, failed: s.failed })
  const events = nonZero({ opened: s.opened, clicked: s.clicked, unsubscribed: s.unsubscribed, bounced: s.bounced, complained: s.complained })
  if (Object.keys(deliveries).length) stats.deliveriesByStep[s.stepId] = deliveries
  if (Object.keys(events).length) stats.eventsByStep[s.stepId] = events
}

/**
 * Drips' all-time counts for the drip page (decision 104), each the same object as the raw `dripStats` (its
 * oracle): per step the deliveries by state (`published` = sent − review, `needs_review`, `skipped`,
 * `failed`) and the messages with an event of each kind, summed over the drips' roll-up rows; the
 * enrollments by status and step from the index `enrollments_sequence_idx` (an index-only count of the
 * drips' enrollments, not of their deliveries and events). A drip of another workspace gets nothing.
 */
export async function dripsStatsRollups(db: DbOrTx, args: { workspaceId: string; dripIds: string[] }): Promise<Map<string, DripStats>> {
  const { workspaceId: ws } = args
  const out = new Map<string, DripStats>(args.dripIds.map((id) => [id, { enrollments: {}, waitingByPosition: {}, positions: {}, deliveriesByStep: {}, eventsByStep: {} }]))
  if (args.dripIds.length === 0) return out
  const drips = workspaceDrips(ws, args.dripIds)
  const result = await db.execute(sql`
    WITH enrolled AS (
      SELECT sequence_id AS "dripId", status, step_position AS position, count(*) AS n FROM enrollments WHERE sequence_id IN (SELECT id FROM ${drips}) GROUP BY 1, 2, 3
    ), steps AS (${stepSums(ws, drips)})
    SELECT json_build_object(
      'enrolled', (SELECT coalesce(json_agg(e), '[]'::json) FROM enrolled e),
      'steps', (SELECT coalesce(json_agg(s), '[]'::json) FROM steps s)
    )::text AS r`)
  const raw = JSON.parse(rowsOf<{ r: string }>(result)[0]!.r) as { enrolled: Array<{ dripId: string; status: string; position: number; n: number }>; steps: StepSums[] }
  const add = (o: Record<string | number, number | undefined>, k: string | number, n: number) => (o[k] = (o[k] ?? 0) + n)
  for (const e of raw.enrolled) {
    const stats = out.get(e.dripId)!
    const n = Number(e.n)
    add(stats.enrollments, e.status, n)
    add(stats.positions, e.position, n)
    if (e.status === 'active') add(stats.waitingByPosition, e.position, n)
  }
  for (const s of raw.steps) addStepSums(out.get(s.dripId)!, s)
  return out
}

/** One drip's all-time counts (the drip page): `dripsStatsRollups` of one drip. */
export async function dripStatsRollups(db: DbOrTx, args: { workspaceId: string; dripId: string }): Promise<DripStats> {
  return (await dripsStatsRollups(db, { workspaceId: args.workspaceId, dripIds: [args.dripId] })).get(args.dripId)!
}

export type DripTotalsRollups = Pick<DripStats, 'deliveriesByStep' | 'eventsByStep'> & { enrolled: number; goalReached: number }

/**
 * The workspace overview's all-time counts of drips (decision 104), from the roll-ups alone: enrolled and
 * goal reached from the cohort roll-ups, and per step what `dripsStatsRollups` gives. No enrollment is
 * counted, so the overview reads a few hundred rows per drip whatever the drips' size.
 */
export async function dripsTotalsRollups(db: DbOrTx, args: { workspaceId: string; dripIds: string[] }): Promise<Map<string, DripTotalsRollups>> {
  const { workspaceId: ws } = args
  const out = new Map<string, DripTotalsRollups>(args.dripIds.map((id) => [id, { enrolled: 0, goalReached: 0, deliveriesByStep: {}, eventsByStep: {} }]))
  if (args.dripIds.length === 0) return out
  const drips = workspaceDrips(ws, args.dripIds)
  const result = await db.execute(sql`
    WITH cohorts AS (
      SELECT sequence_id AS "dripId", sum(enrolled) AS enrolled, sum(goal_reached) AS "goalReached" FROM drip_cohort_rollups
      WHERE workspace_id = ${ws} AND sequence_id IN (SELECT id FROM ${drips}) GROUP BY 1
    ), steps AS (${stepSums(ws, drips)})
    SELECT json_build_object(
      'cohorts', (SELECT coalesce(json_agg(c), '[]'::json) FROM cohorts c),
      'steps', (SELECT coalesce(json_agg(s), '[]'::json) FROM steps s)
    )::text AS r`)
  const raw = JSON.parse(rowsOf<{ r: string }>(result)[0]!.r) as { cohorts: Array<{ dripId: string; enrolled: number; goalReached: number }>; steps: StepSums[] }
  for (const c of raw.cohorts) Object.assign(out.get(c.dripId)!, { enrolled: Number(c.enrolled), goalReached: Number(c.goalReached) })
  for (const s of raw.steps) addStepSums(out.get(s.dripId)!, s)
  return out
}
