import { sql, type SQL } from 'drizzle-orm'
import type { DbOrTx } from '../client'
import { boundedCache } from '../../domain/bounded-cache'

/**
 * Hot statements (the publish path, decision 020) are built once per database handle with drizzle's
 * `.prepare(name)` and `sql.placeholder`: the SQL text is not rebuilt for every call, and postgres.js
 * parses and plans it once per connection. A transaction is a handle of its own, so it gets its own.
 */
const cache = new WeakMap<DbOrTx, Map<string, unknown>>()

export function prepared<T>(db: DbOrTx, name: string, build: (db: DbOrTx, name: string) => T): T {
  let statements = cache.get(db)
  if (!statements) cache.set(db, (statements = new Map()))
  if (!statements.has(name)) statements.set(name, build(db, name))
  return statements.get(name) as T
}

/** A value of a prepared statement (typed as SQL so drizzle accepts it in `set()` as well as in conditions). */
export const param = (name: string): SQL => sql`${sql.placeholder(name)}`
/** An instant of a prepared statement: pass it as ISO text (`iso(date)`). */
export const instant = (name: string): SQL => sql`${sql.placeholder(name)}::timestamptz`
export const iso = (value: Date): string => value.toISOString()

/**
 * The other way in, for raw SQL built per call (the drip runner's statements): run it as a prepared
 * statement where the driver allows it (postgres.js parses and plans it once per connection, keyed by
 * its text); PGlite and transactions go through `execute`.
 */
export async function executePrepared(db: DbOrTx, query: SQL): Promise<unknown> {
  const client = (db as { $client?: { unsafe?: (q: string, p: unknown[], o: { prepare: boolean }) => Promise<unknown> } }).$client
  const dialect = (db as unknown as { dialect?: { sqlToQuery(s: SQL): { sql: string; params: unknown[] } } }).dialect
  if (client?.unsafe && dialect) {
    const q = dialect.sqlToQuery(query)
    return client.unsafe(q.sql, q.params, { prepare: true })
  }
  return db.execute(query)
}

/** The rows of a raw `execute` answer (postgres.js gives an array, PGlite `{ rows }`). */
export function rowsOf<T = Record<string, unknown>>(result: unknown): T[] {
  return ((result as { rows?: T[] }).rows ?? (result as T[])) as T[]
}

/** A value sent as one jsonb parameter (for jsonb_to_record / jsonb_to_recordset). */
export const json = (value: unknown): SQL => sql`${JSON.stringify(value)}::jsonb`
const snakeKey = boundedCache<string>(10_000)
/** camelCase keys → snake_case column names (for jsonb_to_record); each key's name is worked out once (the drip runner's records repeat them). */
export const snake = (o: object): Record<string, unknown> => Object.fromEntries(Object.entries(o).map(([k, v]) => [snakeKey(k, () => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)), v]))
