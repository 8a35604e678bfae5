import { mkdirSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { PGlite } from '@electric-sql/pglite'
import type { ExtractTablesWithRelations } from 'drizzle-orm'
import type { PgDatabase, PgQueryResultHKT, PgTransaction } from 'drizzle-orm/pg-core'
import * as schema from './schema/index'

export { schema }
export type Schema = typeof schema
/** The app database, whichever engine is behind it. Query modules take this (or a transaction). */
export type Db = PgDatabase<PgQueryResultHKT, Schema>
export type Tx = PgTransaction<PgQueryResultHKT, Schema, ExtractTablesWithRelations<Schema>>
export type DbOrTx = Db | Tx

export const migrationsFolder = fileURLToPath(new URL('./migrations', import.meta.url))

export type Database = {
  db: Db
  kind: 'postgres' | 'pglite'
  /** Present for the embedded engine: the PGlite instance (served to Agenda through pglite-socket). */
  pglite?: PGlite
  close(): Promise<void>
}

export type OpenDatabaseOptions =
  | { url: string; max?: number; migrate?: boolean; /** Called once per statement sent (benchmarks count them). */ onQuery?: () => void }
  | { dataDir: string | null; migrate?: boolean }

/**
 * Open the app database and apply committed migrations.
 * `url` → PostgreSQL through postgres.js; `dataDir` → embedded PGlite stored there (`null`: in memory).
 * Each engine's driver is imported only when chosen (a worker on PostgreSQL never loads PGlite).
 */
export async function openDatabase(options: OpenDatabaseOptions): Promise<Database> {
  const runMigrations = options.migrate ?? true
  if ('url' in options) {
    const [{ default: postgres }, { drizzle: drizzlePostgres }, { migrate: migratePostgres }] = await Promise.all([
      import('postgres'),
      import('drizzle-orm/postgres-js'),
      import('drizzle-orm/postgres-js/migrator'),
    ])
    const { onQuery } = options
    // JIT off: compiling a plan took 5.4 s of a 5.9 s analytics query (bench/analytics.ts); our statements are short.
    const sql = postgres(options.url, { max: options.max ?? 10, onnotice: () => {}, connection: { jit: 'off' }, ...(onQuery ? { debug: () => onQuery() } : {}) })
    const db = drizzlePostgres(sql, { schema }) as unknown as Db
    if (runMigrations) await migratePostgres(db as never, { migrationsFolder })
    return { db, kind: 'postgres', close: () => sql.end({ timeout: 5 }) }
  }
  const [{ PGlite }, { drizzle: drizzlePglite }, { migrate: migratePglite }] = await Promise.all([
    import('@electric-sql/pglite'),
    import('drizzle-orm/pglite'),
    import('drizzle-orm/pglite/migrator'),
  ])
  let pglite: PGlite
  if (options.dataDir) {
    const dir = path.resolve(options.dataDir)
    mkdirSync(dir, { recursive: true })
    pglite = await PGlite.create(dir)
  } else {
    pglite = await PGlite.create()
  }
  const db = drizzlePglite(pglite, { schema }) as unknown as Db
  if (runMigrations) await migratePglite(db as never, { migrationsFolder })
  return { db, kind: 'pglite', pglite, close: () => pglite.close() }
}
