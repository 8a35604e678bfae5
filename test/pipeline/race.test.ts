import { sql } from 'drizzle-orm'
import { deliveries } from '../../db/schema'
import { openPipelineFixture, serverStores, waitFor, type PipelineFixture } from './harness'

/**
 * 1,000 due deliveries is the acceptance size (PostgreSQL store). FerretDB 1.24 on SQLite (the
 * MongoDB-protocol server here) pushes no filter but `_id` down to SQLite, so each enqueue and lock
 * reads the whole jobs collection: planning 1,000 alone takes minutes there (O(n²)). The MongoDB-protocol
 * store races on 200 by default; RACE_COUNT overrides both (decisions 018 and 095 have the numbers).
 */
const countFor = (kind: string) => Number(process.env.RACE_COUNT ?? (kind === 'mongodb' ? 200 : 1000))

describe.runIf(serverStores.length > 0)('workers racing on due deliveries', () => {
  describe.each(serverStores)('%s job store', (kind) => {
    const COUNT = countFor(kind)
    let f: PipelineFixture
    beforeEach(async () => {
      f = await openPipelineFixture(kind)
    })
    afterEach(async () => {
      const closing = Date.now()
      await f?.close()
      console.log(`[${kind}] fixture closed in ${Date.now() - closing} ms`)
    }, 120_000)

    it.each([2, 4])(`%i workers publish ${COUNT} due deliveries exactly once each`, async (workers) => {
      const { sequenceId, stepIds } = await f.createSeries({ steps: COUNT })
      const planStarted = Date.now()
      const due = new Date(Date.now() + 1_000)
      const { deliveries: planned } = await f.plan({ sequenceId, items: stepIds.map((stepId) => ({ stepId, accountId: f.accountId, dueAt: due })) })
      const planMs = Date.now() - planStarted
      expect(planned).toHaveLength(COUNT)
      await Promise.all(Array.from({ length: workers }, (_, i) => f.startWorker({ name: `racer-${i}`, concurrency: 25, stallGraceMs: 60_000 })))
      const started = Date.now()
      await waitFor(
        'every delivery published',
        async () => {
          const [row] = await f.db.select({ n: sql<number>`count(*)::int` }).from(deliveries).where(sql`${deliveries.state} = 'published'`)
          return row!.n === COUNT
        },
        180_000,
        200,
      )
      const publishMs = Date.now() - started
      const counts = f.server.countsByKey()
      expect(counts.size).toBe(COUNT)
      expect([...counts.values()].every((n) => n === 1)).toBe(true)
      expect(f.server.postRequests).toBe(COUNT)
      const ids = new Set(planned.map((d) => d.id))
      expect([...counts.keys()].every((key) => ids.has(key))).toBe(true)
      const [{ attempts }] = (await f.db.select({ attempts: sql<number>`sum(${deliveries.attempts})::int` }).from(deliveries)) as [{ attempts: number }]
      console.log(`[${kind}] ${workers} workers: planned+enqueued ${COUNT} in ${planMs} ms, all published ${publishMs} ms after start, ${attempts} claims for ${COUNT} deliveries, ${f.storeErrors.count} job store errors`)
    }, 240_000)
  })
})
