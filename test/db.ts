import { randomBytes } from 'node:crypto'
import postgres from 'postgres'
import { openDatabase, type Database } from '../db/client'

/** Where test/global-setup.ts tells the test processes (forked after it runs) which template to copy. */
export const TEMPLATE_ENV = 'TRICKLE_TEST_DB_TEMPLATE'

/**
 * A fresh, migrated database for one test file: a new PostgreSQL database on the server named by
 * DATABASE_URL (dropped on close), or an in-memory PGlite when no server is configured (never under CI,
 * see test/global-setup.ts). Under vitest it is a copy of the run's template database
 * (test/db-template.ts); the migrations still run, as a check that finds nothing to do.
 * `migrate: false`: an empty database (never the template), for tests of the migrations themselves.
 */
export async function createTestDatabase(options: { migrate?: boolean } = {}): Promise<Database & { url?: string }> {
  const serverUrl = process.env.DATABASE_URL
  if (!serverUrl) return openDatabase({ dataDir: null, migrate: options.migrate })
  const name = `trickle_t_${randomBytes(6).toString('hex')}`
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} })
  const template = options.migrate === false ? undefined : process.env[TEMPLATE_ENV]
  await admin.unsafe(template ? `CREATE DATABASE ${name} TEMPLATE ${template}` : `CREATE DATABASE ${name}`)
  await admin.end()
  const url = withDatabase(serverUrl, name)
  const database = await openDatabase({ url, max: 5, migrate: options.migrate })
  return {
    ...database,
    url,
    async close() {
      await database.close()
      const dropper = postgres(serverUrl, { max: 1, onnotice: () => {} })
      await dropper.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
      await dropper.end()
    },
  }
}

export function withDatabase(url: string, database: string): string {
  const u = new URL(url)
  u.pathname = `/${database}`
  return u.toString()
}
