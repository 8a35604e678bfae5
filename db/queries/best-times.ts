import { sql } from 'drizzle-orm'
import type { DbOrTx } from '../client'
import type { MeasuredPost } from '../../domain/queue/best-times'

/**
 * Best-time suggestions' input (decision 101), one statement scoped to the workspace: each post the
 * account published since `since` whose 24 h metrics were read, with its engagement then — likes,
 * reposts, replies, quotes and bookmarks at the 24 h reading plus the short-link clicks by people in
 * its first 24 hours (the engagement the analytics pages count, domain/series/analytics.ts).
 */
export async function listMeasuredPosts(db: DbOrTx, args: { workspaceId: string; accountId: string; since: Date }): Promise<MeasuredPost[]> {
  const ws = args.workspaceId
  const result = await db.execute(sql`
    SELECT coalesce(json_agg(json_build_object('publishedAt', r.published_at, 'engagement', r.engagement) ORDER BY r.published_at), '[]'::json)::text AS r FROM (
      SELECT to_char(d.published_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS published_at,
        coalesce(pm.likes, 0) + coalesce(pm.reposts, 0) + coalesce(pm.replies, 0) + coalesce(pm.quotes, 0) + coalesce(pm.bookmarks, 0) + coalesce(c.clicks, 0) AS engagement
      FROM deliveries d
      JOIN post_metrics pm ON pm.workspace_id = ${ws} AND pm.delivery_id = d.id AND pm.age = '24h' AND pm.state = 'done'
      LEFT JOIN LATERAL (
        SELECT count(*)::int AS clicks FROM short_links sl JOIN link_clicks lc ON lc.short_link_id = sl.id
        WHERE sl.workspace_id = ${ws} AND sl.delivery_id = d.id AND lc.clicked_at < d.published_at + interval '24 hours'
      ) c ON true
      WHERE d.workspace_id = ${ws} AND d.account_id = ${args.accountId} AND d.state = 'published'
        AND d.published_at >= ${args.since.toISOString()}::timestamptz
    ) r`)
  const rows = (result as { rows?: Array<{ r: string }> }).rows ?? (result as unknown as Array<{ r: string }>)
  return (JSON.parse(rows[0]!.r) as Array<{ publishedAt: string; engagement: number }>).map((p) => ({ publishedAt: new Date(p.publishedAt), engagement: Number(p.engagement) }))
}
