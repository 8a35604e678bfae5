import { sql } from 'drizzle-orm'
import type { DbOrTx } from '../client'
import type { PostRow } from '../../domain/series/analytics'

/**
 * The per-series analytics page's rows (docs/decisions/084-short-links-and-post-metrics.md), in one
 * statement scoped to the workspace: each post of the series published in [from, to) with its latest
 * metrics read (7 d over 24 h over 1 h) and the clicks on its short links before `to` (the whole UTC days
 * from `link_click_rollups`, the rest from the index on link_clicks: decision 104).
 */
export async function seriesPostRows(db: DbOrTx, args: { workspaceId: string; seriesId: string; from: Date; to: Date }): Promise<PostRow[]> {
  const ws = args.workspaceId
  const from = sql`${args.from.toISOString()}::timestamptz`
  const to = sql`${args.to.toISOString()}::timestamptz`
  // The period's end as a UTC day and that day's start: whole days before it come from link_click_rollups,
  // the partial day from the index on link_clicks, probed only for the links clicked that day (decision 104).
  const toDay = sql`(${to} AT TIME ZONE 'UTC')::date`
  const result = await db.execute(sql`
    WITH posts AS (
      SELECT d.id, d.step_id, d.account_id, d.published_at, d.remote_url FROM deliveries d
      WHERE d.workspace_id = ${ws} AND d.sequence_id = ${args.seriesId} AND d.state = 'published' AND d.account_id IS NOT NULL
        AND d.published_at >= ${from} AND d.published_at < ${to}
    ), metrics AS (
      -- Each post's latest read: 7 d over 24 h over 1 h.
      SELECT DISTINCT ON (pm.delivery_id) pm.delivery_id, pm.age, pm.impressions, pm.likes, pm.reposts, pm.replies, pm.quotes, pm.bookmarks
      FROM post_metrics pm JOIN posts p ON p.id = pm.delivery_id
      WHERE pm.workspace_id = ${ws} AND pm.state = 'done'
      ORDER BY pm.delivery_id, CASE pm.age WHEN '7d' THEN 3 WHEN '24h' THEN 2 ELSE 1 END DESC
    ), links AS (
      SELECT sl.id, sl.delivery_id FROM short_links sl JOIN posts p ON p.id = sl.delivery_id
      WHERE sl.workspace_id = ${ws} AND sl.sequence_id = ${args.seriesId}
    ), clicks AS (
      SELECT delivery_id, sum(n) AS clicks FROM (
        SELECT l.delivery_id, r.clicks AS n FROM links l JOIN link_click_rollups r ON r.short_link_id = l.id AND r.day < ${toDay}
        UNION ALL
        SELECT l.delivery_id, (SELECT count(*) FROM link_clicks lc WHERE lc.short_link_id = l.id
            AND lc.clicked_at >= ${toDay}::timestamp AT TIME ZONE 'UTC' AND lc.clicked_at < ${to})
        FROM links l JOIN link_click_rollups r ON r.short_link_id = l.id AND r.day = ${toDay}
      ) t GROUP BY 1
    )
    SELECT coalesce(json_agg(r ORDER BY r."publishedAt", r.network, r.handle), '[]'::json)::text AS r FROM (
      SELECT d.id AS "deliveryId", d.step_id AS "stepId", st.position, a.kind AS network, a.handle,
        to_char(d.published_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS "publishedAt", d.remote_url AS url,
        m.age AS "metricsAge",
        json_build_object('impressions', m.impressions, 'likes', m.likes, 'reposts', m.reposts, 'replies', m.replies, 'quotes', m.quotes, 'bookmarks', m.bookmarks) AS metrics,
        coalesce(c.clicks, 0) AS clicks
      FROM posts d
      JOIN sequence_steps st ON st.id = d.step_id AND st.workspace_id = ${ws}
      JOIN accounts a ON a.id = d.account_id AND a.workspace_id = ${ws}
      LEFT JOIN metrics m ON m.delivery_id = d.id
      LEFT JOIN clicks c ON c.delivery_id = d.id
    ) r`)
  const rows = (result as { rows?: Array<{ r: string }> }).rows ?? (result as unknown as Array<{ r: string }>)
  return JSON.parse(rows[0]!.r) as PostRow[]
}
