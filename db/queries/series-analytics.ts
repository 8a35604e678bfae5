import { sql, type SQL } from 'drizzle-orm'
import type { DbOrTx } from '../client'
import { executePrepared } from './prepared'
import { POST_SLOT_MINUTES, type StepContent } from '../schema'
import type { PostRow } from '../../domain/series/analytics'

type PostsArgs = { workspaceId: string; seriesId: string; from: Date; to: Date }

const rowsOf = <T>(result: unknown) => (result as { rows?: T[] }).rows ?? (result as T[])
const SLOT_MS = POST_SLOT_MINUTES * 60_000
const at = (ms: number) => sql`${new Date(ms).toISOString()}::timestamptz`

/**
 * The period cut at `post_slot_rollups`' slots (decision 114; the folded rows and the changes, decision 116): the whole slots [slotsFrom, slotsTo) are read
 * from the roll-up, the partial ones at either end ([from, headTo) and [tailFrom, to), possibly empty) post by post.
 */
function periodSlots(args: PostsArgs) {
  const from = args.from.getTime()
  const to = args.to.getTime()
  const first = Math.ceil(from / SLOT_MS) * SLOT_MS
  const last = Math.floor(to / SLOT_MS) * SLOT_MS
  return {
    from: at(from),
    to: at(to),
    slotsFrom: at(first),
    slotsTo: at(Math.max(first, last)),
    headTo: at(Math.min(first, to)),
    tailFrom: at(Math.max(first, last)),
    toDay: sql`(${at(to)} AT TIME ZONE 'UTC')::date`,
  }
}

/**
 * A post's clicks before `to` from its `post_rollups` row `p`: its roll-up's count unless it was clicked on or
 * after `to`'s UTC day; then whole days from `link_click_rollups`, the partial last day from the index on
 * link_clicks (decision 104).
 */
function clicksBefore(ws: string, b: ReturnType<typeof periodSlots>): SQL {
  return sql`CASE WHEN p.last_click_day IS NULL OR p.last_click_day < ${b.toDay} THEN p.clicks ELSE (
    SELECT coalesce(sum(CASE WHEN r.day < ${b.toDay} THEN r.clicks ELSE (SELECT count(*) FROM link_clicks lc WHERE lc.short_link_id = sl.id
        AND lc.clicked_at >= ${b.toDay}::timestamp AT TIME ZONE 'UTC' AND lc.clicked_at < ${b.to}) END), 0)
    FROM short_links sl JOIN link_click_rollups r ON r.short_link_id = sl.id AND r.day <= ${b.toDay}
    WHERE sl.delivery_id = p.delivery_id AND sl.workspace_id = ${ws}) END::int`
}

const METRICS = ['impressions', 'likes', 'reposts', 'replies', 'quotes', 'bookmarks'] as const
const metricColumns = (pick: (m: string) => string) => sql.raw(METRICS.map(pick).join(', '))

const SLOT_COLUMNS = sql.raw(`network, slot, posts, measured, ${METRICS.map((m) => `${m}, reported_${m}`).join(', ')}, clicks, engagement`)
/**
 * The whole slots' rows of one table: the folded rows, or the changes not yet folded (decision 116). The page
 * sums both in its snapshot, so it counts every committed publish, read and click whether or not a fold ran.
 */
const slotRows = (table: 'post_slot_rollups_folded' | 'post_slot_changes', b: ReturnType<typeof periodSlots>) =>
  sql`SELECT ${SLOT_COLUMNS} FROM ${sql.raw(table)} WHERE sequence_id = (SELECT id FROM series) AND slot >= ${b.slotsFrom} AND slot < ${b.slotsTo}`

/**
 * `series` (the series, scoped to the workspace), `exact` (a row per post read one by one: the posts of the
 * partial slots, and those of whole slots clicked on or after `to`'s UTC day, with their clicks before `to`;
 * `whole` marks the latter) and `cells`: per network and instant, the period's posts, measured posts, metric
 * sums, posts reporting each metric, clicks and engagement: a row per whole slot (`slot`), a row per partial
 * slot's post, and a correction per whole slot's post clicked since (posts 0; its clicks after `to` taken off).
 */
function cellsWith(args: PostsArgs, b: ReturnType<typeof periodSlots>): SQL {
  const ws = args.workspaceId
  const exactFrom = (range: SQL) => sql`SELECT p.* FROM post_rollups p WHERE p.sequence_id = (SELECT id FROM series) AND p.posted AND ${range}`
  return sql`
    WITH series AS MATERIALIZED (SELECT s.id, s.timezone FROM sequences s WHERE s.id = ${args.seriesId} AND s.workspace_id = ${ws}),
    exact AS MATERIALIZED (
      SELECT e.*, e.exact_clicks - e.clicks + e.engagement AS exact_engagement, (e.age IS NOT NULL OR e.exact_clicks > 0) AS exact_measured,
        (e.age IS NOT NULL OR e.clicks > 0) AS all_measured, e.published_at >= ${b.slotsFrom} AND e.published_at < ${b.slotsTo} AS whole
      FROM (SELECT p.*, ${clicksBefore(ws, b)} AS exact_clicks FROM (
        ${exactFrom(sql`p.published_at >= ${b.from} AND p.published_at < ${b.headTo}`)}
        UNION ALL ${exactFrom(sql`p.published_at >= ${b.tailFrom} AND p.published_at < ${b.to}`)}
        UNION ALL ${exactFrom(sql`p.last_click_day IS NOT NULL AND p.last_click_day >= ${b.toDay} AND p.published_at >= ${b.slotsFrom} AND p.published_at < ${b.slotsTo}`)}
      ) p) e
    ), cells AS (
      SELECT true AS slot, c.network, c.slot AS at, sum(c.posts) AS posts, sum(c.measured) AS measured,
        ${metricColumns((m) => `sum(c.${m}) AS ${m}, sum(c.reported_${m}) AS reported_${m}`)}, sum(c.clicks) AS clicks, sum(c.engagement) AS engagement
      FROM (${slotRows('post_slot_rollups_folded', b)} UNION ALL ${slotRows('post_slot_changes', b)}) c GROUP BY c.network, c.slot
      UNION ALL
      SELECT false, e.network, e.published_at, (NOT e.whole)::int, e.exact_measured::int - CASE WHEN e.whole THEN e.all_measured::int ELSE 0 END,
        ${metricColumns((m) => `CASE WHEN e.whole THEN 0 ELSE coalesce(e.${m}, 0) END, CASE WHEN e.whole THEN 0 ELSE (e.${m} IS NOT NULL)::int END`)},
        e.exact_clicks - CASE WHEN e.whole THEN e.clicks ELSE 0 END, e.exact_engagement - CASE WHEN e.whole THEN e.engagement ELSE 0 END
      FROM exact e
    )`
}

/** A shown post as JSON from `p` (its post_rollups row), `d` (its delivery), `a` (its account) and `st` (its step). */
const postJson = sql`json_build_object('deliveryId', d.id, 'stepId', d.step_id, 'position', st.position, 'network', a.kind, 'handle', a.handle,
  'publishedAt', to_char(d.published_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), 'url', d.remote_url, 'metricsAge', p.age,
  'metrics', json_build_object('impressions', p.impressions, 'likes', p.likes, 'reposts', p.reposts, 'replies', p.replies, 'quotes', p.quotes, 'bookmarks', p.bookmarks),
  'clicks', c.clicks, 'content', st.content)`
/** The posts of a list (`id`, `clicks`, `rank`) as a JSON array in rank order: only these are read with their deliveries and steps. */
const shownJson = (list: string) => sql`(SELECT coalesce(json_agg(${postJson} ORDER BY c.rank), '[]'::json) FROM ${sql.raw(list)} c
  JOIN post_rollups p ON p.delivery_id = c.id JOIN deliveries d ON d.id = c.id JOIN accounts a ON a.id = d.account_id JOIN sequence_steps st ON st.id = d.step_id)`

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
 * The series analytics page's numbers grouped in the database (decisions 108, 114): the post count, the sums
 * per network, the heat map in the series' zone, the `count` most and least engaging measured posts (as
 * domain/series/analytics.ts's bestAndWorst ranks them) and one page of the listed posts, each with its
 * step's content. The totals, networks and heat map come from the slot roll-ups (folded and not yet: a row per network and
 * whole 15-minute slot of the period) and a row per post only for the partial slots at its ends and the posts
 * clicked on or after its last UTC day; the best and worst come from `post_rollups_engagement_idx` (the top
 * and bottom of the ranking, with the posts read one by one), the listed page from `post_rollups_published_idx`.
 * Only the shown posts are read with their deliveries, whatever the number of posts in the period.
 */
export async function seriesAnalyticsSummary(db: DbOrTx, args: PostsArgs & { offset: number; limit: number; count?: number }): Promise<SeriesSummary> {
  const count = args.count ?? 3
  const b = periodSlots(args)
  const ws = args.workspaceId
  const inSeries = sql`p.sequence_id = (SELECT id FROM series) AND p.posted`
  // The measured posts of the whole slots not clicked since the period's last UTC day: their roll-up's engagement is the period's.
  const ranked = sql`${inSeries} AND (p.age IS NOT NULL OR p.clicks > 0) AND (p.last_click_day IS NULL OR p.last_click_day < ${b.toDay})
    AND p.published_at >= ${b.slotsFrom} AND p.published_at < ${b.slotsTo}`
  // A side of the ranking: the posts read one by one, and from the index the posts up to the n-th in index order plus
  // the rest of its second (the page ranks posts of one second by network, account and id).
  const side = (name: 'best' | 'worst', order: SQL, cut: SQL, within: SQL) => sql`${sql.raw(name)}_cut AS (${cut}), ${sql.raw(name)} AS (
      SELECT x.id, x.clicks, row_number() OVER (ORDER BY ${order}) AS rank FROM (
        SELECT e.delivery_id AS id, e.exact_clicks AS clicks, e.exact_engagement AS engagement, e.published_at, e.account_id FROM exact e WHERE e.exact_measured
        UNION ALL
        SELECT p.delivery_id, p.clicks, p.engagement, p.published_at, p.account_id FROM post_rollups p WHERE ${ranked} AND ${within}
      ) x JOIN accounts a ON a.id = x.account_id
      ORDER BY rank LIMIT (SELECT ${sql.raw(name)} FROM shown)
    )`
  const cut = (name: string, order: SQL) =>
    sql`SELECT p.engagement AS e, p.published_at AS t FROM post_rollups p WHERE ${ranked} ORDER BY ${order} OFFSET greatest((SELECT ${sql.raw(name)} FROM shown) - 1, 0) LIMIT 1`
  const MIN = sql`-2147483648`
  const MAX = sql`2147483647`
  // Prepared (decision 114): postgres.js parses and plans the statement once per connection; the text is the same for every call.
  const result = await executePrepared(db, sql`${cellsWith(args, b)}, shown AS (
      -- As bestAndWorst: the best are at most half the measured posts (rounded up), the worst the rest's last.
      SELECT x.best, least(${count}, x.measured - x.best)::int AS worst FROM (
        SELECT least(${count}, ceil(m.measured / 2.0))::int AS best, m.measured FROM (SELECT coalesce(sum(c.measured), 0) AS measured FROM cells c) m) x
    ), ${side(
      'best',
      sql`x.engagement DESC, date_trunc('second', x.published_at), a.kind, a.handle, x.id`,
      cut('best', sql`p.engagement DESC, p.published_at`),
      sql`p.engagement >= coalesce((SELECT e FROM best_cut), ${MIN}) AND (p.engagement > coalesce((SELECT e FROM best_cut), ${MIN})
        OR p.published_at < coalesce(date_trunc('second', (SELECT t FROM best_cut)) + interval '1 second', 'infinity'))`,
    )}, ${side(
      'worst',
      sql`x.engagement, date_trunc('second', x.published_at) DESC, a.kind DESC, a.handle DESC, x.id DESC`,
      cut('worst', sql`p.engagement, p.published_at DESC`),
      sql`p.engagement <= coalesce((SELECT e FROM worst_cut), ${MAX}) AND (p.engagement < coalesce((SELECT e FROM worst_cut), ${MAX})
        OR p.published_at >= coalesce(date_trunc('second', (SELECT t FROM worst_cut)), '-infinity'))`,
    )}, page_cut AS (
      -- The listed page: the posts up to the last one shown in publishing order, and the rest of its second.
      SELECT p.published_at AS t FROM post_rollups p WHERE ${inSeries} AND p.published_at >= ${b.from} AND p.published_at < ${b.to}
      ORDER BY p.published_at OFFSET ${args.offset + args.limit - 1} LIMIT 1
    ), page AS (
      SELECT p.id, ${clicksBefore(ws, b)} AS clicks, p.rank FROM (
        SELECT p.*, p.delivery_id AS id, row_number() OVER (ORDER BY date_trunc('second', p.published_at), a.kind, a.handle, p.delivery_id) AS rank
        FROM post_rollups p JOIN accounts a ON a.id = p.account_id
        WHERE ${inSeries} AND p.published_at >= ${b.from} AND p.published_at < least(${b.to}, date_trunc('second', (SELECT t FROM page_cut)) + interval '1 second')
      ) p WHERE p.rank > ${args.offset} ORDER BY p.rank LIMIT ${args.limit}
    ), networks AS (
      SELECT n.*, least(n.first_post, (SELECT min(date_trunc('second', p.published_at)) FROM post_rollups p WHERE ${inSeries} AND p.network = n.network
          AND p.published_at >= n.first_slot AND p.published_at < n.first_slot + interval '${sql.raw(String(POST_SLOT_MINUTES))} minutes')) AS first
      FROM (
        SELECT c.network, min(date_trunc('second', c.at)) FILTER (WHERE NOT c.slot AND c.posts > 0) AS first_post, min(c.at) FILTER (WHERE c.slot AND c.posts > 0) AS first_slot,
          sum(c.posts) AS posts, sum(c.clicks) AS clicks, sum(c.engagement) AS engagement,
          ${metricColumns((m) => `CASE WHEN sum(c.reported_${m}) > 0 THEN sum(c.${m}) END AS ${m}`)}
        FROM cells c GROUP BY c.network HAVING sum(c.posts) > 0
      ) n
    )
    SELECT json_build_object(
      'posts', (SELECT coalesce(sum(c.posts), 0) FROM cells c),
      'networks', (SELECT coalesce(json_agg(json_build_object('network', n.network, 'posts', n.posts, 'clicks', n.clicks, 'engagement', n.engagement,
          'impressions', n.impressions, 'likes', n.likes, 'reposts', n.reposts, 'replies', n.replies, 'quotes', n.quotes, 'bookmarks', n.bookmarks) ORDER BY n.first, n.network), '[]'::json)
        FROM networks n),
      'heatMap', (SELECT coalesce(json_agg(json_build_object('weekday', h.weekday, 'hour', h.hour, 'posts', h.posts, 'engagement', h.engagement) ORDER BY h.weekday, h.hour), '[]'::json)
        FROM (SELECT extract(isodow FROM l.at)::int - 1 AS weekday, extract(hour FROM l.at)::int AS hour, sum(l.posts) AS posts, sum(l.engagement) AS engagement
          FROM (SELECT c.at AT TIME ZONE (SELECT timezone FROM series) AS at, c.posts, c.engagement FROM cells c) l GROUP BY 1, 2 HAVING sum(l.posts) > 0) h),
      'best', ${shownJson('best')},
      'worst', ${shownJson('worst')},
      'page', ${shownJson('page')}
    )::text AS r`)
  return JSON.parse(rowsOf<{ r: string }>(result)[0]!.r) as SeriesSummary
}

/**
 * Per series, the totals the campaign funnel shows (decision 108): posts published in [from, to), the
 * impressions of their latest reads and their clicks before `to`.
 */
export async function seriesTotals(db: DbOrTx, args: PostsArgs): Promise<{ posts: number; impressions: number; clicks: number }> {
  const result = await executePrepared(db, sql`${cellsWith(args, periodSlots(args))}
    SELECT coalesce(sum(c.posts), 0)::int AS posts, coalesce(sum(c.impressions), 0)::bigint AS impressions, coalesce(sum(c.clicks), 0)::bigint AS clicks FROM cells c`)
  const row = rowsOf<{ posts: number | string; impressions: number | string; clicks: number | string }>(result)[0]!
  return { posts: Number(row.posts), impressions: Number(row.impressions), clicks: Number(row.clicks) }
}

/**
 * Fold the committed `post_slot_changes` into `post_slot_rollups_folded` (decision 116): one transaction,
 * serialized across processes (a call finding a fold running returns 0). Readers sum both sides, so this only
 * bounds how many changes a page reads; run by the reconciler's passes and the metrics job.
 */
export async function foldPostSlotChanges(db: DbOrTx): Promise<number> {
  const result = await db.execute(sql`SELECT post_slot_rollups_fold() AS n`)
  return Number(rowsOf<{ n: number | string }>(result)[0]!.n)
}
