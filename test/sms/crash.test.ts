import { fileURLToPath } from 'node:url'
import { sql } from 'drizzle-orm'
import { activateDrip, createDrip } from '../../core/drips.server'
import { saveSmsSettings } from '../../core/sms.server'
import { seedEnrolledAudience, startDripHarness, type DripHarness } from '../drips/harness'
import { startTwilioApiServer, type TwilioApiServer } from '../servers/twilio-api'
import { bundleWorker } from '../worker-bundle'
import { activeEnrollments, createCrashWorkers, jobStoreEnv } from '../crash-workers'

const fixtureFile = fileURLToPath(new URL('../drips/fixtures/worker.ts', import.meta.url))
let workerBundle: string
beforeAll(async () => {
  workerBundle = await bundleWorker(fixtureFile)
})
const TOTAL = Number(process.env.SMS_CRASH_TOTAL ?? 500)
const KILLS = Number(process.env.SMS_CRASH_KILLS ?? 3)
const WORKERS = 2
const stores = [...(process.env.DATABASE_URL ? ['postgres'] : []), ...(process.env.DATABASE_URL && process.env.MONGODB_URL ? ['mongodb'] : [])]

/**
 * The SMS step under SIGKILL (decision 081): worker processes run the real drip runner job and text through
 * the Twilio connector to the loopback Twilio server; one is killed mid-batch several times. Twilio's
 * Messages API has no idempotency key, so a kill between the send and its record repeats that one text:
 * counted at the server, 0 lost and at most one duplicate per kill. The 3 s lease leaves a send 600 ms
 * to finish before another worker may take its enrollment over (test/drips/crash.test.ts says why).
 */
describe.runIf(stores.length > 0)('SMS crash test: SIGKILL during a large text send', () => {
  describe.each(stores)('%s job store', (kind) => {
    let h: DripHarness
    let twilio: TwilioApiServer
    const crash = createCrashWorkers()
    beforeEach(async () => {
      h = await startDripHarness()
      twilio = await startTwilioApiServer()
    })
    afterEach(async () => {
      crash.killAll()
      await twilio?.close()
      await h?.close()
    })

    it(`${TOTAL} texts over ${WORKERS} workers, ${KILLS} kills mid-batch: 0 lost, ≤ 1 duplicate per kill`, async () => {
      h.clock.set(new Date())
      await saveSmsSettings(h.services, { workspaceId: h.workspaceId, input: { accountSid: twilio.accountSid, authToken: twilio.authToken, fromNumber: twilio.fromNumber } })
      const drip = await createDrip(h.services, { workspaceId: h.workspaceId, input: { name: 'Big text', quietHours: { start: '03:00', end: '03:01' }, steps: [{ kind: 'sms', text: 'Hi {{ contact.first_name }}, sale today' }] } })
      await activateDrip(h.services, { workspaceId: h.workspaceId, dripId: drip.id })
      await seedEnrolledAudience(h.database.db, { workspaceId: h.workspaceId, dripId: drip.id, count: TOTAL, at: new Date(Date.now() - 1000) })
      // r<i>@rcpt.test texts at +1415555<i> (zero-padded), with SMS consent.
      await h.database.db.execute(sql`UPDATE contacts SET phone = '+1415555' || lpad(substring(email from 2 for position('@' in email) - 2), 4, '0'),
        sms_consent = jsonb_build_object('at', now(), 'source', 'import', 'text', 'Texts OK') WHERE workspace_id = ${h.workspaceId}`)
      const jobsEnv = await jobStoreEnv(kind, { databaseUrl: h.database.url!, prefix: 'trickle_sms' })
      const { kills, seconds } = await crash.run({
        bundle: workerBundle,
        env: { APP_DATABASE_URL: h.database.url!, ...jobsEnv, TEST_KEY: h.keyringKey, LINK_SECRET: h.linkSecret, LEASE_MS: '3000', BATCH_SIZE: '100', LANES: String(WORKERS), TWILIO_API_BASE_URL: twilio.url },
        workers: WORKERS,
        kills: KILLS,
        total: TOTAL,
        delivered: () => twilio.messages.length,
        remaining: () => activeEnrollments(h.database.db),
        // Generous: in CI this runs beside the other crash tests on 2 cores.
        timeoutMs: 300_000,
      })

      const byRecipient = new Map<string, number>()
      for (const m of twilio.messages) byRecipient.set(m.to, (byRecipient.get(m.to) ?? 0) + 1)
      const lost = Array.from({ length: TOTAL }, (_, i) => `+1415555${String(i + 1).padStart(4, '0')}`).filter((p) => !byRecipient.has(p))
      const duplicates = [...byRecipient.values()].reduce((a, n) => a + n - 1, 0)
      console.log(`[${kind}] SMS crash test: ${TOTAL} texts, ${WORKERS} workers, ${kills} kills, ${lost.length} lost, ${duplicates} duplicates, ${seconds.toFixed(1)} s`)
      expect(lost).toEqual([])
      expect(duplicates).toBeLessThanOrEqual(kills)
      const states = (await h.database.db.execute(sql`SELECT state, count(*)::int AS n FROM deliveries WHERE sequence_id = ${drip.id} GROUP BY state`)) as unknown as Array<{ state: string; n: number }>
      expect(states).toEqual([{ state: 'published', n: TOTAL }])
    }, 340_000)
  })
})
