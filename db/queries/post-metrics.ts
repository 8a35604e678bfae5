/**
 * Post metrics (docs/decisions/084-short-links-and-post-metrics.md): which published posts are due a
 * read at one of their ages, and what the read found.
 */
import { sql } from 'drizzle-orm'
import type { DbOrTx } from '../client'
import { postMetrics, type MetricAge } from '../schema'

/** Each age, when it is read (seconds after publishing), and until when a first read is still worth it. */
export const METRIC_AGE_WINDOWS: Array<{ age: MetricAge; afterSeconds: number; untilSeconds: number }> = [
  { age: '1h', afterSeconds: 3_600, untilSeconds: 86_400 },
  { age: '24h', afterSeconds: 86_400, untilSeconds: 7 * 86_400 },
  { age: '7d', afterSeconds: 7 * 86_400, untilSeconds: 14 * 86_400 },
]

export type DueMetricRead = {
  deliveryId: string
  workspaceId: string
  accountId: string
  remoteId: string
  partIds: string[] | null
  age: MetricAge
  attempts: number
}

/**
 * Published social posts with an age due and not yet read: a first read within the age's window (an age
 * missed by more than that, e.g. while no worker ran, is skipped rather than read late under its
 * name), or a retry whose time has come. Oldest due first.
 */
export async function findDueMetricReads(db: DbOrTx, args: { now: Date; limit: number }): Promise<DueMetricRead[]> {
  const now = sql`${args.now.toISOString()}::timestamptz`
  const ages = sql.join(
    METRIC_AGE_WINDOWS.map((w) => sql`(${w.age}::text, ${w.afterSeconds}::int, ${w.untilSeconds}::int)`),
    sql`, `,
  )
  const result = await db.execute(sql`
    SELECT d.id AS "deliveryId", d.workspace_id AS "workspaceId", d.account_id AS "accountId", d.remote_id AS "remoteId",
      d.remote_part_ids AS "partIds", a.age, coalesce(pm.attempts, 0) AS attempts
    FROM deliveries d
    CROSS JOIN (VALUES ${ages}) AS a(age, after_s, until_s)
    LEFT JOIN post_metrics pm ON pm.delivery_id = d.id AND pm.age = a.age
    WHERE d.state = 'published' AND d.account_id IS NOT NULL AND d.remote_id IS NOT NULL
      AND d.published_at >= ${now} - interval '15 days'
      AND d.published_at + make_interval(secs => a.after_s) <= ${now}
      AND ((pm.id IS NULL AND ${now} < d.published_at + make_interval(secs => a.until_s)) OR (pm.state = 'retry' AND pm.retry_at <= ${now}))
    ORDER BY d.published_at + make_interval(secs => a.after_s)
    LIMIT ${args.limit}`)
  const rows = ((result as { rows?: unknown[] }).rows ?? (result as unknown as unknown[])) as DueMetricRead[]
  return rows.map((r) => ({ ...r, attempts: Number(r.attempts) }))
}

export type MetricOutcome =
  | { state: 'done'; at: Date; values: { impressions?: number; likes?: number; reposts?: number; replies?: number; quotes?: number; bookmarks?: number } }
  | { state: 'gone'; at: Date }
  | { state: 'retry'; retryAt: Date; error: string; countAttempt: boolean }
  | { state: 'failed'; error: string }

/** Record one read (or its failure) of a post at one age. */
export async function recordMetricRead(db: DbOrTx, args: { workspaceId: string; deliveryId: string; age: MetricAge; outcome: MetricOutcome }): Promise<void> {
  const o = args.outcome
  const n = (v: number | undefined) => (typeof v === 'number' && Number.isFinite(v) ? Math.max(0, Math.round(v)) : null)
  const values = {
    workspaceId: args.workspaceId,
    deliveryId: args.deliveryId,
    age: args.age,
    state: o.state,
    attempts: 1,
    retryAt: o.state === 'retry' ? o.retryAt : null,
    lastError: o.state === 'retry' || o.state === 'failed' ? o.error.slice(0, 500) : null,
    fetchedAt: o.state === 'done' || o.state === 'gone' ? o.at : null,
    impressions: o.state === 'done' ? n(o.values.impressions) : null,
    likes: o.state === 'done' ? n(o.values.likes) : null,
    reposts: o.state === 'done' ? n(o.values.reposts) : null,
    replies: o.state === 'done' ? n(o.values.replies) : null,
    quotes: o.state === 'done' ? n(o.values.quotes) : null,
    bookmarks: o.state === 'done' ? n(o.values.bookmarks) : null,
  }
  const counted = o.state === 'retry' && !o.countAttempt ? sql`${postMetrics.attempts}` : sql`${postMetrics.attempts} + 1`
  await db
    .insert(postMetrics)
    .values({ ...values, attempts: o.state === 'retry' && !o.countAttempt ? 0 : 1 })
    .onConflictDoUpdate({
      target: [postMetrics.deliveryId, postMetrics.age],
      set: { ...values, attempts: counted },
    })
}
