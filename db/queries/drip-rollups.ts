import { sql } from 'drizzle-orm'
import type { DbOrTx } from '../client'
import type { DripAnalyticsRaw } from './drip-analytics'

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
      SELECT step_id AS "stepId", sum(sent) AS sent, sum(bounced) AS bounced, sum(soft_bounced) AS "softBounced", sum(opened) AS opened,
        sum(clicked) AS clicked, sum(unsubscribed) AS unsubscribed, sum(complained) AS complained
      FROM drip_rollups WHERE workspace_id = ${ws} AND sequence_id = ${drip} AND cohort_day >= ${from} AND cohort_day < ${to} AND activity_day < ${to}
      GROUP BY step_id
      HAVING sum(sent) + sum(bounced) + sum(opened) + sum(clicked) + sum(unsubscribed) + sum(complained) > 0
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
  const rows = (result as { rows?: Array<{ r: string }> }).rows ?? (result as unknown as Array<{ r: string }>)
  return JSON.parse(rows[0]!.r) as DripAnalyticsRaw
}

/** Recompute one drip's roll-ups from its raw rows (what the migration's backfill ran for every drip). */
export async function rebuildDripRollups(db: DbOrTx, args: { dripId: string }) {
  await db.execute(sql`SELECT drip_rollups_rebuild(${args.dripId}::uuid)`)
}
