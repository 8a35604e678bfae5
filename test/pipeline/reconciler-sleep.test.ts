import { openDatabase } from '../../db/client'
import { getDelivery } from '../../db/queries/deliveries'
import { defineJobs, startPipeline } from '../../jobs/definitions'
import { deliveryScheduler } from '../../jobs/enqueue'
import { openJobStore } from '../../jobs/store'
import { openPipelineFixture, sleep, TEST_STALL_GRACE_MS, waitFor, type PipelineFixture } from './harness'

// Decision 109: a worker's reconciler sleeps until the next instant the database says a pass could find
// work, instead of passing every reconcileEveryMs. The logic is the same on every job store (the
// reconciler only reads the app's database), so PostgreSQL alone runs it.
describe.runIf(!!process.env.DATABASE_URL)('the reconciler sleeps until its next known work (postgres job store)', () => {
  let f: PipelineFixture
  beforeEach(async () => {
    f = await openPipelineFixture('postgres')
  })
  afterEach(async () => {
    await f?.close()
  })

  it('runs no statement while nothing can be due, then recovers a delivery whose job was lost at its stall instant', async () => {
    const { sequenceId, stepIds } = await f.createSeries({ steps: 2 })
    const dueAt = new Date(Date.now() + 1_000)
    const { deliveries } = await f.plan({
      sequenceId,
      items: [
        { stepId: stepIds[0]!, accountId: f.accountId, dueAt },
        { stepId: stepIds[1]!, accountId: f.accountId, dueAt: new Date(Date.now() + 86_400_000) },
      ],
    })
    const lost = deliveries[0]!
    // Its job is lost (a crash between commit and enqueue): only the reconciler can bring it back.
    await deliveryScheduler(f.producer.agenda).cancel({ deliveryId: lost.id })

    let statements = 0
    const database = await openDatabase({ url: f.childEnv.APP_DATABASE_URL!, max: 4, migrate: false, onQuery: () => void statements++ })
    const store = await openJobStore({ databaseUrl: f.childEnv.APP_DATABASE_URL, name: 'sleeper', agenda: { processEvery: 100 } })
    try {
      const deps = { ...f.deps({ db: database.db, store }), reconcileEveryMs: 200 }
      defineJobs(store, deps)
      await store.start()
      await startPipeline(store.agenda, deps)
      // The first pass found nothing; the next instant with work is the lost delivery's time + the stall grace.
      const stallAt = dueAt.getTime() + TEST_STALL_GRACE_MS
      const afterStart = statements
      await sleep(stallAt - Date.now() - 300)
      // Every 200 ms before decision 109: a pass of three statements each time.
      expect(statements - afterStart).toBe(0)
      const published = await waitFor('the lost delivery published', async () => {
        const row = await getDelivery(f.db, { workspaceId: f.workspaceId, deliveryId: lost.id })
        return row?.state === 'published' ? row : undefined
      }, 10_000)
      expect(published.publishedAt!.getTime()).toBeGreaterThanOrEqual(stallAt)
      expect(f.server.posts.map((p) => p.idempotencyKey)).toEqual([lost.id])
    } finally {
      await store.close({ drainMs: 0 })
      await database.close()
    }
  })
})
