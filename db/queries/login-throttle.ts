import { eq, inArray, lt } from 'drizzle-orm'
import type { DbOrTx } from '../client'
import { loginThrottle } from '../schema'
import type { ThrottleState } from '../../domain/login-throttle'

/** The log-in throttle's counters (see domain/login-throttle.ts for the policy). Keys are not tenant-owned. */

export async function getThrottleStates(db: DbOrTx, args: { keys: string[] }): Promise<Map<string, ThrottleState>> {
  if (args.keys.length === 0) return new Map()
  const rows = await db.select().from(loginThrottle).where(inArray(loginThrottle.key, args.keys))
  return new Map(rows.map((r) => [r.key, { failures: r.failures, lastFailureAt: r.lastFailureAt, blockedUntil: r.blockedUntil }]))
}

/**
 * Count one failure for `key` under a row lock: `next` turns the stored state (or null) into the new one,
 * so concurrent failures never overwrite each other's counts.
 */
export async function recordThrottleFailure(
  db: DbOrTx,
  args: { key: string; now: Date; next: (state: ThrottleState | null) => ThrottleState },
): Promise<ThrottleState> {
  return db.transaction(async (tx) => {
    await tx.insert(loginThrottle).values({ key: args.key, failures: 0, lastFailureAt: args.now }).onConflictDoNothing()
    const [row] = await tx.select().from(loginThrottle).where(eq(loginThrottle.key, args.key)).for('update')
    const state = row!.failures === 0 ? null : { failures: row!.failures, lastFailureAt: row!.lastFailureAt, blockedUntil: row!.blockedUntil }
    const next = args.next(state)
    await tx.update(loginThrottle).set(next).where(eq(loginThrottle.key, args.key))
    return next
  })
}

export async function clearThrottle(db: DbOrTx, args: { keys: string[] }): Promise<void> {
  if (args.keys.length > 0) await db.delete(loginThrottle).where(inArray(loginThrottle.key, args.keys))
}

/** Drop counters whose last failure is older than `before` (they would start over anyway). */
export async function pruneThrottle(db: DbOrTx, args: { before: Date }): Promise<number> {
  const rows = await db.delete(loginThrottle).where(lt(loginThrottle.lastFailureAt, args.before)).returning({ key: loginThrottle.key })
  return rows.length
}
