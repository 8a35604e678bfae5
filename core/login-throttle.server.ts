import { verify } from '@node-rs/argon2'
import { clearThrottle, getThrottleStates, recordThrottleFailure } from '../db/queries/login-throttle'
import { getUserById, normalizeEmail } from '../db/queries/users'
import { afterFailure, THROTTLE_POLICIES, waitFor, type ThrottleKind } from '../domain/login-throttle'
import { hashSecret } from './secrets'
import type { Services } from './services.server'

/**
 * The log-in throttle as the use cases see it: failures per email-and-IP and per IP, kept in the
 * database (policy in domain/login-throttle.ts; docs/decisions/065-account-security.md).
 */

export type ThrottleKeys = Record<ThrottleKind, string>

export function throttleKeys(args: { email: string; ip: string | null }): ThrottleKeys {
  const ip = args.ip ?? 'unknown'
  return { pair: `login:${hashSecret(normalizeEmail(args.email))}:${ip}`, ip: `ip:${ip}` }
}

/** Milliseconds this email from this address must wait before the next try (0: now). */
export async function throttleWait(services: Pick<Services, 'database' | 'clock'>, keys: ThrottleKeys): Promise<number> {
  const states = await getThrottleStates(services.database.db, { keys: [keys.pair, keys.ip] })
  const now = services.clock.now()
  return Math.max(waitFor(states.get(keys.pair) ?? null, now), waitFor(states.get(keys.ip) ?? null, now))
}

export async function countFailure(services: Pick<Services, 'database' | 'clock'>, keys: ThrottleKeys): Promise<void> {
  const now = services.clock.now()
  const db = services.database.db
  for (const kind of ['pair', 'ip'] as const) {
    await recordThrottleFailure(db, { key: keys[kind], now, next: (state) => afterFailure(THROTTLE_POLICIES[kind], state, now) })
  }
}

/** A complete log-in forgets the pair's failures (never the address's). */
export async function clearPairFailures(services: Pick<Services, 'database'>, keys: ThrottleKeys): Promise<void> {
  await clearThrottle(services.database.db, { keys: [keys.pair] })
}

/**
 * A password re-entered by a signed-in user (changing it, turning off TOTP): checked under the same
 * throttle as a log-in, so a stolen session cannot guess the password faster than the log-in form.
 */
export async function checkCurrentPassword(
  services: Pick<Services, 'database' | 'clock'>,
  args: { userId: string; password: string; ip: string | null },
): Promise<{ outcome: 'ok' } | { outcome: 'mismatch' } | { outcome: 'throttled'; waitMs: number }> {
  const user = await getUserById(services.database.db, { userId: args.userId })
  if (!user) return { outcome: 'mismatch' }
  const keys = throttleKeys({ email: user.email, ip: args.ip })
  const waitMs = await throttleWait(services, keys)
  if (waitMs > 0) return { outcome: 'throttled', waitMs }
  if (await verify(user.passwordHash, args.password).catch(() => false)) return { outcome: 'ok' }
  await countFailure(services, keys)
  return { outcome: 'mismatch' }
}

/** "Wait 2 minutes" for a throttle wait. */
export function describeWait(waitMs: number): string {
  const minutes = Math.ceil(waitMs / 60_000)
  return waitMs < 60_000 ? `${Math.ceil(waitMs / 1000)} seconds` : `${minutes} minute${minutes === 1 ? '' : 's'}`
}
