import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { getDelivery } from '../../db/queries/deliveries'
import { cancelUniqueJob, PUBLISH_DELIVERY_JOB } from '../../jobs/enqueue'
import type { HeldPost } from '../servers/x-api'
import { bundleWorker } from '../worker-bundle'
import { openPipelineFixture, serverStores, TEST_OPTIONS, TEST_RECONCILE_EVERY_MS, waitFor, type PipelineFixture } from './harness'

/** The held call must outlast the moment the job ends: a longer deadline and lease than the other tests'. */
const LEASE_MS = 6_000
const CONNECTOR_TIMEOUT_MS = 4_000
const fixtureFile = fileURLToPath(new URL('./fixtures/worker.ts', import.meta.url))
let workerBundle: string
beforeAll(async () => {
  workerBundle = await bundleWorker(fixtureFile)
})

/**
 * Decision 118: with `publishEndWithOwn` a publish job ends once its own delivery is settled while a sibling
 * still publishes. A worker killed then leaves that sibling's claim behind. Two worker processes (the crash
 * test's), both started and idle before anything is due, so neither's reconciler expects work (each sleeps
 * towards its 2-minute safety sweep): one job claims both deliveries, its own goes out, the sibling's request
 * is held at the X API, and once the job has ended its worker is SIGKILLed. The other worker runs no other
 * job, so only the job store can tell it: the ended job kept as the sibling's watch, due at the sibling's
 * lease end. Recovered about a lease after the kill (not at the sweep), published once, nothing lost.
 */
describe.each(serverStores)('a job ended before its sibling, its worker killed (%s job store)', (kind) => {
  let f: PipelineFixture
  let dir: string
  const children = new Set<ChildProcess>()
  beforeEach(async () => {
    f = await openPipelineFixture(kind, { network: 'x' })
    dir = mkdtempSync(path.join(tmpdir(), 'trickle-end-with-own-'))
  })
  afterEach(async () => {
    for (const child of children) child.kill('SIGKILL')
    await f?.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('recovers the sibling within about its lease, published once', async () => {
    const pollMs = kind === 'mongodb' ? 500 : 100
    const planFile = path.join(dir, 'plan.json')
    writeFileSync(planFile, '{}')
    const output: string[] = []
    /** Which worker process took which claim (the fixture prints `claim <delivery> <attempt>`). */
    const claimsOf = new Map<ChildProcess, Set<string>>()
    const ready = new Set<ChildProcess>()
    const spawnWorker = () => {
      const child = spawn(process.execPath, [workerBundle], {
        env: {
          ...process.env,
          ...f.childEnv,
          CRASH_PLAN_FILE: planFile,
          CRASH_LOG: path.join(dir, 'crashes.log'),
          PROCESS_EVERY_MS: String(pollMs),
          PUBLISH_END_WITH_OWN: 'true',
          TEST_LEASE_MS: String(LEASE_MS),
          TEST_CONNECTOR_TIMEOUT_MS: String(CONNECTOR_TIMEOUT_MS),
        },
        stdio: ['pipe', 'pipe', 'pipe'],
      })
      children.add(child)
      claimsOf.set(child, new Set())
      child.stdout!.on('data', (chunk: Buffer) => {
        for (const line of chunk.toString().split('\n')) {
          const claim = /^claim (\S+) /.exec(line)
          if (claim) claimsOf.get(child)!.add(claim[1]!)
          else if (line === 'ready') ready.add(child)
          else if (line) output.push(line)
        }
      })
      child.stderr!.on('data', (chunk: Buffer) => output.push(chunk.toString()))
      child.on('exit', () => children.delete(child))
      return child
    }
    const workers = [spawnWorker(), spawnWorker()]
    // Both have made their first reconciler pass, over an empty database: each sleeps until its sweep.
    await waitFor('both workers ready', () => ready.size === 2, 60_000)

    const { sequenceId, stepIds } = await f.createSeries({ steps: 2, text: (i) => `End-with-own kill ${i}` })
    const { deliveries } = await f.plan({ sequenceId, items: stepIds.map((stepId) => ({ stepId, accountId: f.accountId, dueAt: new Date(Date.now() + 1_500) })) })
    const own = deliveries.find((d) => d.stepId === stepIds[0])!
    const sibling = deliveries.find((d) => d.stepId === stepIds[1])!
    // One job for both: the sibling can only be claimed with it (a worker runs 1 job and 1 sibling at once).
    expect(await cancelUniqueJob(f.producer.agenda, { name: PUBLISH_DELIVERY_JOB, key: sibling.id })).toBe(1)
    let held: HeldPost | undefined
    f.x!.holdPosts((text) => (text === 'End-with-own kill 1' ? { apply: true } : null), (post) => void (held = post))

    const jobOfOwn = async () => (await f.producer.agenda.queryJobs({ name: PUBLISH_DELIVERY_JOB })).jobs.filter((job) => (job.data as { key: string }).key === own.id)
    await waitFor('the own delivery published, the sibling held at the network', async () => held && (await getDelivery(f.db, { workspaceId: f.workspaceId, deliveryId: own.id }))?.state === 'published', 30_000, 20)
    // The job has ended: nothing holds its lock any more (kept as the sibling's watch, or removed).
    await waitFor('the job ended', async () => (await jobOfOwn()).every((job) => !job.lockedAt), 10_000, 20)
    const owner = workers.find((w) => claimsOf.get(w)!.has(sibling.id))!
    expect(claimsOf.get(owner)!.has(own.id)).toBe(true)
    expect((await getDelivery(f.db, { workspaceId: f.workspaceId, deliveryId: sibling.id }))?.state).toBe('publishing')
    owner.kill('SIGKILL')
    const killedAt = Date.now()
    held!.drop()

    // Lease, reconciler wake-up, poll, lookup delay, and a lease of margin for a loaded machine; the safety sweep is 2 minutes.
    const boundMs = LEASE_MS + TEST_RECONCILE_EVERY_MS + pollMs + TEST_OPTIONS.lookupDelayMs + LEASE_MS
    await waitFor(
      `the sibling recovered (worker output:\n${output.slice(-20).join('\n')})`,
      async () => (await getDelivery(f.db, { workspaceId: f.workspaceId, deliveryId: sibling.id }))?.state === 'published',
      60_000,
      100,
    )
    const recoveredMs = Date.now() - killedAt
    console.log(`[${kind}] sibling recovered ${recoveredMs} ms after its worker was killed (bound ${boundMs} ms)`)
    expect(recoveredMs).toBeLessThan(boundMs)
    // Published once each: the held post was applied, and the lookup found it (nothing sent twice).
    expect([...f.x!.countsByText()].sort()).toEqual([
      ['End-with-own kill 0', 1],
      ['End-with-own kill 1', 1],
    ])
    expect(f.x!.counters.duplicatesRefused).toBe(0)
    // The watch ran in the live worker and is gone.
    await waitFor('no job left', async () => (await jobOfOwn()).length === 0, 10_000)
  }, 180_000)
})
