import { fileURLToPath } from 'node:url'
import { sql } from 'drizzle-orm'
import { activateDrip, createDrip } from '../../core/drips.server'
import { saveMailSettings } from '../../core/mail.server'
import { seedEnrolledAudience, startDripHarness, type DripHarness } from '../drips/harness'
import { startLobApiServer, type LobApiServer } from '../servers/lob-api'
import { bundleWorker } from '../worker-bundle'
import { activeEnrollments, createCrashWorkers, jobStoreEnv } from '../crash-workers'

const fixtureFile = fileURLToPath(new URL('../drips/fixtures/worker.ts', import.meta.url))
let workerBundle: string
beforeAll(async () => {
  workerBundle = await bundleWorker(fixtureFile)
})
/** Small on purpose (a mail batch also verifies each new address): 200 pieces, 2 kills, seconds rather than minutes. */
const TOTAL = Number(process.env.MAIL_CRASH_TOTAL ?? 200)
const KILLS = Number(process.env.MAIL_CRASH_KILLS ?? 2)
const WORKERS = 2
const stores = [...(process.env.DATABASE_URL ? ['postgres'] : []), ...(process.env.DATABASE_URL && process.env.MONGODB_URL ? ['mongodb'] : [])]

/**
 * The direct-mail step under SIGKILL (decision 089): worker processes run the real drip runner job and send
 * postcards through the Lob connector to the loopback Lob server; one is killed mid-batch several times.
 * Lob's Idempotency-Key (enrollment:step) makes a repeat after a kill return the first piece: counted at
 * the server, 0 lost and 0 duplicate pieces (the repeats show as replays).
 */
describe.runIf(stores.length > 0)('direct-mail crash test: SIGKILL during a postcard send', () => {
  describe.each(stores)('%s job store', (kind) => {
    let h: DripHarness
    let lob: LobApiServer
    const crash = createCrashWorkers()
    beforeEach(async () => {
      h = await startDripHarness()
      lob = await startLobApiServer()
    })
    afterEach(async () => {
      crash.killAll()
      await lob?.close()
      await h?.close()
    })

    it(`${TOTAL} postcards over ${WORKERS} workers, ${KILLS} kills mid-batch: 0 lost, 0 duplicates`, async () => {
      h.clock.set(new Date())
      await saveMailSettings(h.services, { workspaceId: h.workspaceId, input: { apiKey: lob.apiKey, returnAddress: { name: 'Brand Inc', line1: '1 Main St', city: 'Springfield', state: 'IL', zip: '62701' } } })
      const drip = await createDrip(h.services, { workspaceId: h.workspaceId, input: { name: 'Big mail', steps: [{ kind: 'mail', mail: { piece: 'postcard', front: '<h1>Hi {{ contact.email }}</h1>', back: '<p>Sale</p>' } }] } })
      await activateDrip(h.services, { workspaceId: h.workspaceId, dripId: drip.id })
      await seedEnrolledAudience(h.database.db, { workspaceId: h.workspaceId, dripId: drip.id, count: TOTAL, at: new Date(Date.now() - 1000) })
      // r<i>@rcpt.test lives at <i> Berry St.
      await h.database.db.execute(sql`UPDATE contacts SET postal_address = jsonb_build_object('name', 'R', 'line1', substring(email from 2 for position('@' in email) - 2) || ' Berry St',
        'city', 'San Francisco', 'state', 'CA', 'zip', '94107') WHERE workspace_id = ${h.workspaceId}`)
      const jobsEnv = await jobStoreEnv(kind, { databaseUrl: h.database.url!, prefix: 'trickle_mail' })
      const { kills, seconds } = await crash.run({
        bundle: workerBundle,
        env: { APP_DATABASE_URL: h.database.url!, ...jobsEnv, TEST_KEY: h.keyringKey, LINK_SECRET: h.linkSecret, LEASE_MS: '3000', BATCH_SIZE: '50', LANES: String(WORKERS), LOB_API_BASE_URL: lob.url },
        workers: WORKERS,
        kills: KILLS,
        total: TOTAL,
        delivered: () => lob.pieces.length,
        remaining: () => activeEnrollments(h.database.db),
        timeoutMs: 120_000,
      })

      const byAddress = new Map<string, number>()
      for (const p of lob.pieces) byAddress.set(String(p.to.address_line1), (byAddress.get(String(p.to.address_line1)) ?? 0) + 1)
      const lost = Array.from({ length: TOTAL }, (_, i) => `${i + 1} Berry St`).filter((a) => !byAddress.has(a))
      const duplicates = [...byAddress.values()].reduce((a, n) => a + n - 1, 0)
      console.log(`[${kind}] direct-mail crash test: ${TOTAL} postcards, ${WORKERS} workers, ${kills} kills, ${lost.length} lost, ${duplicates} duplicates, ${lob.counters.replays} idempotent replays, ${seconds.toFixed(1)} s`)
      expect(lost).toEqual([])
      expect(duplicates).toBe(0)
      const states = (await h.database.db.execute(sql`SELECT state, count(*)::int AS n FROM deliveries WHERE sequence_id = ${drip.id} GROUP BY state`)) as unknown as Array<{ state: string; n: number }>
      expect(states).toEqual([{ state: 'published', n: TOTAL }])
    }, 160_000)
  })
})
