import { hostname } from 'node:os'
import { sql } from 'drizzle-orm'
import { heartbeats } from '../db/schema'
import type { Services } from '../app/utils/services.server'

export const HEARTBEAT_INTERVAL_MS = 10_000

export type Worker = { id: string; stop(options?: { drainMs?: number }): Promise<void> }

/**
 * Start processing jobs in this process: define every job, start Agenda, beat a heartbeat that
 * /healthz reads. `stop` stops taking jobs and drains the running ones.
 */
export async function startWorker(services: Services): Promise<Worker> {
  const id = `${hostname()}:${process.pid}`
  const beat = async () => {
    const at = services.clock.now()
    await services.database.db
      .insert(heartbeats)
      .values({ id, role: 'worker', beatAt: at })
      .onConflictDoUpdate({ target: heartbeats.id, set: { beatAt: sql`excluded.beat_at` } })
  }
  await beat()
  const timer = setInterval(() => void beat().catch(() => {}), HEARTBEAT_INTERVAL_MS)
  timer.unref()
  await services.jobs.agenda.start()
  return {
    id,
    async stop(options) {
      clearInterval(timer)
      await services.jobs.agenda.drain(options?.drainMs ?? 30_000)
    },
  }
}

async function main() {
  const { loadConfig } = await import('../app/utils/env.server')
  const { createServices, closeServices } = await import('../app/utils/services.server')
  const config = loadConfig()
  if (!config.DATABASE_URL) {
    console.error('npm run worker needs DATABASE_URL: the embedded database can only be opened by one process (npm start runs a worker inside it).')
    process.exit(2)
  }
  const services = await createServices(config, { role: 'worker' })
  const worker = await startWorker(services)
  console.log(`Trickle worker ${worker.id} processing jobs from ${services.jobs.kind}`)
  const shutdown = async (signal: string) => {
    console.log(`${signal}: draining running jobs…`)
    await worker.stop()
    await closeServices(services)
    process.exit(0)
  }
  process.once('SIGTERM', () => void shutdown('SIGTERM'))
  process.once('SIGINT', () => void shutdown('SIGINT'))
}

if (import.meta.url === `file://${process.argv[1]}`) await main()
