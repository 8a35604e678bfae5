import { sql, type SQL } from 'drizzle-orm'
import type { DbOrTx } from '../client'
import type { StepContent } from '../schema'
import type { PostRow } from '../../domain/series/analytics'

type PostsArgs = { workspaceId: string; seriesId: string; from: Date; to: Date }

const rowsOf = <T>(result: unknown) => (result as { rows?: T[] }).rows ?? (result as T[])

/**
 * The posts of a series published in [from, to), one row each (`rows`): network and handle, the latest
 * metrics read and the clicks on the post's short links before `to`, from its row of `post_rollups`
 * (decision 108), the engagement (likes + reposts + replies + quotes + bookmarks + clicks) and whether the
 * post was measured (read or clicked); `at` is the publishing instant to the second, the order posts are
 * listed in. A post clicked on or after `to`'s UTC day counts its clicks before `to` as decision 104 does:
 * whole days from `link_click_rollups`, the partial last day from the index on link_clicks.
 */
function postsWith(args: PostsArgs): SQL {
  const ws = args.workspaceId
  const to = sql`${args.to.toISOString()}::timestamptz`
  const toDay = sql`(${to} AT TIME ZONE 'UTC')::date`
  return sql`
    WITH posts AS MATERIALIZED (
      SELECT d.id, d.step_id, a.kind AS network, a.handle, d.published_at, date_trunc('second', d.published_at) AS at, d.remote_url,
        p.age, p.impressions, p.likes, p.reposts, p.replies, p.quotes, p.bookmarks,
        CASE WHEN p.last_click_day IS NULL THEN coalesce(p.clicks, 0) WHEN p.last_click_day < ${toDay} THEN p.clicks ELSE (
          SELECT coalesce(sum(CASE WHEN r.day < ${toDay} THEN r.clicks ELSE (SELECT count(*) FROM link_clicks lc WHERE lc.short_link_id = sl.id
              AND lc.clicked_at >= ${toDay}::timestamp AT TIME ZONE 'UTC' AND lc.clicked_at < ${to}) END), 0)
          FROM short_links sl JOIN link_click_rollups r ON r.short_link_id = sl.id AND r.day <= ${toDay}
          WHERE sl.delivery_id = d.id AND sl.workspace_id = ${ws}) END::bigint AS clicks
      FROM deliveries d
      JOIN accounts a ON a.id = d.account_id AND a.workspace_id = ${ws}
      LEFT JOIN post_rollups p ON p.delivery_id = d.id AND p.sequence_id = ${args.seriesId}
      WHERE d.workspace_id = ${ws} AND d.sequence_id = ${args.seriesId} AND d.state = 'published' AND d.account_id IS NOT NULL
        AND d.published_at >= ${args.from.toISOString()}::timestamptz AND d.published_at < ${to}
    ), rows AS (
      SELECT posts.*, coalesce(likes, 0)::bigint + coalesce(reposts, 0) + coalesce(replies, 0) + coalesce(quotes, 0) + coalesce(bookmarks, 0) + clicks AS engagement,
        (age IS NOT NULL OR clicks > 0) AS measured
      FROM posts
    )`
}

/** One row of `rows` as a ShownPost: a PostRow with its step's content. */
const postJson = sql`json_build_object('deliveryId', r.id, 'stepId', r.step_id, 'position', (SELECT st.position FROM sequence_steps st WHERE st.id = r.step_id), 'network', r.network, 'handle', r.handle,
  'publishedAt', to_char(r.published_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), 'url', r.remote_url, 'metricsAge', r.age,
  'metrics', json_build_object('impressions', r.impressions, 'likes', r.likes, 'reposts', r.reposts, 'replies', r.replies, 'quotes', r.quotes, 'bookmarks', r.bookmarks),
  'clicks', r.clicks, 'content', (SELECT st.content FROM sequence_steps st WHERE st.id = r.step_id))`
/** The page's order of posts: by publishing time (to the second), network and account. */
const LISTED = sql`r.at, r.network, r.handle, r.id`
/** The least engaging first, ties to the later post: the best's order reversed. */
const LEAST = sql`r.engagement, r.at DESC, r.network DESC, r.handle DESC, r.id DESC`

/**
 * Every post of a series published in [from, to) (docs/decisions/084-short-links-and-post-metrics.md), in
 * one statement scoped to the workspace: each with its latest metrics read (7 d over 24 h over 1 h) and the
 * clicks on its short links before `to` (the whole UTC days from `link_click_rollups`, the rest from the
 * index on link_clicks: decision 104). The CSV export, and the oracle of `seriesAnalyticsSummary` (the
 * statement the page ran until decision 108, written apart from it).
 */
export async function seriesPostRows(db: DbOrTx, args: PostsArgs): Promise<PostRow[]> {
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
  return JSON.parse(rowsOf<{ r: string }>(result)[0]!.r) as PostRow[]
}

export type NetworkSums = { network: string; posts: number; clicks: number; engagement: number } & Record<'impressions' | 'likes' | 'reposts' | 'replies' | 'quotes' | 'bookmarks', number | null>
export type SeriesSummary = {
  posts: number
  /** Per network, in the order networks first appear in the listed posts; a metric no post reports is null. */
  networks: NetworkSums[]
  /** Posts and engagement by the weekday (0 = Monday) and hour of publishing in the series' zone: the cells with posts. */
  heatMap: Array<{ weekday: number; hour: number; posts: number; engagement: number }>
  best: ShownPost[]
  worst: ShownPost[]
  /** The listed posts from `offset`, at most `limit`. */
  page: ShownPost[]
}
/** A post the page shows, with its step's content (for the text its network published). */
export type ShownPost = PostRow & { content: StepContent }

/**
 * The series analytics page's numbers grouped in the database (decision 108): the post count, the sums
 * per network, the heat map in the series' zone, the `count` most and least engaging measured posts (as
 * domain/series/analytics.ts's bestAndWorst ranks them) and one page of the listed posts, each with its
 * step's content. Only the shown posts leave the database, whatever the number of posts in the period.
 */
export async function seriesAnalyticsSummary(db: DbOrTx, args: PostsArgs & { offset: number; limit: number; count?: number }): Promise<SeriesSummary> {
  const count = args.count ?? 3
  const result = await db.execute(sql`${postsWith(args)}, shown AS (
      -- As bestAndWorst: the best are at most half the measured posts (rounded up), the worst the rest's last.
      SELECT least(${count}, ceil(count(*) / 2.0))::int AS best, count(*) AS measured FROM rows WHERE measured
    )
    SELECT json_build_object(
      'posts', (SELECT count(*) FROM rows),
      'networks', (SELECT coalesce(json_agg(json_build_object('network', n.network, 'posts', n.posts, 'clicks', n.clicks, 'engagement', n.engagement,
          'impressions', n.impressions, 'likes', n.likes, 'reposts', n.reposts, 'replies', n.replies, 'quotes', n.quotes, 'bookmarks', n.bookmarks) ORDER BY n.first, n.network), '[]'::json)
        FROM (SELECT r.network, min(r.at) AS first, count(*) AS posts, sum(r.clicks) AS clicks, sum(r.engagement) AS engagement, sum(r.impressions) AS impressions,
          sum(r.likes) AS likes, sum(r.reposts) AS reposts, sum(r.replies) AS replies, sum(r.quotes) AS quotes, sum(r.bookmarks) AS bookmarks FROM rows r GROUP BY r.network) n),
      'heatMap', (SELECT coalesce(json_agg(json_build_object('weekday', h.weekday, 'hour', h.hour, 'posts', h.posts, 'engagement', h.engagement) ORDER BY h.weekday, h.hour), '[]'::json)
        FROM (SELECT extract(isodow FROM l.at)::int - 1 AS weekday, extract(hour FROM l.at)::int AS hour, count(*) AS posts, sum(l.engagement) AS engagement
          FROM (SELECT r.published_at AT TIME ZONE (SELECT s.timezone FROM sequences s WHERE s.id = ${args.seriesId}) AS at, r.engagement FROM rows r) l GROUP BY 1, 2) h),
      'best', (SELECT coalesce(json_agg(${postJson} ORDER BY r.engagement DESC, ${LISTED}), '[]'::json) FROM (
        SELECT * FROM rows r WHERE r.measured ORDER BY r.engagement DESC, ${LISTED} LIMIT (SELECT best FROM shown)) r),
      'worst', (SELECT coalesce(json_agg(${postJson} ORDER BY ${LEAST}), '[]'::json) FROM (
        SELECT * FROM rows r WHERE r.measured ORDER BY ${LEAST} LIMIT (SELECT least(${count}, measured - best) FROM shown)) r),
      'page', (SELECT coalesce(json_agg(${postJson} ORDER BY ${LISTED}), '[]'::json) FROM (
        SELECT * FROM rows r ORDER BY ${LISTED} OFFSET ${args.offset} LIMIT ${args.limit}) r)
    )::text AS r`)
  return JSON.parse(rowsOf<{ r: string }>(result)[0]!.r) as SeriesSummary
}

/**
 * Per series, the totals the campaign funnel shows (decision 108): posts published in [from, to), the
 * impressions of their latest reads and their clicks before `to`.
 */
export async function seriesTotals(db: DbOrTx, args: PostsArgs): Promise<{ posts: number; impressions: number; clicks: number }> {
  const result = await db.execute(sql`${postsWith(args)}
    SELECT count(*)::int AS posts, coalesce(sum(r.impressions), 0)::bigint AS impressions, coalesce(sum(r.clicks), 0)::bigint AS clicks FROM rows r`)
  const row = rowsOf<{ posts: number | string; impressions: number | string; clicks: number | string }>(result)[0]!
  return { posts: Number(row.posts), impressions: Number(row.impressions), clicks: Number(row.clicks) }
}

