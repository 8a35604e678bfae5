import { sql } from 'drizzle-orm'
import { createDrip } from '../../core/drips.server'
import type { Services } from '../../core/services.server'
import { insertContactEvent } from '../../db/queries/events'
import { dripStatsRollups, rebuildDripRollups } from '../../db/queries/drip-rollups'
import { dripStats } from '../../db/queries/enrollments'
import { workspaces } from '../../db/schema'
import { createTestDatabase } from '../db'
import { rollupsAndRaw } from './rollup-oracle'

/**
 * Roll-ups equal the raw query (decision 094): known sends (one held for review, then published a day
 * later), opens and clicks arriving out of order across local midnights, soft and hard bounces (decision 104), an
 * unsubscribe, a complaint, goal events inside and outside the attribution window, written through the
 * same statements the app uses; then the backfill (a rebuild) and a change of the drip's zone.
 */
const H = 3_600_000
/** Rows of db.execute under either driver (postgres.js: an array; PGlite: { rows }). */
const rowsOf = <T>(result: unknown) => ((result as { rows?: T[] }).rows ?? (result as T[]))
const at = (iso: string) => new Date(iso)
let database: Awaited<ReturnType<typeof createTestDatabase>>
let workspaceId: string
let dripId: string
let steps: string[]

beforeAll(async () => {
  database = await createTestDatabase()
  const db = database.db
  const services = { database, clock: { now: () => at('2026-11-01T00:00:00Z') } } as unknown as Services
  workspaceId = (await db.insert(workspaces).values({ name: 'Oracle' }).returning())[0]!.id
  const drip = await createDrip(services, {
    workspaceId,
    input: {
      name: 'Oracle drip',
      timezone: 'America/New_York',
      goals: ['purchase'],
      attributionDays: 3,
      steps: [{ subject: 'One', markdown: 'm' }, { subject: 'Two', markdown: 'm', delay: 'P1D' }, { subject: 'Three', markdown: 'm', delay: 'P2D' }],
    },
  })
  dripId = drip.id
  steps = rowsOf<{ id: string }>(await db.execute(sql`SELECT id FROM sequence_steps WHERE sequence_id = ${dripId} ORDER BY position`)).map((r) => r.id)
  // Five contacts; enrollments on both sides of New York's midnight (05:00 UTC in November).
  const starts = ['2026-11-02T04:30:00Z', '2026-11-02T05:30:00Z', '2026-11-02T05:30:00Z', '2026-11-03T12:00:00Z', '2026-11-05T03:00:00Z']
  for (const [i, started] of starts.entries()) {
    await db.execute(sql`INSERT INTO contacts (id, workspace_id, email, status, created_at, updated_at)
      VALUES (md5(${`oc${i}`})::uuid, ${workspaceId}, ${`c${i}@oracle.test`}, 'subscribed', now(), now())`)
    await db.execute(sql`INSERT INTO enrollments (id, workspace_id, sequence_id, contact_id, status, step_position, source, started_at)
      VALUES (md5(${`oe${i}`})::uuid, ${workspaceId}, ${dripId}, md5(${`oc${i}`})::uuid, 'active', 0, 'test', ${started}::timestamptz)`)
  }
  const enrollment = (i: number) => sql`md5(${`oe${i}`})::uuid`
  // Sends: planned → publishing → published, as the runner writes them; one needs_review, published later.
  const send = async (i: number, step: number, sentAt: string, state = 'published') => {
    await db.execute(sql`INSERT INTO deliveries (id, workspace_id, sequence_id, step_id, enrollment_id, due_at, state)
      VALUES (md5(${`od${i}-${step}`})::uuid, ${workspaceId}, ${dripId}, ${steps[step]!}, ${enrollment(i)}, ${sentAt}::timestamptz, 'publishing')`)
    await db.execute(sql`UPDATE deliveries SET state = ${state}, published_at = CASE WHEN ${state} = 'published' THEN ${sentAt}::timestamptz END
      WHERE id = md5(${`od${i}-${step}`})::uuid`)
  }
  for (const i of [0, 1, 2, 3]) await send(i, 0, new Date(Date.parse(starts[i]!) + H).toISOString())
  await send(0, 1, '2026-11-03T06:00:00Z')
  await send(1, 1, '2026-11-03T04:59:00Z', 'needs_review') // counted on Nov 2 (New York)…
  await db.execute(sql`UPDATE deliveries SET state = 'published', published_at = '2026-11-04T10:00:00Z' WHERE id = md5('od1-1')::uuid`) // …then moved to Nov 4
  await send(4, 0, '2026-11-05T04:00:00Z')
  await send(0, 2, '2026-11-06T06:00:00Z')
  const ids = async (i: number) => rowsOf<{ c: string; e: string }>(await db.execute(sql`SELECT md5(${`oc${i}`})::uuid AS c, md5(${`oe${i}`})::uuid AS e`))[0]!
  const ev = async (i: number, step: number, type: string, occurredAt: string, properties: Record<string, unknown> = {}) => {
    const { c, e } = await ids(i)
    await insertContactEvent(db, { workspaceId, contactId: c, type: type as never, properties, sequenceId: dripId, enrollmentId: e, stepId: steps[step]!, occurredAt: at(occurredAt) })
  }
  await ev(0, 0, 'opened', '2026-11-02T08:00:00Z')
  await ev(0, 0, 'opened', '2026-11-02T04:50:00Z') // earlier, arriving later: the first open moves to Nov 1 (New York)
  await ev(0, 0, 'clicked', '2026-11-02T09:00:00Z', { url: 'https://a.test/x' })
  await ev(0, 0, 'clicked', '2026-11-02T09:05:00Z', { url: 'https://a.test/x' })
  await ev(0, 0, 'clicked', '2026-11-03T09:05:00Z', { url: 'https://a.test/y' })
  await ev(1, 0, 'clicked', '2026-11-02T07:00:00Z', { url: 'https://a.test/y' })
  await ev(1, 0, 'opened', '2026-11-02T07:00:00Z')
  await ev(1, 1, 'opened', '2026-11-05T07:00:00Z')
  await ev(1, 1, 'unsubscribed', '2026-11-05T07:01:00Z')
  // Bounces (decision 104): a soft then a hard one of one message (a hard bounce), a hard one, a soft one alone.
  await ev(2, 0, 'soft_bounced', '2026-11-02T06:31:00Z', { source: 'dsn', action: 'delayed' })
  await ev(2, 0, 'bounced', '2026-11-02T07:31:00Z')
  await ev(3, 0, 'bounced', '2026-11-03T13:01:00Z')
  await ev(4, 0, 'soft_bounced', '2026-11-05T06:00:00Z', { source: 'dsn', action: 'failed', status: '4.2.2' })
  await ev(4, 0, 'soft_bounced', '2026-11-05T05:10:00Z', { source: 'dsn', action: 'delayed' }) // earlier, arriving later
  await ev(4, 0, 'complained', '2026-11-06T13:01:00Z')
  // Deliveries the drip page counts by state: a skipped step and a failed send (not sent: the analytics skip them).
  await db.execute(sql`INSERT INTO deliveries (id, workspace_id, sequence_id, step_id, enrollment_id, due_at, state)
    VALUES (md5('od3-1')::uuid, ${workspaceId}, ${dripId}, ${steps[1]!}, ${enrollment(3)}, '2026-11-04T12:00:00Z', 'skipped')`)
  await send(4, 1, '2026-11-06T04:00:00Z', 'failed')
  await ev(0, 2, 'opened', '2026-11-06T07:00:00Z')
  const goal = async (i: number, occurredAt: string, properties: Record<string, unknown>) => {
    const { c } = await ids(i)
    await insertContactEvent(db, { workspaceId, contactId: c, type: 'event', name: 'purchase', properties, occurredAt: at(occurredAt) })
  }
  await goal(0, '2026-11-03T07:00:00Z', { value: 10, currency: 'USD' }) // step 2 (sent 06:00)
  await goal(1, '2026-11-05T12:00:00Z', { value: 5.25 }) // step 2, sent Nov 4 10:00
  await goal(3, '2026-11-09T12:00:00Z', { value: 99, currency: 'USD' }) // 6 days after step 1: outside 3 days
  await goal(4, '2026-11-05T05:00:00Z', {}) // step 1, no value
  await goal(4, '2026-11-05T03:30:00Z', { value: 1 }) // before any send: not a conversion
  await db.execute(sql`UPDATE enrollments SET status = 'goal_reached' WHERE id IN (md5('oe0')::uuid, md5('oe4')::uuid)`)
  await db.execute(sql`UPDATE enrollments SET status = 'completed' WHERE id = md5('oe4')::uuid`)
  await db.execute(sql`UPDATE enrollments SET status = 'goal_reached' WHERE id = md5('oe4')::uuid`)
})
afterAll(async () => {
  await database?.close()
})

const periods: Array<[string, string]> = [
  ['2026-10-25T00:00:00Z', '2026-11-20T00:00:00Z'],
  ['2026-11-02T12:00:00Z', '2026-11-03T12:00:00Z'],
  ['2026-11-01T00:00:00Z', '2026-11-02T02:00:00Z'],
  ['2026-11-02T05:00:00Z', '2026-11-04T05:00:00Z'],
  ['2026-11-04T12:00:00Z', '2026-11-07T00:00:00Z'],
]
async function compare(timeZone: string) {
  const answers = []
  for (const [from, to] of periods) {
    const { rollups, raw } = await rollupsAndRaw(database.db, { workspaceId, dripId, timeZone, goals: ['purchase'], attributionDays: 3, period: { from: at(from), to: at(to) } })
    expect(rollups, `${from} – ${to} in ${timeZone}`).toEqual(raw)
    answers.push(rollups)
  }
  return answers
}

describe('drip analytics roll-ups', () => {
  it('kept by the triggers, they equal the raw query for every period', async () => {
    const [all, day] = await compare('America/New_York')
    // Not two empty answers: the whole period's known numbers.
    expect(all).toMatchObject({ enrolled: 5, goalReached: 2 })
    const step = (a: typeof all, n: number) => a!.steps.find((s) => s.stepId === steps[n])
    expect(step(all, 0)).toEqual({ stepId: steps[0], sent: 5, opened: 2, clicked: 2, bounced: 3, softBounced: 1, unsubscribed: 0, complained: 1 })
    expect(step(all, 1)).toMatchObject({ sent: 2, opened: 1, unsubscribed: 1 })
    expect(all!.links.map((l) => [l.url, l.clicks])).toEqual([['https://a.test/x', 1], ['https://a.test/y', 2]])
    const conversions = all!.conversions.map((c) => JSON.stringify([steps.indexOf(c.stepId) + 1, c.currency, c.conversions, c.revenue])).sort()
    expect(conversions).toEqual(['[1,null,1,0]', '[2,"USD",1,10]', '[2,null,1,5.25]'])
    expect(all!.daily.find((d) => d.day === '2026-11-01')).toEqual({ day: '2026-11-01', sends: 0, opens: 1, clicks: 0, conversions: 0 })
    expect(all!.daily.find((d) => d.day === '2026-11-04')).toMatchObject({ sends: 2 }) // the reviewed send, moved here, and one at 23:00 New York
    expect(day!.enrolled).toBe(3)
  })

  it("the drip page's all-time counts from the roll-ups equal the raw rows' (decision 104)", async () => {
    const stats = await dripStatsRollups(database.db, { workspaceId, dripId })
    expect(stats).toEqual(await dripStats(database.db, { workspaceId, dripId }))
    // Not two empty answers: the known numbers.
    expect(stats.deliveriesByStep[steps[0]!]).toEqual({ published: 5 })
    expect(stats.deliveriesByStep[steps[1]!]).toEqual({ published: 2, skipped: 1, failed: 1 })
    expect(stats.eventsByStep[steps[0]!]).toEqual({ opened: 2, clicked: 2, bounced: 3, complained: 1 })
    expect(stats.enrollments).toEqual({ active: 3, goal_reached: 2 })
    // Another workspace sees nothing of it.
    const other = (await database.db.insert(workspaces).values({ name: 'Other' }).returning())[0]!.id
    expect(await dripStatsRollups(database.db, { workspaceId: other, dripId })).toEqual({ enrollments: {}, waitingByPosition: {}, positions: {}, deliveriesByStep: {}, eventsByStep: {} })
  })

  it('a delivery held for review counts as sent, not as delivered, on the drip page', async () => {
    await database.db.execute(sql`UPDATE deliveries SET state = 'needs_review' WHERE id = md5('od0-2')::uuid`)
    const stats = await dripStatsRollups(database.db, { workspaceId, dripId })
    expect(stats).toEqual(await dripStats(database.db, { workspaceId, dripId }))
    expect(stats.deliveriesByStep[steps[2]!]).toEqual({ needs_review: 1 })
    await database.db.execute(sql`UPDATE deliveries SET state = 'published' WHERE id = md5('od0-2')::uuid`)
    expect(await dripStatsRollups(database.db, { workspaceId, dripId })).toEqual(await dripStats(database.db, { workspaceId, dripId }))
  })

  it('the backfill (a rebuild from the raw rows) gives what the triggers kept', async () => {
    const before = await compare('America/New_York')
    const stats = await dripStatsRollups(database.db, { workspaceId, dripId })
    await rebuildDripRollups(database.db, { dripId })
    expect(await compare('America/New_York')).toEqual(before)
    expect(await dripStatsRollups(database.db, { workspaceId, dripId })).toEqual(stats)
  })

  it("a change of the drip's zone or attribution window rebuilds its roll-ups", async () => {
    await database.db.execute(sql`UPDATE sequences SET timezone = 'Asia/Tokyo' WHERE id = ${dripId}`)
    await compare('Asia/Tokyo')
    await database.db.execute(sql`UPDATE sequences SET settings = settings || '{"attributionDays": 7}'::jsonb WHERE id = ${dripId}`)
    const { rollups, raw } = await rollupsAndRaw(database.db, { workspaceId, dripId, timeZone: 'Asia/Tokyo', goals: ['purchase'], attributionDays: 7, period: { from: at(periods[0]![0]), to: at(periods[0]![1]) } })
    expect(rollups).toEqual(raw)
    expect(rollups.conversions.reduce((a, c) => a + c.conversions, 0)).toBe(4) // the purchase 6 days after step 1 is now inside
  })
})
