import { fileURLToPath } from 'node:url'
import { sql } from 'drizzle-orm'
import { systemClock } from '../../core/clock'
import { activateDrip, createDrip } from '../../core/drips.server'
import { seedEnrolledAudience, startDripHarness, type DripHarness } from './harness'
import { bundleWorker } from '../worker-bundle'
import { activeEnrollments, createCrashWorkers, jobStoreEnv } from '../crash-workers'

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
const TOTAL = Number(process.env.DRIP_CRASH_TOTAL ?? 1_000)
const KILLS = Number(process.env.DRIP_CRASH_KILLS ?? 4)
/** Worker processes sending at once (one drip lane each); a kill takes one of them. */
const WORKERS = Number(process.env.DRIP_CRASH_WORKERS ?? 2)
/** Email messages a worker may have handed over without their outcome recorded (decision 099): a kill re-sends at most this many. */
const WINDOW = Number(process.env.DRIP_CRASH_WINDOW ?? 10)
const stores = [...(process.env.DATABASE_URL ? ['postgres'] : []), ...(process.env.DATABASE_URL && process.env.MONGODB_URL ? ['mongodb'] : [])]

/**
 * SIGKILL a worker (one of WORKERS child processes running the real drip runner job on a real job
 * store; a process runs one pass at a time) in the middle of a large send, several times, each time
 * starting a fresh one, and let them finish. Counted at the SMTP server: 0 lost, duplicates ≤ kills ×
 * the send window (the messages a worker may have handed over without their outcome recorded), and
 * every duplicate carries its original's Message-ID.
 *
 * The lease is 3 s: a batch starts no send in its lease's last 20%, so a send must finish within 600 ms
 * or another worker may take the enrollment over and send it again without any kill. At 1.5 s (300 ms)
 * a loaded machine (load 15 on 2 cores) made such takeovers, and more duplicates than kills.
 */
describe.runIf(stores.length > 0)('drip crash test: SIGKILL during a large send', () => {
  describe.each(stores)('%s job store', (kind) => {
    let h: DripHarness
    const crash = createCrashWorkers()
    beforeEach(async () => {
      h = await startDripHarness()
    })
    afterEach(async () => {
      crash.killAll()
      await h?.close()
    })

    it(`${TOTAL} messages over ${WORKERS} workers (send window ${WINDOW}), ${KILLS} kills mid-batch: 0 lost, ≤ ${WINDOW} duplicates per kill with the same Message-ID`, async () => {
      h.clock.set(new Date())
      const drip = await createDrip(h.services, { workspaceId: h.workspaceId, input: { name: 'Big send', steps: [{ subject: 'Hello {{ name | "there" }}', markdown: 'News for **{{ name }}**: [more](https://example.com/more)' }] } })
      await activateDrip(h.services, { workspaceId: h.workspaceId, dripId: drip.id })
      await seedEnrolledAudience(h.database.db, { workspaceId: h.workspaceId, dripId: drip.id, count: TOTAL, at: new Date(Date.now() - 1000) })
      const jobsEnv = await jobStoreEnv(kind, { databaseUrl: h.database.url!, prefix: 'trickle_drips' })
      const { kills, seconds } = await crash.run({
        bundle: workerBundle,
        env: { APP_DATABASE_URL: h.database.url!, ...jobsEnv, TEST_KEY: h.keyringKey, LINK_SECRET: h.linkSecret, LEASE_MS: '3000', BATCH_SIZE: '200', LANES: String(WORKERS), SEND_WINDOW: String(WINDOW) },
        workers: WORKERS,
        kills: KILLS,
        total: TOTAL,
        delivered: () => h.smtp.messages.length,
        remaining: () => activeEnrollments(h.database.db),
        // Generous: in CI this runs beside the other crash tests on 2 cores.
        timeoutMs: 300_000,
      })

      const byRecipient = new Map<string, string[]>()
      for (const m of h.smtp.messages) for (const to of m.envelope.to) byRecipient.set(to, [...(byRecipient.get(to) ?? []), m.parsed.messageId!])
      const lost = Array.from({ length: TOTAL }, (_, i) => `r${i + 1}@rcpt.test`).filter((a) => !byRecipient.has(a))
      const duplicated = [...byRecipient.entries()].filter(([, ids]) => ids.length > 1)
      const duplicates = duplicated.reduce((a, [, ids]) => a + ids.length - 1, 0)
      console.log(`[${kind}] drip crash test: ${TOTAL} messages, ${WORKERS} workers, window ${WINDOW}, ${kills} kills, ${lost.length} lost, ${duplicates} duplicates (at most ${kills * WINDOW}), ${seconds.toFixed(1)} s`)
      expect(lost).toEqual([])
      expect(duplicates).toBeLessThanOrEqual(kills * WINDOW)
      for (const [, ids] of duplicated) expect(new Set(ids).size).toBe(1)
      const states = (await h.database.db.execute(sql`SELECT state, count(*)::int AS n FROM deliveries WHERE sequence_id = ${drip.id} GROUP BY state`)) as unknown as Array<{ state: string; n: number }>
      expect(states).toEqual([{ state: 'published', n: TOTAL }])
      void systemClock
    }, 340_000)
  })
})
