/**
 * Retry policies as small pure functions, in the style of Agenda's backoff strategies:
 * `when(isRetryable, exponential({ base: 30_000, max: 3_600_000, jitter: 0.2, maxRetries: 4 }))`.
 * A policy answers how long to wait before retry number `attempt` (1-based), or `null` for "give up".
 * Randomness is injected (`random` in [0, 1)) so policies stay deterministic under test.
 */

export type RetryContext<E = unknown> = {
  /** Which retry this would be: 1 for the first retry after the first failure. */
  attempt: number
  error: E
  random: () => number
}

export type RetryPolicy<E = unknown> = (context: RetryContext<E>) => number | null

export type ExponentialOptions = {
  /** Delay before the first retry, in ms. */
  base: number
  /** Upper bound of any delay, in ms (before jitter). */
  max: number
  /** Growth per retry. Default 2. */
  factor?: number
  /** Spread each delay by ±(jitter × delay); 0..1. Default 0. */
  jitter?: number
  /** Give up after this many retries. Default: never. */
  maxRetries?: number
}

export function exponential(options: ExponentialOptions): RetryPolicy {
  const { base, max, factor = 2, jitter = 0, maxRetries = Number.POSITIVE_INFINITY } = options
  requireNumber('base', base, 0)
  requireNumber('max', max, base)
  requireNumber('factor', factor, 1)
  if (!(jitter >= 0 && jitter <= 1)) throw new RangeError('jitter: must be between 0 and 1')
  if (!(maxRetries >= 0)) throw new RangeError('maxRetries: must be 0 or more')
  return ({ attempt, random }) => {
    requireNumber('attempt', attempt, 1)
    if (attempt > maxRetries) return null
    const delay = Math.min(max, base * factor ** (attempt - 1))
    if (jitter === 0) return delay
    return Math.max(0, Math.round(delay * (1 + jitter * (2 * random() - 1))))
  }
}

export function constant(options: { delay: number; maxRetries?: number }): RetryPolicy {
  requireNumber('delay', options.delay, 0)
  const maxRetries = options.maxRetries ?? Number.POSITIVE_INFINITY
  return ({ attempt }) => (attempt > maxRetries ? null : options.delay)
}

/** Apply `policy` only to errors `isRetryable` accepts; anything else is not retried. */
export function when<E>(isRetryable: (error: E) => boolean, policy: RetryPolicy<E>): RetryPolicy<E> {
  return (context) => (isRetryable(context.error) ? policy(context) : null)
}

function requireNumber(field: string, value: number, min: number): void {
  if (!Number.isFinite(value) || value < min) throw new RangeError(`${field}: must be a finite number ≥ ${min}`)
}
