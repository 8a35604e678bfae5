import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { Job } from 'agenda'
import { cancelUniqueJob, scheduleUniqueJob } from '../../jobs/enqueue'
import type { JobStore, OpenJobStoreOptions } from '../../jobs/store'

/** One shared job store for a contract run (its own database), reached by several workers. */
export type JobStoreFixture = {
  /** Open another connection to the shared store, as a separate worker process would. */
  open(options: { name: string; agenda?: OpenJobStoreOptions['agenda'] }): Promise<JobStore>
  /** Environment under which test/jobs/fixtures/close-exits.ts opens this kind of store (on top of an env without DATABASE_URL/MONGODB_URL). */
  childEnv: Record<string, string>
  /**
   * false for a server whose findAndModify is not atomic (FerretDB 1.x on SQLite, FerretDB#3040): two
   * workers can then both lock one due job, so the race test only asserts that no job is lost.
   */
  exclusiveLocks?: boolean
  destroy(): Promise<void>
}

const POLL_MS = 100
const closeExitsFixture = fileURLToPath(new URL('../jobs/fixtures/close-exits.ts', import.meta.url))

/**
 * What every Agenda backend Trickle uses must do (docs/decisions/003-job-stores.md). Workers poll every
 * 100 ms; job names are unique per test, so tests share the store without seeing each other's jobs.
 */
export function runJobStoreContract(storeName: string, createFixture: () => Promise<JobStoreFixture>): void {
  let fixture: JobStoreFixture | undefined
  const opened: JobStore[] = []
  const releases: (() => void)[] = []
  let sequence = 0
  const jobName = (what: string) => `${what}-${process.pid}-${++sequence}`

  beforeAll(async () => {
    fixture = await createFixture()
  })
  afterEach(async () => {
    releases.splice(0).forEach((release) => release())
    await Promise.all(opened.splice(0).map((store) => store.close({ drainMs: 0 })))
  })
  afterAll(async () => {
    await fixture?.destroy()
  })

  async function worker(name: string, agenda: OpenJobStoreOptions['agenda'] = {}): Promise<JobStore> {
    if (!fixture) throw new Error('fixture not created')
    const store = await fixture.open({ name, agenda: { processEvery: POLL_MS, ...agenda } })
    opened.push(store)
    return store
  }

  /** A promise the test resolves by hand (released after each test in any case). */
  function gate(): { promise: Promise<void>; release(): void } {
    let release = () => {}
    const promise = new Promise<void>((resolve) => {
      release = resolve
    })
    releases.push(release)
    return { promise, release }
  }

  type Run = { id: string; worker: string; at: number; lockedAt?: number; data: Record<string, unknown> }
  function record(runs: Run[], workerName: string, work?: () => Promise<void>) {
    return async (job: Job) => {
      runs.push({ id: String(job.attrs._id), worker: workerName, at: Date.now(), lockedAt: job.attrs.lockedAt?.getTime(), data: job.attrs.data as Record<string, unknown> })
      await work?.()
    }
  }

  it('opens a fresh store from several processes at once, answers ping, and stops answering once closed', async () => {
    const stores = await Promise.all(['a', 'b', 'c'].map((name) => worker(name)))
    for (const store of stores) await expect(store.ping()).resolves.toBeUndefined()
    await stores[0]!.close()
    await expect(stores[0]!.ping()).rejects.toThrow()
    await expect(stores[1]!.ping()).resolves.toBeUndefined()
  })

  it('runs a job scheduled in the future once, at its time', async () => {
    const store = await worker('w')
    const name = jobName('future')
    const runs: Run[] = []
    store.agenda.define(name, record(runs, 'w'))
    await store.start()
    const runAt = new Date(Date.now() + 2_000)
    await store.agenda.schedule(runAt, name, {})
    await waitFor(() => runs.length > 0, 5_000)
    const lateness = runs[0]!.at - runAt.getTime()
    console.log(`[${storeName}] a job due in 2 s started ${lateness} ms late`)
    expect(lateness).toBeGreaterThanOrEqual(-5)
    expect(lateness).toBeLessThan(1_000)
    await sleep(500)
    expect(runs).toHaveLength(1)
  })

  it('runs a job scheduled now once', async () => {
    const store = await worker('w')
    const name = jobName('now')
    const runs: Run[] = []
    store.agenda.define(name, record(runs, 'w'))
    await store.start()
    const scheduledAt = Date.now()
    await store.agenda.now(name, { n: 1 })
    await waitFor(() => runs.length > 0, 2_000)
    console.log(`[${storeName}] a job scheduled now started after ${runs[0]!.at - scheduledAt} ms`)
    await sleep(500)
    expect(runs).toHaveLength(1)
    expect(runs[0]!.data).toEqual({ n: 1 })
  })

  it('reschedules: scheduling the same key again moves the one job to the new time', async () => {
    const store = await worker('w')
    const name = jobName('reschedule')
    const runs: Run[] = []
    store.agenda.define(name, record(runs, 'w'))
    await store.start()
    await scheduleUniqueJob(store.agenda, { name, key: 'delivery-1', runAt: new Date(Date.now() + 600_000), data: { version: 1 } })
    const runAt = new Date(Date.now() + 1_000)
    await scheduleUniqueJob(store.agenda, { name, key: 'delivery-1', runAt, data: { version: 2 } })
    const { jobs, total } = await store.agenda.queryJobs({ name })
    expect(total).toBe(1)
    expect(jobs[0]!.nextRunAt?.getTime()).toBe(runAt.getTime())
    await waitFor(() => runs.length > 0, 3_000)
    expect(runs[0]!.at - runAt.getTime()).toBeGreaterThanOrEqual(-5)
    expect(runs[0]!.data).toMatchObject({ version: 2, key: 'delivery-1' })
    await sleep(500)
    expect(runs).toHaveLength(1)
  })

  it('cancels: a cancelled job never runs, others with another key do', async () => {
    const store = await worker('w')
    const name = jobName('cancel')
    const runs: Run[] = []
    store.agenda.define(name, record(runs, 'w'))
    await store.start()
    const runAt = new Date(Date.now() + 800)
    await scheduleUniqueJob(store.agenda, { name, key: 'cancelled', runAt })
    await scheduleUniqueJob(store.agenda, { name, key: 'kept', runAt })
    expect(await cancelUniqueJob(store.agenda, { name, key: 'cancelled' })).toBe(1)
    await waitFor(() => runs.length > 0, 3_000)
    await sleep(500)
    expect(runs.map((run) => run.data.key)).toEqual(['kept'])
    expect(await cancelUniqueJob(store.agenda, { name, key: 'cancelled' })).toBe(0)
  })

  it('locks a running job: a second worker does not take it', async () => {
    const a = await worker('a')
    const b = await worker('b')
    const name = jobName('lock')
    const runs: Run[] = []
    const hold = gate()
    a.agenda.define(name, record(runs, 'a', () => hold.promise))
    b.agenda.define(name, record(runs, 'b'))
    await a.start()
    await a.agenda.now(name)
    await waitFor(() => runs.length > 0, 2_000)
    const [running] = (await b.agenda.queryJobs({ name })).jobs
    expect(running?.lockedAt).toBeInstanceOf(Date)
    await b.start()
    await sleep(1_000) // ten polls of worker b
    expect(runs.map((run) => run.worker)).toEqual(['a'])
    hold.release()
    await waitFor(async () => (await b.agenda.queryJobs({ name })).jobs[0]?.lastFinishedAt !== undefined, 2_000)
    const [finished] = (await b.agenda.queryJobs({ name })).jobs
    expect(finished?.lockedAt).toBeUndefined()
    expect(runs).toHaveLength(1)
  })

  it('two workers racing over 50 due jobs run every job exactly once', async () => {
    const a = await worker('a')
    const b = await worker('b')
    const name = jobName('race')
    const runs: Run[] = []
    a.agenda.define(name, record(runs, 'a', () => sleep(5)))
    b.agenda.define(name, record(runs, 'b', () => sleep(5)))
    await Promise.all(Array.from({ length: 50 }, (_, i) => a.agenda.now(name, { i })))
    const started = Date.now()
    await Promise.all([a.start(), b.start()])
    const distinct = () => new Set(runs.map((run) => run.id)).size
    await waitFor(() => distinct() >= 50, 20_000).catch((error: Error) => {
      throw new Error(`${error.message}: ${distinct()} of 50 jobs ran (${runs.length} runs)`)
    })
    const elapsed = Date.now() - started
    await sleep(600)
    const perWorker = { a: runs.filter((run) => run.worker === 'a').length, b: runs.filter((run) => run.worker === 'b').length }
    console.log(`[${storeName}] 50 jobs over two workers in ${elapsed} ms (a ${perWorker.a}, b ${perWorker.b}, runs ${runs.length})`)
    expect(new Set(runs.map((run) => run.id)).size).toBe(50)
    expect(new Set(runs.map((run) => run.data.i)).size).toBe(50)
    if (fixture?.exclusiveLocks !== false) expect(runs).toHaveLength(50)
  })

  it("takes over a job whose worker died, once the job's lock expires", async () => {
    const lockLifetime = 1_000
    const a = await worker('a', { defaultLockLifetime: lockLifetime })
    const name = jobName('takeover')
    const runs: Run[] = []
    const hang = gate()
    a.agenda.define(name, record(runs, 'a', () => hang.promise))
    await a.start()
    await a.agenda.now(name)
    await waitFor(() => runs.length > 0, 2_000)
    // Worker a dies: it stops polling and never touches or finishes the job, which stays locked.
    await a.close({ drainMs: 0 })
    const b = await worker('b', { defaultLockLifetime: lockLifetime })
    b.agenda.define(name, record(runs, 'b'))
    await b.start()
    await waitFor(() => runs.length > 1, 5_000)
    expect(runs.map((run) => run.worker)).toEqual(['a', 'b'])
    // Not before a's lock expired: counted from when a locked the job (a loaded machine can start the
    // handler well after the lock, so counting from a's run failed at 896 ms against 900).
    expect(runs[0]!.lockedAt).toBeTypeOf('number')
    expect(runs[1]!.at - runs[0]!.lockedAt!).toBeGreaterThanOrEqual(lockLifetime - 50)
    await sleep(500)
    expect(runs).toHaveLength(2)
  })

  it('keeps one job per key when two processes schedule it at once', async () => {
    const a = await worker('a')
    const b = await worker('b')
    const name = jobName('unique')
    const base = Date.now() + 600_000
    const keys = ['k1', 'k2', 'k3']
    await Promise.all(
      keys.flatMap((key) =>
        Array.from({ length: 10 }, (_, i) =>
          scheduleUniqueJob((i % 2 ? a : b).agenda, { name, key, runAt: new Date(base + i * 1_000), data: { i } }),
        ),
      ),
    )
    const { jobs } = await a.agenda.queryJobs({ name })
    expect(jobs.map((job) => (job.data as { key: string }).key).sort()).toEqual(keys)
  })

  it('close() releases everything: a process that ran a job and closed its stores exits on its own', async () => {
    if (!fixture) throw new Error('fixture not created')
    const { DATABASE_URL: _database, MONGODB_URL: _mongodb, ...env } = process.env
    const child = spawn(process.execPath, ['--import', 'tsx', closeExitsFixture], { env: { ...env, ...fixture.childEnv }, stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    let closedAt = 0
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString()
      if (!closedAt && output.includes('closed')) closedAt = Date.now()
    })
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString()
    })
    const code = await new Promise<number | null>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL')
        reject(new Error(`the process did not exit within 25 s of starting:\n${output}`))
      }, 25_000)
      child.on('exit', (exitCode) => {
        clearTimeout(timer)
        resolve(exitCode)
      })
    })
    expect(output).toContain('closed')
    expect(code).toBe(0)
    expect(Date.now() - closedAt).toBeLessThan(2_000)
  })
}

async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`)
    await sleep(20)
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))
