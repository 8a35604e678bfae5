import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { sql } from 'drizzle-orm'
import { activateDrip, createDrip } from '../../core/drips.server'
import { saveSmsSettings } from '../../core/sms.server'
import { openJobStore } from '../../jobs/store'
import { withDatabase } from '../db'
import { seedEnrolledAudience, startDripHarness, type DripHarness } from '../drips/harness'
import { startTwilioApiServer, type TwilioApiServer } from '../servers/twilio-api'
import { bundleWorker } from '../worker-bundle'

const fixtureFile = fileURLToPath(new URL('../drips/fixtures/worker.ts', import.meta.url))
let workerBundle: string
beforeAll(async () => {
  workerBundle = await bundleWorker(fixtureFile)
})
const TOTAL = Number(process.env.SMS_CRASH_TOTAL ?? 1_000)
const KILLS = Number(process.env.SMS_CRASH_KILLS ?? 3)
const WORKERS = 2
const stores = [...(process.env.DATABASE_URL ? ['postgres'] : []), ...(process.env.DATABASE_URL && process.env.MONGODB_URL ? ['mongodb'] : [])]
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * The SMS step under SIGKILL (decision 081): worker processes run the real drip runner job and text through
 * the Twilio connector to the loopback Twilio server; one is killed mid-batch several times. Twilio's
 * Messages API has no idempotency key, so a kill between the send and its record repeats that one text:
 * counted at the server, 0 lost and at most one duplicate per kill.
 */
describe.runIf(stores.length > 0)('SMS crash test: SIGKILL during a large text send', () => {
  describe.each(stores)('%s job store', (kind) => {
    let h: DripHarness
    let twilio: TwilioApiServer
    const children = new Set<ChildProcess>()
    beforeEach(async () => {
      h = await startDripHarness()
      twilio = await startTwilioApiServer()
    })
    afterEach(async () => {
      for (const child of children) child.kill('SIGKILL')
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
      const jobsEnv: Record<string, string> =
        kind === 'mongodb' ? { JOBS_MONGODB_URL: withDatabase(process.env.MONGODB_URL!, `trickle_sms_${Date.now().toString(36)}`) } : { JOBS_DATABASE_URL: h.database.url! }
      if (kind === 'postgres') {
        const s = await openJobStore({ databaseUrl: h.database.url!, name: 'setup' })
        await s.close({ drainMs: 0 })
      }
      const output: string[] = []
      const spawnWorker = () => {
        const child = spawn(process.execPath, [workerBundle], {
          env: { ...process.env, APP_DATABASE_URL: h.database.url!, ...jobsEnv, TEST_KEY: h.keyringKey, LINK_SECRET: h.linkSecret, LEASE_MS: '1500', BATCH_SIZE: '100', LANES: String(WORKERS), TWILIO_API_BASE_URL: twilio.url },
          stdio: ['pipe', 'pipe', 'pipe'],
        })
        child.stdout!.on('data', (c: Buffer) => output.push(c.toString()))
        child.stderr!.on('data', (c: Buffer) => output.push(c.toString()))
        children.add(child)
        child.on('exit', () => children.delete(child))
        return child
      }
      const started = Date.now()
      const deadline = started + 300_000
      let kills = 0
      const workers = Array.from({ length: WORKERS }, spawnWorker)
      for (let k = 1; k <= KILLS; k++) {
        const target = Math.floor((TOTAL * k) / (KILLS + 1))
        while (twilio.messages.length < target) {
          if (Date.now() > deadline) throw new Error(`stalled at ${twilio.messages.length} texts; output:\n${output.slice(-30).join('')}`)
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

      const byRecipient = new Map<string, number>()
      for (const m of twilio.messages) byRecipient.set(m.to, (byRecipient.get(m.to) ?? 0) + 1)
      const lost = Array.from({ length: TOTAL }, (_, i) => `+1415555${String(i + 1).padStart(4, '0')}`).filter((p) => !byRecipient.has(p))
      const duplicates = [...byRecipient.values()].reduce((a, n) => a + n - 1, 0)
      console.log(`[${kind}] SMS crash test: ${TOTAL} texts, ${WORKERS} workers, ${kills} kills, ${lost.length} lost, ${duplicates} duplicates, ${((Date.now() - started) / 1000).toFixed(1)} s`)
      expect(lost).toEqual([])
      expect(duplicates).toBeLessThanOrEqual(kills)
      const states = (await h.database.db.execute(sql`SELECT state, count(*)::int AS n FROM deliveries WHERE sequence_id = ${drip.id} GROUP BY state`)) as unknown as Array<{ state: string; n: number }>
      expect(states).toEqual([{ state: 'published', n: TOTAL }])
    }, 340_000)
  })
})
