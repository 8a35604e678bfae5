import { lt } from 'drizzle-orm'
import type { DbOrTx } from '../client'
import { rateLimits } from '../schema'

/** The public forms' rate-limit counters (core/rate-limits.server.ts). Keys are not tenant-owned. */

/** Counters whose window ended before `now` (rate-limiter-flexible starts a new one anyway). */
export async function pruneRateLimits(db: DbOrTx, args: { now: Date }): Promise<number> {
  const rows = await db.delete(rateLimits).where(lt(rateLimits.expire, args.now)).returning({ key: rateLimits.key })
  return rows.length
}
