import { sql } from 'drizzle-orm'
import { loadSeriesAnalytics, loadSeriesPosts } from '../../core/series/analytics.server'
import type { Services } from '../../core/services.server'
import { createSequence } from '../../db/queries/sequences'
import { workspaces } from '../../db/schema'
import { bestAndWorst, heatMap, totalsByNetwork } from '../../domain/series/analytics'
import { createTestDatabase } from '../db'

/**
 * `post_rollups` (migration 0028, decision 108) equals the raw rows: each post's latest `done` read (7 d
 * over 24 h over 1 h) and its short links' clicks, after reads arriving out of order, a read retried then
 * done, clicks over several days on two links of one post, and after deletes (a click, a read, a short
 * link, a delivery, the whole series) and a rebuild; the series page equals its oracle throughout.
 * `post_slot_rollups` (migration 0031, decision 114) equals the same raw rows summed per network and
 * 15-minute slot throughout, also after a post is unpublished, published again at another instant and
 * published on a second account, and the page equals its oracle for periods cut mid-slot. On the
 * PostgreSQL server of DATABASE_URL, or the embedded PGlite without it.
 */
const rowsOf = <T>(result: unknown) => ((result as { rows?: T[] }).rows ?? (result as T[]))
const NOW = new Date('2026-11-10T00:00:00Z')
let database: Awaited<ReturnType<typeof createTestDatabase>>
let services: Services
let workspaceId: string
let seriesId: string
let posts: string[]

type Rollup = { deliveryId: string; age: string | null; impressions: number | null; likes: number | null; bookmarks: number | null; clicks: number; lastClickDay: string | null }

async function rollups(): Promise<Rollup[]> {
  return rowsOf<Rollup>(
    await database.db.execute(sql`SELECT delivery_id AS "deliveryId", age, impressions, likes, bookmarks, clicks, last_click_day::text AS "lastClickDay"
      FROM post_rollups WHERE workspace_id = ${workspaceId} AND (age IS NOT NULL OR clicks <> 0) ORDER BY delivery_id`),
  )
}

/** The same numbers from the raw rows. */
async function raw(): Promise<Rollup[]> {
  return rowsOf<Rollup>(
    await database.db.execute(sql`
      SELECT d.id AS "deliveryId", m.age, m.impressions, m.likes, m.bookmarks, coalesce(c.clicks, 0)::int AS clicks, c.last_day::text AS "lastClickDay"
      FROM deliveries d
      LEFT JOIN (SELECT DISTINCT ON (delivery_id) delivery_id, age, impressions, likes, bookmarks FROM post_metrics WHERE state = 'done'
        ORDER BY delivery_id, CASE age WHEN '7d' THEN 3 WHEN '24h' THEN 2 ELSE 1 END DESC) m ON m.delivery_id = d.id
      LEFT JOIN (SELECT sl.delivery_id, count(*) AS clicks, max((lc.clicked_at AT TIME ZONE 'UTC')::date) AS last_day
        FROM link_clicks lc JOIN short_links sl ON sl.id = lc.short_link_id GROUP BY 1) c ON c.delivery_id = d.id
      WHERE d.workspace_id = ${workspaceId} AND (m.age IS NOT NULL OR c.clicks > 0) ORDER BY d.id`),
  )
}

/** The slots' counters, and the same from the raw rows (every published post of the workspace). */
const SLOT_COLUMNS = `posts, measured, impressions, likes, reposts, replies, quotes, bookmarks, reported_impressions, reported_likes, reported_reposts,
  reported_replies, reported_quotes, reported_bookmarks, clicks, engagement`
async function slots() {
  const rows = rowsOf<Record<string, unknown>>(
    await database.db.execute(sql.raw(`SELECT network, slot::text, ${SLOT_COLUMNS} FROM post_slot_rollups WHERE workspace_id = '${workspaceId}' ORDER BY slot, network`)),
  )
  // A slot whose posts all left keeps its row, all zeros.
  const [kept, empty] = [rows.filter((r) => r.posts !== 0), rows.filter((r) => r.posts === 0)]
  for (const r of empty) expect(Object.values(r).filter((v) => typeof v === 'number' && v !== 0)).toEqual([])
  return kept
}
async function rawSlots() {
  return rowsOf<Record<string, unknown>>(
    await database.db.execute(sql`
      SELECT a.kind AS network, date_bin('15 minutes', d.published_at, '2000-01-01 00:00:00+00')::text AS slot, count(*)::int AS posts,
        count(*) FILTER (WHERE m.age IS NOT NULL OR c.clicks > 0)::int AS measured,
        coalesce(sum(m.impressions), 0)::int AS impressions, coalesce(sum(m.likes), 0)::int AS likes, coalesce(sum(m.reposts), 0)::int AS reposts,
        coalesce(sum(m.replies), 0)::int AS replies, coalesce(sum(m.quotes), 0)::int AS quotes, coalesce(sum(m.bookmarks), 0)::int AS bookmarks,
        count(m.impressions)::int AS reported_impressions, count(m.likes)::int AS reported_likes, count(m.reposts)::int AS reported_reposts,
        count(m.replies)::int AS reported_replies, count(m.quotes)::int AS reported_quotes, count(m.bookmarks)::int AS reported_bookmarks,
        coalesce(sum(c.clicks), 0)::int AS clicks,
        (coalesce(sum(m.likes), 0) + coalesce(sum(m.reposts), 0) + coalesce(sum(m.replies), 0) + coalesce(sum(m.quotes), 0) + coalesce(sum(m.bookmarks), 0) + coalesce(sum(c.clicks), 0))::int AS engagement
      FROM deliveries d JOIN accounts a ON a.id = d.account_id
      LEFT JOIN (SELECT DISTINCT ON (delivery_id) delivery_id, age, impressions, likes, reposts, replies, quotes, bookmarks FROM post_metrics WHERE state = 'done'
        ORDER BY delivery_id, CASE age WHEN '7d' THEN 3 WHEN '24h' THEN 2 ELSE 1 END DESC) m ON m.delivery_id = d.id
      LEFT JOIN (SELECT sl.delivery_id, count(*) AS clicks FROM link_clicks lc JOIN short_links sl ON sl.id = lc.short_link_id GROUP BY 1) c ON c.delivery_id = d.id
      WHERE d.workspace_id = ${workspaceId} AND d.state = 'published' AND d.published_at IS NOT NULL
      GROUP BY 1, 2 ORDER BY 2, 1`),
  )
}

/** Roll-ups == raw; after deletes the last day clicked may stay later than the raw one (an upper bound). */
async function expectRollupsEqualRaw(options: { exactDays: boolean }) {
  const [rolled, truth] = [await rollups(), await raw()]
  if (options.exactDays) expect(rolled).toEqual(truth)
  else {
    expect(rolled.map(({ lastClickDay: _, ...r }) => r)).toEqual(truth.map(({ lastClickDay: _, ...r }) => r))
    for (const [i, r] of rolled.entries()) expect(r.lastClickDay! >= (truth[i]!.lastClickDay ?? '')).toBe(true)
  }
  expect(await slots()).toEqual(await rawSlots())
  // The page (from the roll-ups) equals its oracle (every post row from the raw reads and link days), for a
  // period ending now, one ending mid-day between clicks, one starting and ending mid-slot (a post in each
  // partial slot) and one inside a single slot.
  for (const period of [
    { days: 30 as const },
    { from: '2026-11-01', to: '2026-11-04T12:00:00Z' },
    { from: '2026-11-01T08:50:00Z', to: '2026-11-03T09:05:00Z' },
    { from: '2026-11-03T09:00:00Z', to: '2026-11-03T09:10:00Z' },
  ]) {
    const page = await loadSeriesAnalytics(services, { workspaceId, seriesId, period })
    const { posts: all } = await loadSeriesPosts(services, { workspaceId, seriesId, period })
    expect(page.posts).toEqual(all)
    const networks = totalsByNetwork(all)
    expect(page.networks).toEqual(networks)
    expect(page.totals.posts).toBe(all.length)
    expect({ best: page.best, worst: page.worst }).toEqual(bestAndWorst(all))
    expect(page.heatMap).toEqual(heatMap(all, 'UTC'))
  }
}

const click = (post: number, link: string, at: string) =>
  database.db.execute(sql`INSERT INTO link_clicks (workspace_id, short_link_id, clicked_at) VALUES (${workspaceId}, md5(${`l${post}${link}`})::uuid, ${at}::timestamptz)`)
const read = (post: number, age: string, likes: number, state = 'done') =>
  database.db.execute(sql`INSERT INTO post_metrics (workspace_id, delivery_id, age, state, fetched_at, impressions, likes, reposts, replies, quotes, bookmarks)
    VALUES (${workspaceId}, ${posts[post]!}, ${age}, ${state}, ${NOW.toISOString()}::timestamptz, ${likes * 10}, ${likes}, 0, 0, 0, ${age === '7d' ? 1 : null})`)

beforeAll(async () => {
  database = await createTestDatabase()
  const db = database.db
  services = { database, clock: { now: () => NOW } } as unknown as Services
  workspaceId = (await db.insert(workspaces).values({ name: 'Post roll-ups' }).returning())[0]!.id
  const steps = [1, 2, 3].map((n) => ({ parts: [{ text: `Post ${n} https://a.test https://b.test`, images: [] }] }))
  seriesId = (await createSequence(db, { workspaceId, kind: 'series', name: 'Tips', steps, shortLinks: true, clock: services.clock })).sequence.id
  await db.execute(sql`INSERT INTO accounts (id, workspace_id, kind, remote_account_id, handle, credentials_ciphertext, credentials_key_version)
    VALUES (md5('pr-x')::uuid, ${workspaceId}, 'x', 'x-1', 'brand', 'none', 1)`)
  // Three posts, a day apart from 2026-11-01 09:00 UTC, each with two short links (a and b).
  posts = rowsOf<{ id: string }>(
    await db.execute(sql`INSERT INTO deliveries (id, workspace_id, sequence_id, step_id, account_id, due_at, state, published_at, remote_id)
      SELECT md5('pr' || position)::uuid, ${workspaceId}, ${seriesId}, id, md5('pr-x')::uuid, t.at, 'published', t.at, 'r' || position
      FROM sequence_steps CROSS JOIN LATERAL (SELECT '2026-11-01T09:00:00Z'::timestamptz + make_interval(days => position) AS at) t
      WHERE sequence_id = ${seriesId} ORDER BY position RETURNING id`),
  ).map((r) => r.id)
  await db.execute(sql`INSERT INTO short_links (id, workspace_id, code, delivery_id, sequence_id, step_id, network, original_url, target_url)
    SELECT md5('l' || (d.position) || k)::uuid, ${workspaceId}, substr(md5('code' || d.position || k), 1, 16), d.id, ${seriesId}, d.step_id, 'x', 'https://' || k || '.test', 'https://' || k || '.test'
    FROM (SELECT dd.id, dd.step_id, st.position FROM deliveries dd JOIN sequence_steps st ON st.id = dd.step_id WHERE dd.sequence_id = ${seriesId}) d
    CROSS JOIN unnest('{a,b}'::text[]) k`)
  // Reads out of order (7 d before 24 h), one retried and then done; clicks across UTC midnights on both links.
  await read(0, '1h', 3)
  await read(0, '7d', 9)
  await read(0, '24h', 5)
  await read(1, '1h', 2)
  await read(1, '24h', 0, 'retry')
  await database.db.execute(sql`UPDATE post_metrics SET state = 'done', likes = 4 WHERE delivery_id = ${posts[1]!} AND age = '24h'`)
  for (const at of ['2026-11-01T10:00:00Z', '2026-11-01T23:59:59Z', '2026-11-02T00:00:00Z', '2026-11-04T13:00:00Z']) await click(0, 'a', at)
  await click(0, 'b', '2026-11-03T08:00:00Z')
  await click(2, 'b', '2026-11-03T10:00:00Z')
  await click(2, 'b', '2026-11-05T10:00:00Z')
}, 60_000)
afterAll(async () => {
  await database?.close()
})

describe('post roll-ups', () => {
  it('equal the raw reads and clicks as they arrive', async () => {
    await expectRollupsEqualRaw({ exactDays: true })
    const by = Object.fromEntries((await rollups()).map((r) => [r.deliveryId, [r.age, r.likes, r.clicks, r.lastClickDay]]))
    expect([by[posts[0]!], by[posts[1]!], by[posts[2]!]]).toEqual([
      ['7d', 9, 5, '2026-11-04'],
      ['24h', 4, 0, null],
      [null, null, 2, '2026-11-05'],
    ])
  })

  it('follow deletes of a click, a read and a short link', async () => {
    await database.db.execute(sql`DELETE FROM link_clicks WHERE short_link_id = md5('l2b')::uuid AND clicked_at = '2026-11-05T10:00:00Z'`)
    await database.db.execute(sql`DELETE FROM post_metrics WHERE delivery_id = ${posts[0]!} AND age = '7d'`)
    await database.db.execute(sql`UPDATE post_metrics SET state = 'gone' WHERE delivery_id = ${posts[1]!} AND age = '24h'`)
    await database.db.execute(sql`DELETE FROM short_links WHERE id = md5('l0b')::uuid`)
    await expectRollupsEqualRaw({ exactDays: false })
    expect((await rollups()).find((r) => r.deliveryId === posts[0])).toMatchObject({ age: '24h', likes: 5, clicks: 4 })
  })

  it('follow a post unpublished, published again later, and one published on a second account', async () => {
    await database.db.execute(sql`UPDATE deliveries SET state = 'failed' WHERE id = ${posts[2]!}`)
    await expectRollupsEqualRaw({ exactDays: false })
    await database.db.execute(sql`UPDATE deliveries SET state = 'published', published_at = '2026-11-03T09:07:30Z' WHERE id = ${posts[2]!}`)
    await expectRollupsEqualRaw({ exactDays: false })
    await database.db.execute(sql`INSERT INTO accounts (id, workspace_id, kind, remote_account_id, handle, credentials_ciphertext, credentials_key_version)
      VALUES (md5('pr-x2')::uuid, ${workspaceId}, 'x', 'x-2', 'brand2', 'none', 1)`)
    const second = await database.db.execute(sql`INSERT INTO deliveries (id, workspace_id, sequence_id, step_id, account_id, due_at, state, published_at, remote_id)
      SELECT md5('pr-second')::uuid, workspace_id, sequence_id, step_id, md5('pr-x2')::uuid, due_at, 'published', '2026-11-03T09:01:00Z', 'r-second'
      FROM deliveries WHERE id = ${posts[2]!} RETURNING id`)
    posts.push(rowsOf<{ id: string }>(second)[0]!.id)
    await read(3, '1h', 6)
    await expectRollupsEqualRaw({ exactDays: false })
    expect((await slots()).find((r) => r.slot === '2026-11-03 09:00:00+00')).toMatchObject({ network: 'x', posts: 2, measured: 2 })
  })

  it('a rebuild writes the same numbers, with the exact last days', async () => {
    await database.db.execute(sql`SELECT post_rollups_rebuild(${seriesId}::uuid)`)
    await expectRollupsEqualRaw({ exactDays: true })
  })

  it('a deleted post, then the deleted series, leave no row', async () => {
    await database.db.execute(sql`DELETE FROM deliveries WHERE id = ${posts[0]!}`)
    await expectRollupsEqualRaw({ exactDays: true })
    expect((await rollups()).map((r) => r.deliveryId)).not.toContain(posts[0])
    await database.db.execute(sql`DELETE FROM sequences WHERE id = ${seriesId}`)
    expect(rowsOf<{ n: number }>(await database.db.execute(sql`SELECT count(*)::int AS n FROM post_rollups WHERE workspace_id = ${workspaceId}`))[0]!.n).toBe(0)
    expect(rowsOf<{ n: number }>(await database.db.execute(sql`SELECT count(*)::int AS n FROM post_slot_rollups WHERE workspace_id = ${workspaceId}`))[0]!.n).toBe(0)
  })
})
