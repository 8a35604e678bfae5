import postgres from 'postgres'

/** Readers of PostgreSQL's statistics for the benchmarks: each opens and closes a connection of its own. */

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Committed + rolled-back transactions of a database so far (every autocommit statement is one). */
export async function transactions(url: string): Promise<number> {
  const sql = postgres(url, { max: 1, onnotice: () => {} })
  try {
    await sleep(1_100) // statistics are flushed about once a second
    const [row] = await sql`SELECT xact_commit + xact_rollback AS n FROM pg_stat_database WHERE datname = current_database()`
    return Number(row!.n)
  } finally {
    await sql.end()
  }
}

/** PostgreSQL's backend processes serving this database now (their CPU is PostgreSQL's share of a side). */
export async function backendPids(url: string): Promise<number[]> {
  const sql = postgres(url, { max: 1, onnotice: () => {} })
  try {
    return (await sql`SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`).map((r) => Number(r.pid))
  } finally {
    await sql.end()
  }
}

/** Row updates of the deliveries table so far, and how many were HOT (no new index entries). */
export async function deliveryUpdates(url: string): Promise<{ updates: number; hot: number }> {
  const sql = postgres(url, { max: 1, onnotice: () => {} })
  try {
    const [row] = await sql`SELECT n_tup_upd AS updates, n_tup_hot_upd AS hot FROM pg_stat_user_tables WHERE relname = 'deliveries'`
    return { updates: Number(row?.updates ?? 0), hot: Number(row?.hot ?? 0) }
  } finally {
    await sql.end()
  }
}
