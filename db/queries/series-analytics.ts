import { sql } from 'drizzle-orm'
import type { DbOrTx } from '../client'
import type { PostRow } from '../../domain/series/analytics'

/**
 * The per-series analytics page's rows (docs/decisions/084-short-links-and-post-metrics.md), in one
 * statement scoped to the workspace: each post of the series published in [from, to) with its latest
 * metrics read (7 d over 24 h over 1 h) and the clicks on its short links before `to`.
 */
export async function seriesPostRows(db: DbOrTx, args: { workspaceId: string; seriesId: string; from: Date; to: Date }): Promise<PostRow[]> {
  const ws = args.workspaceId
  const from = sql`${args.from.toISOString()}::timestamptz`
  const to = sql`${args.to.toISOString()}::timestamptz`
  const result = await db.execute(sql`
    SELECT coalesce(json_agg(r ORDER BY r."publishedAt", r.network, r.handle), '[]'::json)::text AS r FROM (
      SELECT d.id AS "deliveryId", d.step_id AS "stepId", st.position, a.kind AS network, a.handle,
        to_char(d.published_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS "publishedAt", d.remote_url AS url,
        m.age AS "metricsAge",
        json_build_object('impressions', m.impressions, 'likes', m.likes, 'reposts', m.reposts, 'replies', m.replies, 'quotes', m.quotes, 'bookmarks', m.bookmarks) AS metrics,
        coalesce(c.clicks, 0) AS clicks
      FROM deliveries d
      JOIN sequence_steps st ON st.id = d.step_id AND st.workspace_id = ${ws}
      JOIN accounts a ON a.id = d.account_id AND a.workspace_id = ${ws}
      LEFT JOIN LATERAL (
        SELECT pm.age, pm.impressions, pm.likes, pm.reposts, pm.replies, pm.quotes, pm.bookmarks FROM post_metrics pm
        WHERE pm.workspace_id = ${ws} AND pm.delivery_id = d.id AND pm.state = 'done'
        ORDER BY CASE pm.age WHEN '7d' THEN 3 WHEN '24h' THEN 2 ELSE 1 END DESC LIMIT 1
      ) m ON true
      LEFT JOIN LATERAL (
        SELECT count(*) AS clicks FROM short_links sl JOIN link_clicks lc ON lc.short_link_id = sl.id
        WHERE sl.workspace_id = ${ws} AND sl.delivery_id = d.id AND lc.clicked_at < ${to}
      ) c ON true
      WHERE d.workspace_id = ${ws} AND d.sequence_id = ${args.seriesId} AND d.state = 'published' AND d.account_id IS NOT NULL
        AND d.published_at >= ${from} AND d.published_at < ${to}
    ) r`)
  const rows = (result as { rows?: Array<{ r: string }> }).rows ?? (result as unknown as Array<{ r: string }>)
  return JSON.parse(rows[0]!.r) as PostRow[]
}
