import { normalizeEmail } from '../db/queries/users'
import { reportAccountEvent } from './account-events'
import { clearPairFailures, countFailure, throttleKeys, throttleWait } from './login-throttle.server'
import { verifySecondFactor } from './mfa.server'
import type { Services } from './services.server'
import { findUser, verifyLogin } from './users.server'

/** Logging in: the password step and, for users with TOTP, the second step, both under the log-in throttle. */

export type PasswordStepResult =
  | { outcome: 'signed-in'; userId: string }
  | { outcome: 'second-factor'; userId: string }
  | { outcome: 'throttled'; waitMs: number }
  | { outcome: 'mismatch' }

/**
 * The password step. A blocked email-and-address pair (or address) is refused before the password is
 * checked; a failure counts against both; success clears the pair's count only once the log-in is
 * complete (so guessing a second factor cannot be reset by entering the password again).
 */
export async function attemptPasswordLogin(services: Services, args: { email: string; password: string; ip: string | null }): Promise<PasswordStepResult> {
  const keys = throttleKeys(args)
  const waitMs = await throttleWait(services, keys)
  if (waitMs > 0) {
    await reportAccountEvent(services, { type: 'login-throttled', email: normalizeEmail(args.email), ip: args.ip, waitMs })
    return { outcome: 'throttled', waitMs }
  }
  const user = await verifyLogin(services.database.db, args)
  if (!user) {
    await countFailure(services, keys)
    await reportAccountEvent(services, { type: 'login-failed', email: normalizeEmail(args.email), ip: args.ip, reason: 'password' })
    return { outcome: 'mismatch' }
  }
  if (user.totpEnabledAt) return { outcome: 'second-factor', userId: user.id }
  await clearPairFailures(services, keys)
  await reportAccountEvent(services, { type: 'login-succeeded', userId: user.id, ip: args.ip, secondFactor: 'none' })
  return { outcome: 'signed-in', userId: user.id }
}

export type SecondStepResult = { outcome: 'signed-in'; userId: string } | { outcome: 'throttled'; waitMs: number } | { outcome: 'mismatch' }

/** The second step, after a correct password: a TOTP code or an unused recovery code. Same throttle as the password. */
export async function attemptSecondFactor(services: Services, args: { userId: string; code: string; ip: string | null }): Promise<SecondStepResult> {
  const user = await findUser(services, { userId: args.userId })
  if (!user?.totpEnabledAt) return { outcome: 'mismatch' }
  const keys = throttleKeys({ email: user.email, ip: args.ip })
  const waitMs = await throttleWait(services, keys)
  if (waitMs > 0) {
    await reportAccountEvent(services, { type: 'login-throttled', email: user.email, ip: args.ip, waitMs })
    return { outcome: 'throttled', waitMs }
  }
  const factor = await verifySecondFactor(services, { user, code: args.code })
  if (!factor) {
    await countFailure(services, keys)
    await reportAccountEvent(services, { type: 'login-failed', email: user.email, ip: args.ip, reason: 'second-factor' })
    return { outcome: 'mismatch' }
  }
  await clearPairFailures(services, keys)
  await reportAccountEvent(services, { type: 'login-succeeded', userId: user.id, ip: args.ip, secondFactor: factor })
  return { outcome: 'signed-in', userId: user.id }
}

export { checkCurrentPassword, describeWait } from './login-throttle.server'
