import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { sql } from 'drizzle-orm'
import { systemClock } from '../../core/clock'
import { activateDrip, createDrip } from '../../core/drips.server'
import { openJobStore } from '../../jobs/store'
import { withDatabase } from '../db'
import { seedEnrolledAudience, startDripHarness, type DripHarness } from './harness'
import { bundleWorker } from '../worker-bundle'

const fixtureFile = fileURLToPath(new URL('./fixtures/worker.ts', import.meta.url))
/** The fixture bundled once (test/worker-bundle.ts): a worker's start-up is most of this test's time. */
let workerBundle: string
beforeAll(async () => {
  workerBundle = await bundleWorker(fixtureFile)
})
/**
 * 2,000 by default: each kill lands mid-batch (batches of 200) either way, and CI runs this on both
 * stores beside the other suites; DRIP_CRASH_TOTAL=5000 (or more) for a long run, bench/drip-send.ts for volume.
 */
const TOTAL = Number(process.env.DRIP_CRASH_TOTAL ?? 2_000)
const KILLS = Number(process.env.DRIP_CRASH_KILLS ?? 4)
/** Worker processes sending at once (one drip lane each); a kill takes one of them. */
const WORKERS = Number(process.env.DRIP_CRASH_WORKERS ?? 2)
const stores = [...(process.env.DATABASE_URL ? ['postgres'] : []), ...(process.env.DATABASE_URL && process.env.MONGODB_URL ? ['mongodb'] : [])]
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * SIGKILL a worker (one of WORKERS child processes running the real drip runner job on a real job
 * store, one lane each) in the middle of a large send, several times, each time starting a fresh one,
 * and let them finish. Counted at the SMTP server: 0 lost, duplicates ≤ kills, and every duplicate
 * carries its original's Message-ID.
 */
describe.runIf(stores.length > 0)('drip crash test: SIGKILL during a large send', () => {
  describe.each(stores)('%s job store', (kind) => {
    let h: DripHarness
    const children = new Set<ChildProcess>()
    beforeEach(async () => {
      h = await startDripHarness()
    })
    afterEach(async () => {
      for (const child of children) child.kill('SIGKILL')
      await h?.close()
    })

    it(`${TOTAL} messages over ${WORKERS} workers, ${KILLS} kills mid-batch: 0 lost, ≤ 1 duplicate per kill with the same Message-ID`, async () => {
      h.clock.set(new Date())
      const drip = await createDrip(h.services, { workspaceId: h.workspaceId, input: { name: 'Big send', steps: [{ subject: 'Hello {{ name | "there" }}', markdown: 'News for **{{ name }}**: [more](https://example.com/more)' }] } })
      await activateDrip(h.services, { workspaceId: h.workspaceId, dripId: drip.id })
      await seedEnrolledAudience(h.database.db, { workspaceId: h.workspaceId, dripId: drip.id, count: TOTAL, at: new Date(Date.now() - 1000) })
      const jobsEnv: Record<string, string> =
        kind === 'mongodb' ? { JOBS_MONGODB_URL: withDatabase(process.env.MONGODB_URL!, `trickle_drips_${Date.now().toString(36)}`) } : { JOBS_DATABASE_URL: h.database.url! }
      if (kind === 'postgres') {
        // Create Agenda's schema once (two processes racing on it is a known Agenda pitfall).
        const s = await openJobStore({ databaseUrl: h.database.url!, name: 'setup' })
        await s.close({ drainMs: 0 })
      }
      const output: string[] = []
      let kills = 0
      const spawnWorker = () => {
        const child = spawn(process.execPath, [workerBundle], {
          env: { ...process.env, APP_DATABASE_URL: h.database.url!, ...jobsEnv, TEST_KEY: h.keyringKey, LINK_SECRET: h.linkSecret, LEASE_MS: '1500', BATCH_SIZE: '200', LANES: String(WORKERS) },
          stdio: ['pipe', 'pipe', 'pipe'],
        })
        child.stdout!.on('data', (c: Buffer) => output.push(c.toString()))
        child.stderr!.on('data', (c: Buffer) => output.push(c.toString()))
        children.add(child)
        child.on('exit', () => children.delete(child))
        return child
      }
      const started = Date.now()
      // Generous: in CI this runs beside the X crash test on 2 cores (with 5,000 messages, 120 s once left 805 unsent).
      const deadline = started + 300_000
      const workers = Array.from({ length: WORKERS }, spawnWorker)
      for (let k = 1; k <= KILLS; k++) {
        const target = Math.floor((TOTAL * k) / (KILLS + 1))
        while (h.smtp.messages.length < target) {
          if (Date.now() > deadline) throw new Error(`stalled at ${h.smtp.messages.length} messages; output:\n${output.slice(-30).join('')}`)
          await sleep(20)
        }
        const worker = workers[k % WORKERS]!
        worker.kill('SIGKILL')
        kills++
        await new Promise((resolve) => (worker.exitCode !== null || worker.signalCode ? resolve(null) : worker.once('exit', resolve)))
        workers[k % WORKERS] = spawnWorker()
      }
      const remaining = async () => Number(((await h.database.db.execute(sql`SELECT count(*)::int AS n FROM enrollments WHERE status = 'active'`)) as unknown as Array<{ n: number }>)[0]!.n)
      while ((await remaining()) > 0) {
        if (Date.now() > deadline) throw new Error(`not finished: ${await remaining()} active; output:\n${output.slice(-30).join('')}`)
        await sleep(200)
      }
      for (const worker of workers) worker.kill('SIGKILL')

      const byRecipient = new Map<string, string[]>()
      for (const m of h.smtp.messages) for (const to of m.envelope.to) byRecipient.set(to, [...(byRecipient.get(to) ?? []), m.parsed.messageId!])
      const lost = Array.from({ length: TOTAL }, (_, i) => `r${i + 1}@rcpt.test`).filter((a) => !byRecipient.has(a))
      const duplicated = [...byRecipient.entries()].filter(([, ids]) => ids.length > 1)
      const duplicates = duplicated.reduce((a, [, ids]) => a + ids.length - 1, 0)
      console.log(`[${kind}] drip crash test: ${TOTAL} messages, ${WORKERS} workers, ${kills} kills, ${lost.length} lost, ${duplicates} duplicates, ${((Date.now() - started) / 1000).toFixed(1)} s`)
      expect(lost).toEqual([])
      expect(duplicates).toBeLessThanOrEqual(kills)
      for (const [, ids] of duplicated) expect(new Set(ids).size).toBe(1)
      const states = (await h.database.db.execute(sql`SELECT state, count(*)::int AS n FROM deliveries WHERE sequence_id = ${drip.id} GROUP BY state`)) as unknown as Array<{ state: string; n: number }>
      expect(states).toEqual([{ state: 'published', n: TOTAL }])
      void systemClock
    }, 340_000)
  })
})
