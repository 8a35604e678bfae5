import { sql } from 'drizzle-orm'
import { createSequence } from '../../db/queries/sequences'
import { seriesPostRows, seriesTotals } from '../../db/queries/series-analytics'
import { workspaces } from '../../db/schema'
import { createTestDatabase } from '../db'

/**
 * A post's clicks before a period's end = the whole UTC days from `link_click_rollups` (kept by a trigger)
 * + the partial last day from link_clicks (decision 104): equal to a raw count for ends at midnight, mid-day
 * and before the first click, and after a click is deleted.
 */
const rowsOf = <T>(result: unknown) => ((result as { rows?: T[] }).rows ?? (result as T[]))
let database: Awaited<ReturnType<typeof createTestDatabase>>
let workspaceId: string
let seriesId: string
let linkId: string

beforeAll(async () => {
  database = await createTestDatabase()
  const db = database.db
  workspaceId = (await db.insert(workspaces).values({ name: 'Clicks' }).returning())[0]!.id
  const clock = { now: () => new Date('2026-11-01T00:00:00Z') }
  seriesId = (await createSequence(db, { workspaceId, kind: 'series', name: 'Tips', steps: [{ parts: [{ text: 'https://a.test', images: [] }] }], shortLinks: true, campaign: null, clock })).sequence.id
  await db.execute(sql`INSERT INTO accounts (id, workspace_id, kind, remote_account_id, handle, credentials_ciphertext, credentials_key_version)
    VALUES (md5('acc')::uuid, ${workspaceId}, 'x', 'x-1', 'brand', 'none', 1)`)
  await db.execute(sql`INSERT INTO deliveries (id, workspace_id, sequence_id, step_id, account_id, due_at, state, published_at, remote_id)
    SELECT md5('del')::uuid, ${workspaceId}, ${seriesId}, id, md5('acc')::uuid, '2026-11-02T08:00:00Z', 'published', '2026-11-02T08:00:00Z', 'r1'
    FROM sequence_steps WHERE sequence_id = ${seriesId}`)
  linkId = rowsOf<{ id: string }>(
    await db.execute(sql`INSERT INTO short_links (workspace_id, code, delivery_id, sequence_id, step_id, network, original_url, target_url)
      SELECT ${workspaceId}, 'clickclickclick0', id, sequence_id, step_id, 'x', 'https://a.test', 'https://a.test' FROM deliveries WHERE id = md5('del')::uuid RETURNING id`),
  )[0]!.id
  // Clicks over three UTC days, around midnight.
  for (const at of ['2026-11-02T09:00:00Z', '2026-11-02T23:59:59Z', '2026-11-03T00:00:00Z', '2026-11-03T12:00:00Z', '2026-11-03T12:00:00Z', '2026-11-04T01:00:00Z']) {
    await db.execute(sql`INSERT INTO link_clicks (workspace_id, short_link_id, clicked_at) VALUES (${workspaceId}, ${linkId}, ${at}::timestamptz)`)
  }
})
afterAll(async () => {
  await database?.close()
})

async function clicksBefore(to: string) {
  const period = { workspaceId, seriesId, from: new Date('2026-11-01T00:00:00Z'), to: new Date(to) }
  const rows = await seriesPostRows(database.db, period)
  const raw = rowsOf<{ n: number }>(await database.db.execute(sql`SELECT count(*)::int AS n FROM link_clicks WHERE short_link_id = ${linkId} AND clicked_at < ${to}::timestamptz`))[0]!.n
  // The page's and the campaign funnel's statement (decision 108) counts the same way.
  expect((await seriesTotals(database.db, period)).clicks, to).toBe(rows[0]!.clicks)
  return { page: rows[0]!.clicks, raw: Number(raw) }
}

describe('link click roll-ups', () => {
  it('whole days from the roll-up plus the partial day equal the raw count', async () => {
    const ends = ['2026-11-02T09:00:01Z', '2026-11-03T00:00:00Z', '2026-11-03T12:00:00Z', '2026-11-03T12:00:01Z', '2026-11-04T00:30:00Z', '2026-11-20T00:00:00Z']
    const answers = []
    for (const to of ends) {
      const { page, raw } = await clicksBefore(to)
      expect(page, to).toBe(raw)
      answers.push(page)
    }
    expect(answers).toEqual([1, 2, 3, 5, 5, 6])
    expect(rowsOf<{ day: string; clicks: number }>(await database.db.execute(sql`SELECT day::text AS day, clicks FROM link_click_rollups WHERE short_link_id = ${linkId} ORDER BY day`))).toEqual([
      { day: '2026-11-02', clicks: 2 },
      { day: '2026-11-03', clicks: 3 },
      { day: '2026-11-04', clicks: 1 },
    ])
  })

  it('a deleted click leaves the roll-up', async () => {
    await database.db.execute(sql`DELETE FROM link_clicks WHERE short_link_id = ${linkId} AND clicked_at = '2026-11-02T09:00:00Z'`)
    expect(await clicksBefore('2026-11-20T00:00:00Z')).toEqual({ page: 5, raw: 5 })
  })
})
