import { RateLimiterDrizzle, RateLimiterMemory, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible'
import { rateLimits } from '../db/schema'
import type { Services } from './services.server'

/**
 * Rate limits of the public signup forms (decision 064) and of the drip editor's test sends (075), with rate-limiter-flexible's RateLimiterDrizzle
 * on the app database: the counters are rows of `rate_limits`, updated by one atomic upsert, so the
 * limit holds across every web process. Should the database not answer, an in-memory limiter of the
 * same size stands in (per process) rather than refusing signups.
 */

/** Posts from one IP address, to any form. */
export const FORM_POSTS_PER_IP = { points: 10, durationSeconds: 10 * 60 }
/** Posts to one form, from anywhere (a bot net spread over many addresses). */
export const FORM_POSTS_PER_FORM = { points: 300, durationSeconds: 10 * 60 }
/** Test emails one user sends from the drip editor (through the workspace's SMTP sender). */
export const TEST_SENDS_PER_USER = { points: 10, durationSeconds: 60 }

export class RateLimitedError extends Error {
  override name = 'RateLimitedError'
  constructor(
    readonly retryAfterSeconds: number,
    what = 'signups',
  ) {
    super(`Too many ${what} right now. Please try again in ${describeWait(retryAfterSeconds)}.`)
  }
}

type Limiters = { perIp: RateLimiterAbstract; perForm: RateLimiterAbstract; testSends: RateLimiterAbstract }
const limitersByDatabase = new WeakMap<Services['database'], Limiters>()

function limiters(services: Services): Limiters {
  let found = limitersByDatabase.get(services.database)
  if (!found) {
    const make = (keyPrefix: string, size: { points: number; durationSeconds: number }) =>
      new RateLimiterDrizzle({
        storeClient: services.database.db,
        schema: rateLimits,
        keyPrefix,
        points: size.points,
        duration: size.durationSeconds,
        insuranceLimiter: new RateLimiterMemory({ keyPrefix, points: size.points, duration: size.durationSeconds }),
      })
    found = { perIp: make('form-ip', FORM_POSTS_PER_IP), perForm: make('form', FORM_POSTS_PER_FORM), testSends: make('test-send', TEST_SENDS_PER_USER) }
    limitersByDatabase.set(services.database, found)
  }
  return found
}

/** Count one post to a public form; throws RateLimitedError (with the wait) when the IP or the form is over its limit. */
export async function limitPublicFormPost(services: Services, args: { formId: string; ip: string | null }): Promise<void> {
  const { perIp, perForm } = limiters(services)
  try {
    await perIp.consume(args.ip ?? 'unknown')
    await perForm.consume(args.formId)
  } catch (rejection) {
    if (rejection instanceof RateLimiterRes) throw new RateLimitedError(Math.max(1, Math.ceil(rejection.msBeforeNext / 1000)))
    throw rejection
  }
}

/** Count one test send of a user; throws RateLimitedError (with the wait) past TEST_SENDS_PER_USER. */
export async function limitTestSend(services: Services, args: { userId: string }): Promise<void> {
  try {
    await limiters(services).testSends.consume(args.userId)
  } catch (rejection) {
    if (rejection instanceof RateLimiterRes) throw new RateLimitedError(Math.max(1, Math.ceil(rejection.msBeforeNext / 1000)), 'test emails')
    throw rejection
  }
}

function describeWait(seconds: number): string {
  if (seconds < 90) return `${seconds} seconds`
  return `${Math.ceil(seconds / 60)} minutes`
}
