import { sql } from 'drizzle-orm'
import { loadCampaignAnalytics } from '../../core/campaign-analytics.server'
import { InputError } from '../../core/errors'
import { loadSeriesAnalytics, loadSeriesPosts, POSTS_PER_PAGE } from '../../core/series/analytics.server'
import type { Services } from '../../core/services.server'
import type { Database } from '../../db/client'
import { createSequence } from '../../db/queries/sequences'
import { workspaces } from '../../db/schema'
import { bestAndWorst, heatMap, totalsByNetwork } from '../../domain/series/analytics'
import { createTestDatabase } from '../db'

/**
 * The series page's numbers grouped in the database (decision 108) equal the domain's functions over every
 * post row (the query the page ran before, kept for the CSV export: the oracle): totals, per network, best
 * and worst (ties in engagement and in the publishing second included), the heat map in a zone with
 * daylight saving time and in one a half hour off UTC, periods starting and ending mid-slot (decision 114), and
 * the pages of posts put together; the campaign funnel's series totals too. On
 * the PostgreSQL server of DATABASE_URL, or the embedded PGlite without it.
 */
const rowsOf = <T>(result: unknown) => ((result as { rows?: T[] }).rows ?? (result as T[]))
const NOW = new Date('2026-11-20T00:00:00Z')
const STEPS = 60
const ZONE = 'America/New_York'

async function seed(database: Database) {
  const db = database.db
  const clock = { now: () => NOW }
  const workspaceId = (await db.insert(workspaces).values({ name: 'Summary' }).returning())[0]!.id
  const steps = Array.from({ length: STEPS }, (_, n) => ({
    parts: [{ text: `Post ${n + 1} https://brand.test/${n}`, images: [] }],
    // A variant for Mastodon on every fifth post: the page shows what each network published.
    ...(n % 5 === 0 ? { variants: { mastodon: { parts: [{ text: `Toot ${n + 1}`, images: [] }] } } } : {}),
  }))
  const { sequence } = await createSequence(db, { workspaceId, kind: 'series', name: 'Tips', timezone: ZONE, steps, shortLinks: true, campaign: 'Fall', clock })
  await createSequence(db, { workspaceId, kind: 'series', name: 'Quiet', steps: [{ parts: [{ text: 'Nothing yet', images: [] }] }], campaign: 'Fall', clock })
  await db.execute(sql`INSERT INTO accounts (id, workspace_id, kind, remote_account_id, handle, credentials_ciphertext, credentials_key_version)
    SELECT md5('a' || k)::uuid, ${workspaceId}, k, k || '-1', 'brand_' || k, 'none', 1 FROM unnest('{x,mastodon,bluesky}'::text[]) k`)
  // Every post on the three networks, one every 9 hours back from NOW (across the end of daylight saving
  // time on 2026-11-01); posts on the three networks go out within the same second, at different milliseconds.
  await db.execute(sql`INSERT INTO deliveries (id, workspace_id, sequence_id, step_id, account_id, due_at, state, published_at, remote_id, remote_url)
    SELECT md5('p' || st.id || a.id)::uuid, ${workspaceId}, st.sequence_id, st.id, a.id, t.at, 'published', t.at + make_interval(secs => (a.kind = 'x')::int * 0.25 + (a.kind = 'bluesky')::int * 0.5),
      md5('r' || st.id || a.id), 'https://' || a.kind || '.test/' || st.position
    FROM sequence_steps st CROSS JOIN accounts a
    CROSS JOIN LATERAL (SELECT ${NOW.toISOString()}::timestamptz - make_interval(hours => 9 * (st.position + 1)) AS at) t
    WHERE st.sequence_id = ${sequence.id} AND a.workspace_id = ${workspaceId}`)
  // Reads: none for every seventh post, 1 h for all others, 24 h for two in three, 7 d for one in four;
  // Mastodon reports no impressions, quotes or bookmarks. Engagement repeats (ties).
  await db.execute(sql`INSERT INTO post_metrics (workspace_id, delivery_id, age, state, fetched_at, impressions, likes, reposts, replies, quotes, bookmarks)
    SELECT d.workspace_id, d.id, g.age, CASE WHEN st.position % 11 = 3 AND g.age = '7d' THEN 'retry' ELSE 'done' END, d.published_at + g.after,
      CASE WHEN a.kind = 'x' THEN 100 * g.n + st.position END, (st.position * g.n) % 7, g.n % 2, (st.position % 3) * g.n,
      CASE WHEN a.kind <> 'mastodon' THEN st.position % 2 END, CASE WHEN a.kind = 'x' THEN 1 END
    FROM deliveries d JOIN sequence_steps st ON st.id = d.step_id JOIN accounts a ON a.id = d.account_id
    CROSS JOIN (VALUES ('1h', interval '1 hour', 1), ('24h', interval '1 day', 2), ('7d', interval '7 days', 3)) AS g(age, after, n)
    WHERE d.sequence_id = ${sequence.id} AND st.position % 7 <> 0 AND (g.n = 1 OR (g.n = 2 AND st.position % 3 <> 0) OR (g.n = 3 AND st.position % 4 = 0))`)
  // A short link per post; clicks on some, spread over the UTC days after it (the roll-up's trigger keeps the days).
  await db.execute(sql`INSERT INTO short_links (id, workspace_id, code, delivery_id, sequence_id, step_id, network, original_url, target_url)
    SELECT md5('l' || d.id)::uuid, d.workspace_id, substr(md5('code' || d.id), 1, 16), d.id, d.sequence_id, d.step_id, a.kind, 'https://brand.test', 'https://brand.test'
    FROM deliveries d JOIN accounts a ON a.id = d.account_id WHERE d.sequence_id = ${sequence.id}`)
  await db.execute(sql`INSERT INTO link_clicks (workspace_id, short_link_id, clicked_at)
    SELECT sl.workspace_id, sl.id, d.published_at + make_interval(hours => 7 * i)
    FROM short_links sl JOIN deliveries d ON d.id = sl.delivery_id JOIN sequence_steps st ON st.id = sl.step_id
    CROSS JOIN generate_series(1, 4) i
    WHERE sl.sequence_id = ${sequence.id} AND i <= (st.position + length(sl.network)) % 5`)
  return { workspaceId, seriesId: sequence.id }
}

const periods = [
  { label: 'every post', period: { from: '2026-10-01', to: NOW.toISOString() } },
  { label: 'mid-day end, clicks cut', period: { from: '2026-11-10T00:00:00Z', to: '2026-11-18T13:30:00Z' } },
  { label: 'three posts, two measured', period: { from: new Date(NOW.getTime() - 9 * 8 * 3_600_000 - 1).toISOString(), to: new Date(NOW.getTime() - 9 * 7 * 3_600_000 - 1).toISOString() } },
  { label: 'no post', period: { from: '2026-01-01', to: '2026-02-01' } },
  // Decision 114: whole 15-minute slots from post_slot_rollups, the partial ones post by post. A start within the
  // second of three posts (after Mastodon's, before X's and Bluesky's) and an end just after the posts of a slot.
  { label: 'mid-slot start and end', period: { from: '2026-11-05T09:00:00.100Z', to: '2026-11-15T12:10:00Z' } },
  { label: 'inside one slot', period: { from: '2026-11-15T12:00:00.200Z', to: '2026-11-15T12:00:00.600Z' } },
]

describe('series analytics grouped in the database', () => {
  let database: Database
  let services: Services
  let ids: { workspaceId: string; seriesId: string }
  beforeAll(async () => {
    database = await createTestDatabase()
    services = { database, clock: { now: () => NOW } } as unknown as Services
    ids = await seed(database)
  }, 30_000)
  afterAll(async () => {
    await database?.close()
  })

  it.each(periods)('equals the domain over every post: $label', async ({ period }) => {
    const { posts } = await loadSeriesPosts(services, { ...ids, period })
    const page = await loadSeriesAnalytics(services, { ...ids, period })
    const networks = totalsByNetwork(posts)
    const sum = (pick: (n: (typeof networks)[number]) => number) => networks.reduce((a, n) => a + pick(n), 0)
    expect(page.totals).toEqual({ posts: posts.length, impressions: sum((n) => n.impressions ?? 0), engagement: sum((n) => n.engagement), clicks: sum((n) => n.clicks) })
    expect(page.networks).toEqual(networks)
    expect({ best: page.best, worst: page.worst }).toEqual(bestAndWorst(posts))
    expect(page.heatMap).toEqual(heatMap(posts, ZONE))
    // The pages put together list every post, in the same order.
    const pages = Math.max(1, Math.ceil(posts.length / POSTS_PER_PAGE))
    expect(page.postsPage).toEqual({ page: 1, pageSize: POSTS_PER_PAGE, total: posts.length })
    const listed = [...page.posts]
    for (let n = 2; n <= pages + 1; n++) listed.push(...(await loadSeriesAnalytics(services, { ...ids, period, page: String(n) })).posts)
    expect(listed).toEqual(posts)
    // The campaign funnel counts the same posts, impressions and clicks (and the series without posts as none).
    const campaign = await loadCampaignAnalytics(services, { workspaceId: ids.workspaceId, campaign: 'Fall', period })
    expect(campaign.series.find((s) => s.id === ids.seriesId)).toEqual({ id: ids.seriesId, name: 'Tips', posts: page.totals.posts, impressions: page.totals.impressions, clicks: page.totals.clicks })
    expect(campaign.series.find((s) => s.name === 'Quiet')).toMatchObject({ posts: 0, impressions: 0, clicks: 0 })
    expect(campaign.funnel[0]!.social).toBe(page.totals.impressions)
  })

  it('groups the heat map in a zone a half hour off (the slots lie in its hours too)', async () => {
    await database.db.execute(sql`UPDATE sequences SET timezone = 'Asia/Kolkata' WHERE id = ${ids.seriesId}`)
    try {
      for (const { period } of periods.slice(0, 2)) {
        const { posts } = await loadSeriesPosts(services, { ...ids, period })
        expect((await loadSeriesAnalytics(services, { ...ids, period })).heatMap).toEqual(heatMap(posts, 'Asia/Kolkata'))
      }
    } finally {
      await database.db.execute(sql`UPDATE sequences SET timezone = ${ZONE} WHERE id = ${ids.seriesId}`)
    }
  })

  it('the seed covers what the oracle must agree on', async () => {
    const { posts } = await loadSeriesPosts(services, { ...ids, period: periods[0]!.period })
    expect(posts).toHaveLength(STEPS * 3)
    expect(posts.some((p) => p.metricsAge === null && p.clicks === 0)).toBe(true)
    expect(new Set(posts.map((p) => p.metricsAge))).toEqual(new Set([null, '1h', '24h', '7d']))
    expect(posts.find((p) => p.network === 'mastodon' && p.position === 0)!.text).toBe('Toot 1')
    // Ties: more measured posts than distinct engagements.
    expect(new Set(posts.map((p) => p.engagement)).size).toBeLessThan(posts.length / 4)
    const clicks = rowsOf<{ n: number }>(await database.db.execute(sql`SELECT count(*)::int AS n FROM link_clicks WHERE clicked_at < ${NOW.toISOString()}::timestamptz`))[0]!.n
    expect(posts.reduce((a, p) => a + p.clicks, 0)).toBe(Number(clicks))
    // The partial slots hold posts: two of the three of one second, and the three of a slot's first second.
    expect((await loadSeriesAnalytics(services, { ...ids, period: periods[5]!.period })).totals.posts).toBe(2)
    expect((await loadSeriesPosts(services, { ...ids, period: periods[4]!.period })).posts.filter((p) => p.publishedAt.startsWith('2026-11-15T12:00'))).toHaveLength(3)
    const two = await loadSeriesAnalytics(services, { ...ids, period: periods[2]!.period })
    expect([two.totals.posts, two.best.length, two.worst.length]).toEqual([3, 1, 1])
    expect(two.best[0]!.clicks + two.worst[0]!.clicks).toBe(2)
  })

  it('a bad page is a 400 naming it', async () => {
    for (const page of ['0', '-1', '1.5', 'two']) {
      const error = await loadSeriesAnalytics(services, { ...ids, page }).catch((e: unknown) => e)
      expect(error, page).toBeInstanceOf(InputError)
      expect((error as InputError).field).toBe('page')
    }
  })
})
