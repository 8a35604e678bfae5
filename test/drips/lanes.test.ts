import { defineDripRunner, scheduleDripRunner } from '../../jobs/drip-runner'
import { DRIP_LANE_JOB } from '../../jobs/enqueue'
import { openJobStore, type JobStore } from '../../jobs/store'
import { withDatabase } from '../db'
import { seedEnrolledAudience, startDripHarness, T0, type DripHarness } from './harness'

const stores = [...(process.env.DATABASE_URL ? ['postgres'] : []), ...(process.env.DATABASE_URL && process.env.MONGODB_URL ? ['mongodb'] : [])]
const TOTAL = 2_000

/**
 * Two workers, two lanes (decisions 021, 122): while one worker runs a pass, the other lane is the other
 * worker's. Each worker here is a job store of its own on the same store database with its own runner,
 * as two processes would be. A worker with a pass running used to lock the other lane's job too (a job
 * name per lane, each with its own lock limit), end it at once and, knowing its next run time first,
 * lock it again: the second worker never sent (0 of 20,000 in bench:drip).
 */
describe.runIf(stores.length > 0)('drip lanes: two workers share the send', () => {
  describe.each(stores)('%s job store', (kind) => {
    let h: DripHarness
    const workers: JobStore[] = []
    beforeEach(async () => {
      h = await startDripHarness()
    })
    afterEach(async () => {
      for (const w of workers.splice(0)) await w.close({ drainMs: 10_000 })
      await h?.close()
    })

    it(`${TOTAL} messages: each worker claims a share of the enrollments`, async () => {
      const drip = await h.activeDrip({ steps: [{ subject: 'Hello', markdown: 'News for **{{ name }}**' }] })
      await seedEnrolledAudience(h.database.db, { workspaceId: h.workspaceId, dripId: drip.id, count: TOTAL, at: new Date(T0.getTime() - 1000) })
      const storeOptions = kind === 'mongodb' ? { mongodbUrl: withDatabase(process.env.MONGODB_URL!, `trickle_lanes_${Date.now().toString(36)}`) } : { databaseUrl: h.database.url! }
      const claimed = [0, 0]
      for (const i of [0, 1]) {
        const store = await openJobStore({ ...storeOptions, name: `lane-worker-${i + 1}`, agenda: { processEvery: 200 } })
        workers.push(store)
        defineDripRunner(store.agenda, h.runner({ batchSize: 25, afterClaim: (batch) => void (claimed[i]! += batch.length) }))
        await store.start()
        await scheduleDripRunner(store.agenda, { everyMs: 200, lanes: 2 })
      }
      const deadline = Date.now() + 60_000
      while (h.smtp.messages.length < TOTAL && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50))
      expect(h.smtp.messages.length).toBe(TOTAL)
      console.log(`[${kind}] drip lanes: enrollments claimed by each worker: ${claimed.join(', ')}`)
      // Both sent: the first to start would send everything alone in ~2 s; each gets a share.
      expect(Math.min(...claimed), `enrollments claimed by each worker: ${claimed.join(', ')}`).toBeGreaterThanOrEqual(TOTAL / 10)
    }, 90_000)

    it('keeps one job per configured lane and removes the jobs of before (a name per lane)', async () => {
      const storeOptions = kind === 'mongodb' ? { mongodbUrl: withDatabase(process.env.MONGODB_URL!, `trickle_lanes_${Date.now().toString(36)}`) } : { databaseUrl: h.database.url! }
      const store = await openJobStore({ ...storeOptions, name: 'lane-schedule' })
      workers.push(store)
      const { agenda } = store
      await agenda.every(5_000, 'drip-runner', undefined, { skipImmediate: true })
      await agenda.every(5_000, 'drip-runner-2', undefined, { skipImmediate: true })
      const lanes = async () => (await agenda.queryJobs({ name: DRIP_LANE_JOB })).jobs.map((j) => (j.data as { key: string }).key).sort()
      await scheduleDripRunner(agenda, { lanes: 3 })
      await scheduleDripRunner(agenda, { lanes: 3 })
      expect(await lanes()).toEqual(['lane-1', 'lane-2', 'lane-3'])
      await scheduleDripRunner(agenda, { lanes: 1 })
      expect(await lanes()).toEqual(['lane-1'])
      expect((await agenda.queryJobs({ name: 'drip-runner' })).jobs.length + (await agenda.queryJobs({ name: 'drip-runner-2' })).jobs.length).toBe(0)
    })
  })
})
