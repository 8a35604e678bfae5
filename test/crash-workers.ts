import { spawn, type ChildProcess } from 'node:child_process'
import { sql } from 'drizzle-orm'
import type { Db } from '../db/client'
import { openJobStore } from '../jobs/store'
import { withDatabase } from './db'

/**
 * The SIGKILL loop the crash tests share (email, SMS, direct mail): worker processes running the real
 * drip runner job (a bundle: test/worker-bundle.ts) on a real job store, one killed each time the
 * provider has received the next share of the send, a fresh one started in its place, then all left to
 * finish. What is counted (lost, duplicates) stays in each test.
 */

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** The job store's variables for a worker: a fresh MongoDB database, or the test's PostgreSQL (Agenda's schema created once, before any worker: two racing on it is a known Agenda pitfall). */
export async function jobStoreEnv(kind: string, args: { databaseUrl: string; prefix: string }): Promise<Record<string, string>> {
  if (kind === 'mongodb') return { JOBS_MONGODB_URL: withDatabase(process.env.MONGODB_URL!, `${args.prefix}_${Date.now().toString(36)}`) }
  const s = await openJobStore({ databaseUrl: args.databaseUrl, name: 'setup' })
  await s.close({ drainMs: 0 })
  return { JOBS_DATABASE_URL: args.databaseUrl }
}

/** Enrollments still active (the run is over at 0). */
export async function activeEnrollments(db: Db): Promise<number> {
  return Number(((await db.execute(sql`SELECT count(*)::int AS n FROM enrollments WHERE status = 'active'`)) as unknown as Array<{ n: number }>)[0]!.n)
}

export type CrashWorkers = {
  /**
   * Start `workers` processes of `bundle`, SIGKILL one (in turn) each time `delivered()` passes the
   * next of `kills` equal shares of `total`, then wait until `remaining()` is 0. Returns the kills made.
   */
  run(args: { bundle: string; env: Record<string, string>; workers: number; kills: number; total: number; delivered: () => number; remaining: () => Promise<number>; timeoutMs: number }): Promise<{ kills: number; seconds: number }>
  /** Kill whatever still runs (afterEach). */
  killAll(): void
}

export function createCrashWorkers(): CrashWorkers {
  const children = new Set<ChildProcess>()
  return {
    async run(args) {
      const output: string[] = []
      const spawnWorker = () => {
        const child = spawn(process.execPath, [args.bundle], { env: { ...process.env, ...args.env }, stdio: ['pipe', 'pipe', 'pipe'] })
        child.stdout!.on('data', (c: Buffer) => output.push(c.toString()))
        child.stderr!.on('data', (c: Buffer) => output.push(c.toString()))
        children.add(child)
        child.on('exit', () => children.delete(child))
        return child
      }
      const started = Date.now()
      const deadline = started + args.timeoutMs
      let kills = 0
      const workers = Array.from({ length: args.workers }, spawnWorker)
      for (let k = 1; k <= args.kills; k++) {
        const target = Math.floor((args.total * k) / (args.kills + 1))
        while (args.delivered() < target) {
          if (Date.now() > deadline) throw new Error(`stalled at ${args.delivered()} delivered; output:\n${output.slice(-30).join('')}`)
          await sleep(20)
        }
        const worker = workers[k % args.workers]!
        worker.kill('SIGKILL')
        kills++
        await new Promise((resolve) => (worker.exitCode !== null || worker.signalCode ? resolve(null) : worker.once('exit', resolve)))
        workers[k % args.workers] = spawnWorker()
      }
      while ((await args.remaining()) > 0) {
        if (Date.now() > deadline) throw new Error(`not finished: ${await args.remaining()} active; output:\n${output.slice(-30).join('')}`)
        await sleep(200)
      }
      for (const worker of workers) worker.kill('SIGKILL')
      return { kills, seconds: (Date.now() - started) / 1000 }
    },
    killAll() {
      for (const child of children) child.kill('SIGKILL')
    },
  }
}
