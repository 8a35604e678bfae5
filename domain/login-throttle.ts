/**
 * The log-in throttle's policy, pure: how many failures a key may have before it is blocked, for how long,
 * and when the count starts over. Two kinds of key (docs/decisions/065-account-security.md):
 * - `pair`: one email from one IP address. Guessing one person's password from one place is slowed
 *   down quickly, while the same person logging in from anywhere else is not affected;
 * - `ip`: one IP address over all emails (password spraying from one place), with a higher allowance.
 * Never per email alone: that would let anyone lock the owner out by failing on purpose.
 */

export type ThrottleKind = 'pair' | 'ip'

export type ThrottlePolicy = {
  /** Failures allowed before the first block. */
  freeFailures: number
  /** The first block; each further failure doubles it, up to `maxBlockMs`. */
  firstBlockMs: number
  maxBlockMs: number
  /** A key whose last failure is older than this starts over at zero. */
  forgetAfterMs: number
}

const MINUTE = 60_000

export const THROTTLE_POLICIES: Record<ThrottleKind, ThrottlePolicy> = {
  pair: { freeFailures: 5, firstBlockMs: 30_000, maxBlockMs: 60 * MINUTE, forgetAfterMs: 24 * 60 * MINUTE },
  ip: { freeFailures: 30, firstBlockMs: MINUTE, maxBlockMs: 60 * MINUTE, forgetAfterMs: 24 * 60 * MINUTE },
}

export type ThrottleState = { failures: number; lastFailureAt: Date; blockedUntil: Date | null }

/** The state after one more failure at `now` (from the stored state, or none). */
export function afterFailure(policy: ThrottlePolicy, state: ThrottleState | null, now: Date): ThrottleState {
  const fresh = !state || now.getTime() - state.lastFailureAt.getTime() > policy.forgetAfterMs
  const failures = fresh ? 1 : state.failures + 1
  const over = failures - policy.freeFailures
  if (over <= 0) return { failures, lastFailureAt: now, blockedUntil: null }
  const blockMs = Math.min(policy.maxBlockMs, policy.firstBlockMs * 2 ** Math.min(over - 1, 30))
  return { failures, lastFailureAt: now, blockedUntil: new Date(now.getTime() + blockMs) }
}

/** Milliseconds until the key may try again (0: now). */
export function waitFor(state: Pick<ThrottleState, 'blockedUntil'> | null, now: Date): number {
  if (!state?.blockedUntil) return 0
  return Math.max(0, state.blockedUntil.getTime() - now.getTime())
}
