import path from 'node:path'
import { openDatabase, type Database } from '../../db/client'
import { systemClock, type Clock } from '../../domain/clock'
import { openJobStore, type JobStore } from '../../jobs/store'
import type { Config } from './env.server'

/** Everything a request or a job needs, built once per process and handed to Remix as load context. */
export type Services = {
  config: Config
  database: Database
  jobs: JobStore
  clock: Clock
}

export async function createServices(config: Config, options: { role: 'web' | 'worker'; clock?: Clock }): Promise<Services> {
  const database = config.DATABASE_URL
    ? await openDatabase({ url: config.DATABASE_URL })
    : await openDatabase({ dataDir: path.join(config.DATA_DIR, 'app') })
  try {
    const jobs = await openJobStore({
      mongodbUrl: config.MONGODB_URL,
      databaseUrl: config.DATABASE_URL,
      embeddedDataDir: path.join(config.DATA_DIR, 'jobs'),
      name: `${options.role}-${process.pid}`,
    })
    return { config, database, jobs, clock: options.clock ?? systemClock }
  } catch (error) {
    await database.close()
    throw error
  }
}

export async function closeServices(services: Services, options: { drainMs?: number } = {}): Promise<void> {
  await services.jobs.close({ drainMs: options.drainMs })
  await services.database.close()
}
