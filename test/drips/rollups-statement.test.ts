import { sql } from 'drizzle-orm'
import { createDrip } from '../../core/drips.server'
import type { Services } from '../../core/services.server'
import { rebuildDripRollups } from '../../db/queries/drip-rollups'
import { workspaces } from '../../db/schema'
import { createTestDatabase } from '../db'

/**
 * Decision 117: a delivery's change of state is counted per statement (migration 0033), as the drip runner
 * records a group of messages in one statement. Many deliveries changed by one statement, in every way the
 * row trigger told apart (counted → other counted state, counted → not counted and back, a send instant moved
 * across local midnight, an update that changes nothing counted, rows of several steps, two on one counter),
 * must leave the counters a rebuild from the raw rows gives, after each statement.
 */
const rowsOf = <T>(result: unknown) => ((result as { rows?: T[] }).rows ?? (result as T[]))
let database: Awaited<ReturnType<typeof createTestDatabase>>
afterAll(async () => {
  await database?.close()
})

it('counts the rows one statement changed as the row trigger did (equal to a rebuild after every statement)', async () => {
  database = await createTestDatabase()
  const db = database.db
  const services = { database, clock: { now: () => new Date('2026-11-01T00:00:00Z') } } as unknown as Services
  const workspaceId = (await db.insert(workspaces).values({ name: 'Statements' }).returning())[0]!.id
  const drip = await createDrip(services, {
    workspaceId,
    input: { name: 'Statements', timezone: 'America/New_York', steps: [{ subject: 'One', markdown: 'm' }, { subject: 'Two', markdown: 'm', delay: 'P1D' }] },
  })
  const steps = rowsOf<{ id: string }>(await db.execute(sql`SELECT id FROM sequence_steps WHERE sequence_id = ${drip.id} ORDER BY position`)).map((r) => r.id)
  // 12 enrollments, each with a delivery of step 1 or 2 marked `publishing` (as the runner marks them).
  for (let i = 0; i < 12; i++) {
    await db.execute(sql`INSERT INTO contacts (id, workspace_id, email, status, created_at, updated_at)
      VALUES (md5(${`sc${i}`})::uuid, ${workspaceId}, ${`s${i}@statements.test`}, 'subscribed', now(), now())`)
    await db.execute(sql`INSERT INTO enrollments (id, workspace_id, sequence_id, contact_id, status, step_position, source, started_at)
      VALUES (md5(${`se${i}`})::uuid, ${workspaceId}, ${drip.id}, md5(${`sc${i}`})::uuid, 'active', 0, 'test', ${i % 2 ? '2026-11-02T04:30:00Z' : '2026-11-02T05:30:00Z'}::timestamptz)`)
    await db.execute(sql`INSERT INTO deliveries (id, workspace_id, sequence_id, step_id, enrollment_id, due_at, sending_at, state)
      VALUES (md5(${`sd${i}`})::uuid, ${workspaceId}, ${drip.id}, ${steps[i % 2]!}, md5(${`se${i}`})::uuid, '2026-11-03T04:00:00Z', '2026-11-03T04:30:00Z', 'publishing')`)
  }
  const counters = async () =>
    rowsOf<Record<string, unknown>>(
      await db.execute(sql`SELECT step_id, cohort_day::text, activity_day::text, sent, review, skipped, failed FROM drip_rollups WHERE sequence_id = ${drip.id}
        AND (sent, review, skipped, failed) <> (0, 0, 0, 0) ORDER BY step_id, cohort_day, activity_day`),
    )
  const rebuilt = async () => {
    const kept = await counters()
    await rebuildDripRollups(db, { dripId: drip.id })
    return { kept, rebuilt: await counters() }
  }
  const d = (...i: number[]) => sql.join(i.map((n) => sql`md5(${`sd${n}`})::uuid`), sql`, `)
  // Each statement changes many rows at once; the counters are checked against a rebuild after each.
  const statements = [
    // publishing → published (two counters: both steps, two cohorts), on both sides of New York's midnight
    sql`UPDATE deliveries SET state = 'published', published_at = CASE WHEN id IN (${d(0, 1, 2)}) THEN '2026-11-03T04:59:00Z'::timestamptz ELSE '2026-11-03T05:01:00Z'::timestamptz END WHERE id IN (${d(0, 1, 2, 3, 4, 5, 6, 7)})`,
    // published → needs_review (still sent), published → failed, publishing → skipped, one row unchanged in what counts
    sql`UPDATE deliveries SET state = CASE WHEN id IN (${d(0, 1)}) THEN 'needs_review' WHEN id = ${d(2)} THEN 'failed' WHEN id IN (${d(8, 9)}) THEN 'skipped' ELSE state END,
      updated_at = now() WHERE id IN (${d(0, 1, 2, 3, 8, 9)})`,
    // a send instant moved across midnight (the day changes, the state does not), failed → published, skipped → queued (no longer counted)
    sql`UPDATE deliveries SET published_at = CASE WHEN id IN (${d(4, 5)}) THEN '2026-11-04T12:00:00Z'::timestamptz ELSE published_at END,
      state = CASE WHEN id = ${d(2)} THEN 'published' WHEN id = ${d(8)} THEN 'queued' ELSE state END WHERE id IN (${d(2, 4, 5, 8)})`,
    // the runner's shape: an UPDATE … FROM a set of records, several rows on one counter
    sql`UPDATE deliveries dd SET state = v.state, published_at = v.at::timestamptz FROM (VALUES (${d(10)}, 'published', '2026-11-03T06:00:00Z'), (${d(11)}, 'published', '2026-11-03T06:00:00Z'), (${d(3)}, 'failed', NULL)) AS v(id, state, at) WHERE dd.id = v.id`,
  ]
  let sentTotal = 0
  for (const statement of statements) {
    await db.execute(statement)
    const { kept, rebuilt: fromRows } = await rebuilt()
    expect(kept).toEqual(fromRows)
    sentTotal = kept.reduce((a, r) => a + Number(r.sent), 0)
  }
  // 0, 1 review, 2 published, 4–7, 10, 11 published; 3 failed; 8 queued; 9 skipped.
  expect(sentTotal).toBe(9)
})
