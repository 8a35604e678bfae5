/**
 * Per-series analytics, pure (docs/decisions/084-short-links-and-post-metrics.md): each published
 * post's latest metrics and short-link clicks, totals per network, the best and worst posts, and the
 * posting-time heat map (weekday × hour in the series' zone). Rows come from
 * db/queries/series-analytics.ts.
 */
import { toCsv } from '../email/csv'
import { instantToWall } from '../timing/zone'

export const METRIC_NAMES = ['impressions', 'likes', 'reposts', 'replies', 'quotes', 'bookmarks'] as const
export type MetricName = (typeof METRIC_NAMES)[number]
/** A count the network does not report (or that was not read yet) is null, never 0. */
export type MetricValues = Record<MetricName, number | null>

export type PostRow = {
  deliveryId: string
  stepId: string
  position: number
  network: string
  handle: string
  publishedAt: string
  url: string | null
  /** The age of the latest read (`1h`, `24h`, `7d`), null before the first. */
  metricsAge: string | null
  metrics: MetricValues
  clicks: number
}

export type PostAnalytics = PostRow & {
  text: string
  /** Likes + reposts + replies + quotes + bookmarks + short-link clicks (impressions are reach, not engagement). */
  engagement: number
  /** Engagement of impressions, where the network reports impressions. */
  engagementRate: number | null
}

export type NetworkTotals = { network: string; posts: number; clicks: number; engagement: number } & MetricValues

export type HeatCell = { weekday: number; hour: number; posts: number; engagement: number; /** per post */ average: number }

export const WEEKDAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'] as const

const DAY = 86_400_000
const HOUR = 3_600_000

export function engagementOf(row: Pick<PostRow, 'metrics' | 'clicks'>): number {
  const m = row.metrics
  return (m.likes ?? 0) + (m.reposts ?? 0) + (m.replies ?? 0) + (m.quotes ?? 0) + (m.bookmarks ?? 0) + row.clicks
}

export function postAnalytics(rows: PostRow[], textOf: (row: PostRow) => string): PostAnalytics[] {
  return rows.map((row) => {
    const engagement = engagementOf(row)
    const impressions = row.metrics.impressions
    return { ...row, text: textOf(row), engagement, engagementRate: impressions ? engagement / impressions : null }
  })
}

const addNullable = (a: number | null, b: number | null) => (a === null && b === null ? null : (a ?? 0) + (b ?? 0))

/** Sums per network (a metric no post of the network reports stays null), in the order networks first appear. */
export function totalsByNetwork(posts: PostAnalytics[]): NetworkTotals[] {
  const by = new Map<string, NetworkTotals>()
  for (const p of posts) {
    const t = by.get(p.network) ?? { network: p.network, posts: 0, clicks: 0, engagement: 0, impressions: null, likes: null, reposts: null, replies: null, quotes: null, bookmarks: null }
    t.posts++
    t.clicks += p.clicks
    t.engagement += p.engagement
    for (const name of METRIC_NAMES) t[name] = addNullable(t[name], p.metrics[name])
    by.set(p.network, t)
  }
  return [...by.values()]
}

/**
 * The `count` most and least engaging posts among those whose metrics were read (or that were clicked).
 * Ties go to the earlier post. With fewer than 2 × count such posts the lists share none: each post is
 * in at most one of them.
 */
export function bestAndWorst(posts: PostAnalytics[], count = 3): { best: PostAnalytics[]; worst: PostAnalytics[] } {
  const measured = posts.filter((p) => p.metricsAge !== null || p.clicks > 0)
  const ordered = [...measured].sort((a, b) => b.engagement - a.engagement || a.publishedAt.localeCompare(b.publishedAt))
  const best = ordered.slice(0, Math.min(count, Math.ceil(ordered.length / 2)))
  const rest = ordered.slice(best.length)
  const worst = rest.slice(-Math.min(count, rest.length)).reverse()
  return { best, worst }
}

/** Weekday (0 = Monday) and hour of an instant in `zone`. */
export function weekdayHour(zone: string, at: number): { weekday: number; hour: number } {
  const wall = instantToWall(zone, at)
  const day = Math.floor(wall / DAY)
  // Day 0 (1970-01-01) was a Thursday.
  return { weekday: (((day + 3) % 7) + 7) % 7, hour: Math.floor((wall - day * DAY) / HOUR) }
}

/** Engagement by the weekday and hour each post went out, in the series' zone: the cells with posts. */
export function heatMap(posts: PostAnalytics[], zone: string): HeatCell[] {
  const cells = new Map<string, HeatCell>()
  for (const p of posts) {
    const { weekday, hour } = weekdayHour(zone, Date.parse(p.publishedAt))
    const key = `${weekday}:${hour}`
    const cell = cells.get(key) ?? { weekday, hour, posts: 0, engagement: 0, average: 0 }
    cell.posts++
    cell.engagement += p.engagement
    cell.average = cell.engagement / cell.posts
    cells.set(key, cell)
  }
  return [...cells.values()].sort((a, b) => a.weekday - b.weekday || a.hour - b.hour)
}

/** The posts as CSV (RFC 4180, header row): one row per post and network. */
export function postsCsv(posts: PostAnalytics[]): string {
  const cell = (v: number | null) => (v === null ? '' : String(v))
  return toCsv([
    ['published_at', 'post', 'network', 'account', 'url', 'metrics_age', ...METRIC_NAMES, 'clicks', 'engagement'],
    ...posts.map((p) => [p.publishedAt, String(p.position + 1), p.network, p.handle, p.url ?? '', p.metricsAge ?? '', ...METRIC_NAMES.map((m) => cell(p.metrics[m])), String(p.clicks), String(p.engagement)]),
  ])
}
