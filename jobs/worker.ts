import { createServer, type Server } from 'node:http'
import { hostname } from 'node:os'
import type { Agenda, DrainResult } from 'agenda'
import { HEARTBEAT_INTERVAL_MS, recordWorkerBeat } from '../core/health.server'
import { readMetrics } from '../core/metrics.server'
import { notifyDeps } from '../core/notifications.server'
import type { Services } from '../core/services.server'
import { pipelineDeps } from '../core/publishing/targets.server'
import { defineJobs as definePipelineJobs, startPipeline } from './definitions'
import { defineNotifyProblems, scheduleNotifyProblems } from './notify-problems'
import { dripRunnerDeps } from '../core/drips/runner.server'
import { defineDripRunner, scheduleDripRunner } from './drip-runner'
import { defineDripTriggers, scheduleDripTriggers } from './drip-triggers'
import { defineSignupConfirmation } from './signup-confirmation'
import { defineBulkEnroll } from './bulk-enroll'
import { definePrune, schedulePrune } from './prune'
import { defineScoreDecay, scheduleScoreDecay } from './score-decay'
import { defineCollectPostMetrics, scheduleCollectPostMetrics } from './collect-post-metrics'

/** How long a stopping worker waits for running jobs before it gives up on them (their locks then expire and another worker retries). */
export const DEFAULT_DRAIN_MS = 30_000

/** Registers jobs on Agenda; the returned function (if any) runs once Agenda has started. */
export type DefineJobs = (agenda: Agenda, services: Services) => void | (() => Promise<void>)

/** Registers every job Trickle runs. Each job definition lives in its own file under jobs/ and is added here. */
export const defineJobs: DefineJobs = (agenda, services) => {
  const deps = {
    ...pipelineDeps(services),
    publishConcurrency: services.config.PUBLISH_CONCURRENCY,
    publishBatchSize: services.config.PUBLISH_BATCH_SIZE,
  }
  definePipelineJobs({ agenda }, deps)
  defineNotifyProblems(agenda, notifyDeps(services))
  defineDripRunner(agenda, dripRunnerDeps(services, { sendWindow: services.config.DRIP_SEND_WINDOW }))
  defineDripTriggers(agenda, { db: deps.db, clock: services.clock })
  defineSignupConfirmation(agenda, services)
  defineBulkEnroll(agenda, services)
  definePrune(agenda, services)
  defineScoreDecay(agenda, services)
  defineCollectPostMetrics(agenda, deps)
  return async () => {
    await startPipeline(agenda, deps)
    await scheduleNotifyProblems(agenda)
    await scheduleDripRunner(agenda, { lanes: services.config.DRIP_LANES })
    await scheduleDripTriggers(agenda)
    await schedulePrune(agenda)
    await scheduleScoreDecay(agenda)
    await scheduleCollectPostMetrics(agenda)
  }
}

export type Worker = {
  id: string
  /** Stop taking jobs and wait up to `drainMs` for the running ones. */
  stop(options?: { drainMs?: number }): Promise<DrainResult>
}

/**
 * Start processing jobs in this process: define every job, start Agenda, beat a heartbeat that
 * /healthz reads.
 */
export async function startWorker(services: Services, options: { defineJobs?: DefineJobs } = {}): Promise<Worker> {
  const id = `${hostname()}:${process.pid}`
  const beat = () => recordWorkerBeat(services, { id })
  await beat()
  const timer = setInterval(() => void beat().catch(() => {}), HEARTBEAT_INTERVAL_MS)
  timer.unref()
  const define = options.defineJobs ?? defineJobs
  const afterStart = define(services.jobs.agenda, services)
  await services.jobs.start()
  if (afterStart) await afterStart()
  return {
    id,
    async stop(stopOptions) {
      clearInterval(timer)
      return services.jobs.stop({ drainMs: stopOptions?.drainMs ?? DEFAULT_DRAIN_MS })
    },
  }
}

/**
 * `npm run worker`: a process that only runs jobs. On SIGTERM or SIGINT it stops taking jobs, drains
 * the running ones, closes its connections and exits (0, or 1 when jobs were still running after
 * `drainMs`). A second signal exits at once.
 */
export async function runWorkerProcess(options: { defineJobs?: DefineJobs; drainMs?: number } = {}): Promise<void> {
  const { loadConfig } = await import('../core/env.server')
  const { createServices, closeServices } = await import('../core/services.server')
  const config = loadConfig()
  if (!config.DATABASE_URL) {
    process.stderr.write('npm run worker needs DATABASE_URL: the embedded database can only be opened by one process (npm start runs a worker inside it).\n')
    process.exit(2)
  }
  const services = await createServices(config, { role: 'worker' })
  const worker = await startWorker(services, { defineJobs: options.defineJobs })
  const log = services.logger
  log.info({ worker: worker.id, jobs: services.jobs.kind }, `Trickle worker ${worker.id} processing jobs from ${services.jobs.kind}`)
  const metrics = config.METRICS_PORT && config.METRICS_TOKEN ? serveMetrics(services, config.METRICS_PORT) : null
  let stopping = false
  const shutdown = async (signal: string) => {
    if (stopping) {
      log.warn({ signal }, `${signal} again: exiting without waiting for running jobs`)
      process.exit(1)
    }
    stopping = true
    const drainMs = options.drainMs ?? DEFAULT_DRAIN_MS
    log.info({ signal, drainMs }, `${signal}: taking no new jobs, draining running ones (up to ${drainMs} ms)…`)
    let code = 0
    metrics?.close()
    try {
      const result = await worker.stop({ drainMs })
      if (result.timedOut) {
        log.warn({ running: result.running, drainMs }, `${result.running} job(s) still running after ${drainMs} ms: their locks expire and another worker retries them`)
        code = 1
      }
      await closeServices(services)
    } catch (error) {
      log.error({ err: error }, 'shutdown failed')
      code = 1
    }
    process.exit(code)
  }
  process.on('SIGTERM', () => void shutdown('SIGTERM'))
  process.on('SIGINT', () => void shutdown('SIGINT'))
}

/** A worker's own /metrics (its counters and the lag it observed), on METRICS_PORT, behind METRICS_TOKEN. */
function serveMetrics(services: Services, port: number): Server {
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || req.url !== '/metrics') return void res.writeHead(404).end()
    readMetrics(services, req.headers.authorization ?? null).then(
      (m) => (m.status === 200 ? res.writeHead(200, { 'Content-Type': m.contentType }).end(m.body) : res.writeHead(m.status).end()),
      () => res.writeHead(500).end(),
    )
  })
  server.listen(port, services.config.HOST)
  return server
}

if (import.meta.url === `file://${process.argv[1]}`) await runWorkerProcess()
