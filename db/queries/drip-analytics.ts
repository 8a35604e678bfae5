import { sql, type SQL } from 'drizzle-orm'
import type { DbOrTx } from '../client'

/**
 * The per-drip analytics page's numbers (docs/decisions/080-per-drip-analytics.md), in one set-based
 * statement scoped to the workspace. The cohort is the drip's enrollments started in [from, to): their
 * sends, their messages' events and the conversions attributed to their sends. The daily rows count
 * activity by its own day (in `timeZone`) within [from, to).
 */

export type DripAnalyticsRaw = {
  enrolled: number
  goalReached: number
  steps: Array<{ stepId: string; sent: number; bounced: number; softBounced: number; opened: number; clicked: number; unsubscribed: number; complained: number }>
  links: Array<{ stepId: string; url: string; clicks: number }>
  conversions: Array<{ stepId: string; currency: string | null; conversions: number; valued: number; revenue: number }>
  daily: Array<{ day: string; sends: number; opens: number; clicks: number; conversions: number }>
}

const ts = (value: Date): SQL => sql`${value.toISOString()}::timestamptz`
const SENT = sql`('published', 'needs_review')`
const SENT_AT = sql`coalesce(d.published_at, d.sending_at, d.due_at)`

export async function dripAnalyticsRows(
  db: DbOrTx,
  args: { workspaceId: string; dripId: string; from: Date; to: Date; timeZone: string; goals: string[]; attributionDays: number },
): Promise<DripAnalyticsRaw> {
  const { workspaceId: ws, dripId: drip, timeZone: tz } = args
  const from = ts(args.from)
  const to = ts(args.to)
  const result = await db.execute(sql`
    WITH cohort AS (
      SELECT id, status FROM enrollments WHERE workspace_id = ${ws} AND sequence_id = ${drip} AND started_at >= ${from} AND started_at < ${to}
    ), goals AS (
      -- Only contacts the drip enrolled can convert on it: their events, not the whole workspace's.
      SELECT g.contact_id, g.occurred_at, g.properties
      FROM (SELECT DISTINCT contact_id FROM enrollments WHERE workspace_id = ${ws} AND sequence_id = ${drip}) ec
      CROSS JOIN LATERAL (
        SELECT g.contact_id, g.occurred_at, g.properties FROM contact_events g
        WHERE g.workspace_id = ${ws} AND g.contact_id = ec.contact_id AND g.type = 'event' AND g.occurred_at < ${to}
          AND g.name IN (SELECT jsonb_array_elements_text(${JSON.stringify(args.goals)}::jsonb))
      ) g
    ), conv AS (
      -- Each goal event to the last send of this drip the contact received before it, if within the window.
      SELECT g.occurred_at, g.properties, s.step_id, s.started_at FROM goals g
      CROSS JOIN LATERAL (
        SELECT d.step_id, e.started_at, ${SENT_AT} AS sent_at FROM deliveries d JOIN enrollments e ON e.id = d.enrollment_id
        WHERE e.workspace_id = ${ws} AND e.contact_id = g.contact_id AND e.sequence_id = ${drip}
          AND d.workspace_id = ${ws} AND d.sequence_id = ${drip} AND d.state IN ${SENT} AND ${SENT_AT} <= g.occurred_at
        ORDER BY ${SENT_AT} DESC LIMIT 1
      ) s
      WHERE g.occurred_at <= s.sent_at + make_interval(days => ${args.attributionDays}::int)
    ), sent AS (
      SELECT d.step_id, count(*) AS n FROM deliveries d JOIN cohort c ON c.id = d.enrollment_id
      WHERE d.workspace_id = ${ws} AND d.sequence_id = ${drip} AND d.state IN ${SENT} AND ${SENT_AT} < ${to}
      GROUP BY d.step_id
    ), ev AS (
      -- A bounce is a hard (bounced) or a soft (soft_bounced) one; a message with both is a hard one (decision 104).
      SELECT ce.step_id, CASE WHEN ce.type = 'soft_bounced' THEN 'bounced' ELSE ce.type::text END AS type, count(DISTINCT ce.enrollment_id) AS n,
        count(DISTINCT ce.enrollment_id) - count(DISTINCT ce.enrollment_id) FILTER (WHERE ce.type = 'bounced') AS soft
      FROM contact_events ce JOIN cohort c ON c.id = ce.enrollment_id
      WHERE ce.workspace_id = ${ws} AND ce.sequence_id = ${drip} AND ce.step_id IS NOT NULL AND ce.occurred_at < ${to}
        AND ce.type IN ('opened', 'clicked', 'unsubscribed', 'bounced', 'soft_bounced', 'complained')
      GROUP BY 1, 2
    ), steps AS (
      SELECT s.step_id,
        coalesce((SELECT n FROM sent WHERE sent.step_id = s.step_id), 0) AS sent,
        coalesce(max(ev.n) FILTER (WHERE ev.type = 'bounced'), 0) AS bounced,
        coalesce(max(ev.soft) FILTER (WHERE ev.type = 'bounced'), 0) AS "softBounced",
        coalesce(max(ev.n) FILTER (WHERE ev.type = 'opened'), 0) AS opened,
        coalesce(max(ev.n) FILTER (WHERE ev.type = 'clicked'), 0) AS clicked,
        coalesce(max(ev.n) FILTER (WHERE ev.type = 'unsubscribed'), 0) AS unsubscribed,
        coalesce(max(ev.n) FILTER (WHERE ev.type = 'complained'), 0) AS complained
      FROM (SELECT step_id FROM sent UNION SELECT step_id FROM ev) s LEFT JOIN ev ON ev.step_id = s.step_id
      GROUP BY s.step_id
    ), links AS (
      SELECT ce.step_id AS "stepId", ce.properties->>'url' AS url, count(DISTINCT ce.enrollment_id) AS clicks
      FROM contact_events ce JOIN cohort c ON c.id = ce.enrollment_id
      WHERE ce.workspace_id = ${ws} AND ce.sequence_id = ${drip} AND ce.type = 'clicked' AND ce.properties ? 'url' AND ce.occurred_at < ${to}
      GROUP BY 1, 2
    ), conv_by_step AS (
      SELECT step_id AS "stepId", properties->>'currency' AS currency, count(*) AS conversions,
        count(*) FILTER (WHERE jsonb_typeof(properties->'value') = 'number') AS valued,
        coalesce(sum((properties->>'value')::float8) FILTER (WHERE jsonb_typeof(properties->'value') = 'number'), 0) AS revenue
      FROM conv WHERE started_at >= ${from} AND started_at < ${to}
      GROUP BY 1, 2
    ), daily AS (
      SELECT day::text AS day, sum(sends) AS sends, sum(opens) AS opens, sum(clicks) AS clicks, sum(conversions) AS conversions FROM (
        SELECT (${SENT_AT} AT TIME ZONE ${tz})::date AS day, count(*) AS sends, 0 AS opens, 0 AS clicks, 0 AS conversions
        FROM deliveries d WHERE d.workspace_id = ${ws} AND d.sequence_id = ${drip} AND d.enrollment_id IS NOT NULL AND d.state IN ${SENT}
          AND ${SENT_AT} >= ${from} AND ${SENT_AT} < ${to}
        GROUP BY 1
        UNION ALL
        SELECT (ce.occurred_at AT TIME ZONE ${tz})::date, 0, count(*) FILTER (WHERE ce.type = 'opened'), count(*) FILTER (WHERE ce.type = 'clicked'), 0
        FROM contact_events ce WHERE ce.workspace_id = ${ws} AND ce.sequence_id = ${drip} AND ce.type IN ('opened', 'clicked')
          AND ce.occurred_at >= ${from} AND ce.occurred_at < ${to}
        GROUP BY 1
        UNION ALL
        SELECT (occurred_at AT TIME ZONE ${tz})::date, 0, 0, 0, count(*) FROM conv WHERE occurred_at >= ${from} GROUP BY 1
      ) t GROUP BY day
    )
    SELECT json_build_object(
      'enrolled', (SELECT count(*) FROM cohort),
      'goalReached', (SELECT count(*) FROM cohort WHERE status = 'goal_reached'),
      'steps', (SELECT coalesce(json_agg(json_build_object('stepId', step_id, 'sent', sent, 'bounced', bounced, 'softBounced', "softBounced", 'opened', opened, 'clicked', clicked, 'unsubscribed', unsubscribed, 'complained', complained)), '[]'::json) FROM steps),
      'links', (SELECT coalesce(json_agg(l), '[]'::json) FROM links l),
      'conversions', (SELECT coalesce(json_agg(c), '[]'::json) FROM conv_by_step c),
      'daily', (SELECT coalesce(json_agg(t ORDER BY t.day), '[]'::json) FROM daily t)
    )::text AS r`)
  const rows = (result as { rows?: Array<{ r: string }> }).rows ?? (result as unknown as Array<{ r: string }>)
  // count(*) and sum() are JSON numbers inside json_build_object (bigint and numeric alike).
  return JSON.parse(rows[0]!.r) as DripAnalyticsRaw
}
