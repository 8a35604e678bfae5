/**
 * One pipeline worker in a process of its own, for `bench/scheduler-lag.ts --workers=N` (the README's
 * scale-out: several `npm run worker` processes on one job store). It opens the benchmark's database and
 * job store, publishes through the X connector to the benchmark's loopback X API, and reports to its
 * parent over IPC, in batches every 100 ms: when each delivery was claimed (`started`, ms since the epoch;
 * the same clock as the parent's on one machine) and how many statements its app client sent.
 *
 * The parent forks it with `{ url, keyringKey, x, concurrency, name, store, mongoUrl }` as WORKER_ARGS
 * (JSON), waits for `{ ready: true }`, and sends `{ close: true }` at the end.
 */
import { fork, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { createXConnector } from '../connectors/x/index'
import { openDatabase } from '../db/client'
import { createKeyring } from '../db/vault'
import { systemClock } from '../core/clock'
import { accountTargets } from '../core/publishing/targets.server'
import { defineJobs, startPipeline } from '../jobs/definitions'
import { deliveryScheduler } from '../jobs/enqueue'
import { openJobStore } from '../jobs/store'
import { DEFAULT_PUBLISH_BATCH } from '../jobs/publish-delivery'

export type WorkerArgs = {
  url: string
  keyringKey: string
  x: { url: string; clientId: string; clientSecret?: string }
  concurrency: number
  /** Deliveries one publish job claims together (decision 106). */
  batch?: number
  /** Publish jobs at once (decision 112); default concurrency ÷ batch. */
  jobs?: number
  name: string
  store: 'postgres' | 'mongodb'
  mongoUrl?: string
}

type Report = { started: Array<[string, number]>; statements: number }

export type WorkerProcess = { pid: number; statements(): number; close(): Promise<void> }

/** Fork one worker; resolves once it takes jobs. `onStarted` gets every claim it reports. */
export async function startWorkerProcess(args: WorkerArgs, onStarted: (id: string, at: number) => void): Promise<WorkerProcess> {
  const child: ChildProcess = fork(fileURLToPath(import.meta.url), ['--child'], {
    execArgv: ['--import', 'tsx'],
    stdio: 'inherit',
    env: { ...process.env, WORKER_ARGS: JSON.stringify(args) },
  })
  let statements = 0
  await new Promise<void>((resolve, reject) => {
    child.on('message', (message: Partial<Report> & { ready?: boolean }) => {
      if (message.ready) resolve()
      for (const [id, at] of message.started ?? []) onStarted(id, at)
      if (message.statements !== undefined) statements = message.statements
    })
    child.once('exit', (code) => reject(new Error(`worker ${args.name} exited (${code}) before it was ready`)))
  })
  return {
    pid: child.pid!,
    statements: () => statements,
    close: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve())
        child.send({ close: true })
      }),
  }
}

/**
 * Connections of one pipeline worker (decision 109): the app's pool and the job store's. The shared
 * PostgreSQL here allows 100 connections, so two workers (and the benchmark's own process, and other
 * sessions' tests) must fit: the app's statements are short (a few per delivery), so 15 serve 50 in
 * flight; the job store holds a connection only while a job locks or saves itself: its jobs + 5.
 */
export function workerPools(concurrency: number, batch = DEFAULT_PUBLISH_BATCH, jobs?: number): { app: number; jobs: number } {
  return { app: Math.min(15, Math.max(2, concurrency)), jobs: (jobs ?? Math.ceil(concurrency / Math.max(1, batch))) + 5 }
}

if (process.argv.includes('--child') && process.send) {
  const args = JSON.parse(process.env.WORKER_ARGS!) as WorkerArgs
  let statements = 0
  let started: Array<[string, number]> = []
  const pools = workerPools(args.concurrency, args.batch, args.jobs)
  const database = await openDatabase({ url: args.url, max: pools.app, migrate: false, onQuery: () => void statements++ })
  const store =
    args.store === 'mongodb'
      ? await openJobStore({ mongodbUrl: args.mongoUrl, name: args.name, agenda: { maxConcurrency: args.concurrency + 10 } })
      : await openJobStore({ databaseUrl: args.url, name: args.name, poolSize: pools.jobs, agenda: { maxConcurrency: args.concurrency + 10 } })
  const keyring = createKeyring({ currentKey: args.keyringKey, currentVersion: 1 })
  const connector = createXConnector({ clientId: args.x.clientId, clientSecret: args.x.clientSecret, apiBaseUrl: args.x.url, uploadBaseUrl: args.x.url })
  const deps = {
    db: database.db,
    clock: systemClock,
    ...accountTargets({ db: database.db, keyring, clock: systemClock, connectorFor: () => connector }),
    scheduler: deliveryScheduler(store.agenda),
    publishConcurrency: args.concurrency,
    publishBatchSize: args.batch,
    publishJobs: args.jobs,
    hooks: { afterClaim: ({ deliveryId }: { deliveryId: string }) => void started.push([deliveryId, Date.now()]) },
  }
  defineJobs(store, deps)
  await store.start()
  await startPipeline(store.agenda, deps)
  let reported = -1
  const report = setInterval(() => {
    if (started.length === 0 && statements === reported) return
    process.send!({ started, statements } satisfies Report)
    started = []
    reported = statements
  }, 100)
  process.on('message', async (message: { close?: boolean }) => {
    if (!message.close) return
    clearInterval(report)
    await store.close({ drainMs: 0 }).catch(() => {})
    await database.close().catch(() => {})
    process.exit(0)
  })
  process.send({ ready: true })
}
