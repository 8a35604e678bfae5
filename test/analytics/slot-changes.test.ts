import { sql } from 'drizzle-orm'
import postgres from 'postgres'
import { loadSeriesAnalytics, loadSeriesPosts } from '../../core/series/analytics.server'
import type { Services } from '../../core/services.server'
import { foldPostSlotChanges } from '../../db/queries/series-analytics'
import { createSequence } from '../../db/queries/sequences'
import { workspaces } from '../../db/schema'
import { heatMap, totalsByNetwork } from '../../domain/series/analytics'
import { createTestDatabase } from '../db'

/**
 * Decision 116: a publish appends its slot change (`post_slot_changes`) instead of updating its slot's row;
 * `post_slot_rollups_fold()` moves the changes into `post_slot_rollups_folded`. The series page and the view
 * `post_slot_rollups` add the changes not yet folded, so they are exact before any fold, while a fold is open,
 * after one rolled back (a crash) and after one committed; concurrent publishes of one slot beside folds are
 * each counted once. On the PostgreSQL server of DATABASE_URL.
 */
const rowsOf = <T>(result: unknown) => ((result as { rows?: T[] }).rows ?? (result as T[]))
const NOW = new Date('2026-11-10T00:00:00Z')
const POSTS = 60
let database: Awaited<ReturnType<typeof createTestDatabase>>
let services: Services
let workspaceId: string
let seriesId: string
let posts: string[]
const clients: postgres.Sql[] = []

/** A connection of its own, driven statement by statement. */
function connection() {
  const client = postgres(database.url!, { max: 1, onnotice: () => undefined })
  clients.push(client)
  return client
}
const publishSql = (id: string) => `UPDATE deliveries SET state = 'published', published_at = due_at, remote_id = 'r-' || id WHERE id = '${id}'`
const publish = (client: postgres.Sql, post: number) => client.unsafe(publishSql(posts[post]!))
const count = async (query: string) => Number(rowsOf<{ n: number }>(await database.db.execute(sql.raw(query)))[0]!.n ?? 0)
const changes = () => count(`SELECT count(*)::int AS n FROM post_slot_changes WHERE sequence_id = '${seriesId}'`)
const folded = () => count(`SELECT coalesce(sum(posts), 0)::int AS n FROM post_slot_rollups_folded WHERE sequence_id = '${seriesId}'`)

/** The page (whole slots only, and cut mid-slot) and the view equal the published deliveries; returns their number. */
async function expectExact(): Promise<number> {
  const published = await count(`SELECT count(*)::int AS n FROM deliveries WHERE sequence_id = '${seriesId}' AND state = 'published'`)
  const view = rowsOf<{ network: string; slot: string; posts: number }>(
    await database.db.execute(sql`SELECT network, slot::text, posts FROM post_slot_rollups WHERE sequence_id = ${seriesId} AND posts <> 0 ORDER BY slot, network`),
  )
  const raw = rowsOf<{ network: string; slot: string; posts: number }>(
    await database.db.execute(sql`SELECT a.kind AS network, date_bin('15 minutes', d.published_at, '2000-01-01 00:00:00+00')::text AS slot, count(*)::int AS posts
      FROM deliveries d JOIN accounts a ON a.id = d.account_id WHERE d.sequence_id = ${seriesId} AND d.state = 'published' GROUP BY 1, 2 ORDER BY 2, 1`),
  )
  expect(view).toEqual(raw)
  for (const period of [{ from: '2026-11-01', to: '2026-11-05' }, { from: '2026-11-03T09:05:00Z', to: '2026-11-05' }]) {
    const page = await loadSeriesAnalytics(services, { workspaceId, seriesId, period })
    const { posts: all } = await loadSeriesPosts(services, { workspaceId, seriesId, period })
    expect(page.totals.posts).toBe(all.length)
    expect(page.networks).toEqual(totalsByNetwork(all))
    expect(page.heatMap).toEqual(heatMap(all, 'UTC'))
  }
  return published
}

beforeAll(async () => {
  database = await createTestDatabase()
  const db = database.db
  services = { database, clock: { now: () => NOW } } as unknown as Services
  workspaceId = (await db.insert(workspaces).values({ name: 'Slot changes' }).returning())[0]!.id
  const steps = Array.from({ length: POSTS / 2 }, (_, n) => ({ parts: [{ text: `Post ${n}`, images: [] }] }))
  seriesId = (await createSequence(db, { workspaceId, kind: 'series', name: 'Burst', steps, clock: services.clock })).sequence.id
  await db.execute(sql`INSERT INTO accounts (id, workspace_id, kind, remote_account_id, handle, credentials_ciphertext, credentials_key_version)
    SELECT md5('sc-' || k)::uuid, ${workspaceId}, k, k || '-1', 'brand', 'none', 1 FROM unnest('{x,mastodon}'::text[]) k`)
  // Every post due within one 15-minute slot (2026-11-03 09:00), on two networks: one slot row per network, the hot rows.
  posts = rowsOf<{ id: string }>(
    await db.execute(sql`INSERT INTO deliveries (workspace_id, sequence_id, step_id, account_id, due_at, state)
      SELECT ${workspaceId}, ${seriesId}, st.id, md5('sc-' || k)::uuid, '2026-11-03T09:00:00Z'::timestamptz + make_interval(secs => st.position * 29 + (k = 'x')::int), 'queued'
      FROM sequence_steps st CROSS JOIN unnest('{x,mastodon}'::text[]) k WHERE st.sequence_id = ${seriesId} ORDER BY st.position, k RETURNING id`),
  ).map((r) => r.id)
}, 60_000)
afterAll(async () => {
  await Promise.all(clients.map((c) => c.end()))
  await database?.close()
})

describe.runIf(!!process.env.DATABASE_URL || process.env.CI === 'true')('slot changes and their fold', () => {
  it('the page counts publishes no fold has moved yet, and the fold moves each change once', async () => {
    const a = connection()
    for (let post = 0; post < 10; post++) await publish(a, post)
    expect(await changes()).toBe(10)
    expect(await folded()).toBe(0)
    expect(await expectExact()).toBe(10)
    expect(await foldPostSlotChanges(database.db)).toBe(10)
    expect([await changes(), await folded()]).toEqual([0, 10])
    expect(await expectExact()).toBe(10)
    expect(await foldPostSlotChanges(database.db)).toBe(0)
    expect(await folded()).toBe(10)
  })

  it('stays exact while a fold is open, beside a second fold, after a fold rolled back and after one committed', async () => {
    const [pub, fold, other] = [connection(), connection(), connection()]
    await pub`BEGIN`
    await publish(pub, 10) // not committed: no fold sees it
    await publish(a0(), 11)
    await fold`BEGIN`
    expect((await fold`SELECT post_slot_rollups_fold() AS n`)[0]!.n).toBe(1)
    // A second fold while one is open finds the lock held and leaves the changes to it.
    expect((await other`SELECT post_slot_rollups_fold() AS n`)[0]!.n).toBe(0)
    await pub`COMMIT`
    await publish(a0(), 12) // committed while the fold is open: after its snapshot
    expect(await expectExact()).toBe(13)
    await fold`COMMIT`
    expect([await changes(), await folded()]).toEqual([2, 11])
    expect(await expectExact()).toBe(13)
    // A fold that dies before its commit leaves every change in place.
    await fold`BEGIN`
    expect((await fold`SELECT post_slot_rollups_fold() AS n`)[0]!.n).toBe(2)
    await fold`ROLLBACK`
    expect([await changes(), await folded()]).toEqual([2, 11])
    expect(await expectExact()).toBe(13)
    expect(await foldPostSlotChanges(database.db)).toBe(2)
    expect([await changes(), await folded()]).toEqual([0, 13])
    expect(await expectExact()).toBe(13)
  })

  it('counts each of many concurrent publishes of one slot once, with folds running beside them and some publishes rolled back', async () => {
    const writers = Array.from({ length: 4 }, () => connection())
    const folder = connection()
    const queue = Array.from({ length: POSTS - 13 }, (_, i) => i + 13)
    let done = false
    let folds = 0
    const folding = (async () => {
      while (!done) {
        folds += Number((await folder`SELECT post_slot_rollups_fold() AS n`)[0]!.n)
        await new Promise((resolve) => setTimeout(resolve, 2))
      }
    })()
    // Each writer: a transaction per post; every fifth is published, then unpublished and published again in the
    // same transaction, every seventh rolled back (published later, once, by the writer that takes the rest).
    const rolledBack: number[] = []
    await Promise.all(
      writers.map(async (client) => {
        for (let post = queue.shift(); post !== undefined; post = queue.shift()) {
          await client.begin(async (tx) => {
            await tx.unsafe(publishSql(posts[post]!))
            if (post % 5 === 0) {
              await tx.unsafe(`UPDATE deliveries SET state = 'failed' WHERE id = '${posts[post]!}'`)
              await tx.unsafe(publishSql(posts[post]!))
            }
            if (post % 7 === 0) {
              rolledBack.push(post)
              await tx.unsafe(`SELECT 1/0`)
            }
          }).catch((error: Error) => {
            if (!/division by zero/.test(error.message)) throw error
          })
        }
      }),
    )
    done = true
    await folding
    expect(await expectExact()).toBe(POSTS - rolledBack.length)
    for (const post of rolledBack) await publish(writers[0]!, post)
    expect(await expectExact()).toBe(POSTS)
    await foldPostSlotChanges(database.db)
    expect([await changes(), await folded()]).toEqual([0, POSTS])
    expect(await expectExact()).toBe(POSTS)
    expect(folds).toBeGreaterThan(0)
  })
})

let first: postgres.Sql | undefined
/** An autocommit connection. */
function a0() {
  first ??= connection()
  return first
}
