import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { openJobStore, type JobStore } from '../../jobs/store'
import { createTestDatabase } from '../db'

const fixture = fileURLToPath(new URL('./fixtures/drain-worker.ts', import.meta.url))
const JOB_MS = 2_500

describe.runIf(!!process.env.DATABASE_URL || process.env.CI === 'true')('npm run worker: graceful shutdown on SIGTERM', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>
  let store: JobStore
  let dataDir: string

  beforeAll(async () => {
    database = await createTestDatabase()
    if (!database.url) throw new Error('DATABASE_URL is not set: the worker process needs a PostgreSQL server')
    store = await openJobStore({ databaseUrl: database.url, name: 'test', agenda: { processEvery: 100 } })
    dataDir = mkdtempSync(path.join(tmpdir(), 'trickle-worker-'))
  })
  afterAll(async () => {
    await store?.close({ drainMs: 0 })
    await database?.close()
    if (dataDir) rmSync(dataDir, { recursive: true, force: true })
  })

  it('finishes the running job, takes no new one, hands back the one it had queued, and exits 0', async () => {
    const { MONGODB_URL: _mongodb, ...env } = process.env
    const child = spawn(process.execPath, ['--import', 'tsx', fixture], {
      env: { ...env, DATABASE_URL: database.url, DATA_DIR: dataDir, NODE_ENV: 'test', FIXTURE_JOB_MS: String(JOB_MS) },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let output = ''
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()))
    const exited = new Promise<{ code: number | null; at: number }>((resolve) => child.on('exit', (code) => resolve({ code, at: Date.now() })))
    try {
      await store.agenda.now('fixture-slow', { label: 'A' })
      await waitFor(() => output.includes('started A'), 20_000, () => output)
      const startedA = Date.now()
      // B is due too, but the job's concurrency is 1: the worker locks B and queues it behind A.
      await store.agenda.now('fixture-slow', { label: 'B' })
      await waitFor(async () => (await jobB())?.lockedAt !== undefined, 3_000, () => output)
      const signalledAt = Date.now()
      child.kill('SIGTERM')
      const { code, at } = await Promise.race([
        exited,
        sleep(JOB_MS + 8_000).then(() => {
          throw new Error(`the worker did not exit within ${JOB_MS + 8_000} ms of SIGTERM:\n${output}`)
        }),
      ])
      expect(code, output).toBe(0)
      expect(output).toContain('finished A')
      expect(output).not.toContain('started B')
      // It waited for A (drained) instead of exiting at once, and did not linger.
      expect(at - startedA).toBeGreaterThanOrEqual(JOB_MS - 100)
      expect(at - signalledAt).toBeLessThan(JOB_MS + 3_000)
      console.log(`worker exited ${at - signalledAt} ms after SIGTERM (A had ${JOB_MS - (signalledAt - startedA)} ms left)`)
      const [a] = (await store.agenda.queryJobs({ name: 'fixture-slow', data: { label: 'A' } })).jobs
      expect(a?.lastFinishedAt).toBeInstanceOf(Date)
      const b = await jobB()
      expect(b?.lastRunAt).toBeUndefined()
      expect(b?.lockedAt).toBeUndefined()
    } finally {
      child.kill('SIGKILL')
    }
    // B was handed back, not left locked for its lock lifetime: another worker runs it at once.
    let ranB = false
    store.agenda.define('fixture-slow', async () => {
      ranB = true
    })
    await store.start()
    await waitFor(() => ranB, 2_000, () => 'B did not run on another worker')
  })

  async function jobB() {
    return (await store.agenda.queryJobs({ name: 'fixture-slow', data: { label: 'B' } })).jobs[0]
  }
})

async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs: number, describe: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms:\n${describe()}`)
    await sleep(20)
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))
