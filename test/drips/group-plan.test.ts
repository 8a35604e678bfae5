import { sql } from 'drizzle-orm'
import { drizzle } from 'drizzle-orm/postgres-js'
import postgres from 'postgres'
import * as schema from '../../db/schema'
import type { Db } from '../../db/client'
import { seedEnrolledAudience, startDripHarness, T0, type DripHarness } from './harness'

type PlanNode = { 'Node Type': string; 'Relation Name'?: string; 'Index Cond'?: string; Plans?: PlanNode[] }

/** Every scan of a table in `plan` (its nodes that name a relation), with whether an index condition bounds it. */
function scans(plan: PlanNode, out: Array<{ node: string; table: string; bounded: boolean }> = []) {
  if (plan['Relation Name'] && /Scan$/.test(plan['Node Type'])) {
    const bitmapChildBounded = plan['Node Type'] === 'Bitmap Heap Scan' && (plan.Plans ?? []).every((p) => p['Index Cond'] !== undefined)
    out.push({ node: plan['Node Type'], table: plan['Relation Name'], bounded: plan['Index Cond'] !== undefined || bitmapChildBounded })
  }
  for (const child of plan.Plans ?? []) scans(child, out)
  return out
}

/**
 * The group statement (function drip_record_and_mark_group, migration 0034, decision 124) is planned once
 * per connection, from whatever statistics the tables have then. Here they say `deliveries` is empty (it
 * was analyzed before the first message) while it holds hundreds of rows: a plan that trusted them read the
 * whole table for every group, growing with every message sent (PostgreSQL's CPU per message doubled in
 * bench:drip). Every plan of the statement, read from PostgreSQL's auto_explain, must look up each table
 * it reads by an index condition.
 */
describe.runIf(process.env.DATABASE_URL)('the drip group statement plan', () => {
  let h: DripHarness
  let client: postgres.Sql | undefined
  afterEach(async () => {
    await client?.end({ timeout: 5 })
    await h?.close()
  })

  it('looks up every row by key however stale the statistics are', async () => {
    h = await startDripHarness()
    const first = await h.activeDrip({ steps: [{ subject: 'One', markdown: 'Hello {{ name }}' }] })
    const second = await h.activeDrip({ name: 'Second', steps: [{ subject: 'Two', markdown: 'Again {{ name }}' }] })
    const due = new Date(T0.getTime() - 1000)
    await seedEnrolledAudience(h.database.db, { workspaceId: h.workspaceId, dripId: first.id, count: 300, at: due })
    await h.database.db.execute(sql`ANALYZE deliveries, enrollments, contacts`)
    expect(await h.drain({ batchSize: 100 })).toBe(300)

    // The same contacts enter the second drip: its sends run on a connection that explains every statement
    // the function runs (auto_explain, as notices to this client).
    await seedEnrolledAudience(h.database.db, { workspaceId: h.workspaceId, dripId: second.id, count: 300, at: due })
    const plans: Array<{ query: string; plan: PlanNode }> = []
    client = postgres(h.database.url!, {
      max: 1,
      onnotice: (notice) => {
        const text = String(notice.message)
        const json = text.slice(text.indexOf('{'))
        if (!text.includes('plan:')) return
        const explained = JSON.parse(json) as { 'Query Text': string; Plan: PlanNode }
        plans.push({ query: explained['Query Text'], plan: explained.Plan })
      },
    })
    await client.unsafe(`LOAD 'auto_explain'`)
    for (const setting of ['log_min_duration = 0', 'log_nested_statements = on', 'log_level = notice', 'log_format = json']) await client.unsafe(`SET auto_explain.${setting}`)
    const db = drizzle(client, { schema }) as unknown as Db
    expect(await h.drain({ db, batchSize: 100 })).toBe(300)

    const group = plans.filter((p) => p.query.trimStart().startsWith('WITH p AS'))
    expect(group.length, 'plans of the group statement explained').toBeGreaterThanOrEqual(30)
    const unbounded = group.flatMap((p) => scans(p.plan)).filter((s) => !s.bounded)
    expect(unbounded, 'scans without an index condition').toEqual([])
    expect(new Set(group.flatMap((p) => scans(p.plan)).map((s) => s.table))).toEqual(new Set(['deliveries', 'enrollments', 'contacts', 'suppressions', 'sms_suppressions', 'sequences']))
  }, 60_000)
})
