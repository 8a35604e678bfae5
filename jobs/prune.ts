import type { Agenda } from 'agenda'
import { pruneSecurityRecords } from '../core/prune.server'
import type { Services } from '../core/services.server'

/** The daily clean-up of security records (core/prune.server.ts): throttle and rate-limit counters, old audit events. */

export const PRUNE_JOB = 'prune-security-records'
export const PRUNE_EVERY_MS = 24 * 60 * 60_000

export function definePrune(agenda: Agenda, services: Pick<Services, 'database' | 'clock' | 'config' | 'logger'>): void {
  agenda.define(
    PRUNE_JOB,
    async () => {
      const removed = await pruneSecurityRecords(services)
      services.logger.info({ removed }, 'pruned throttle counters, rate limits and old audit events')
    },
    { concurrency: 1, lockLifetime: 10 * 60_000 },
  )
}

/** Once a day (one job for every worker: `every` keeps a single schedule under the name). */
export async function schedulePrune(agenda: Agenda, everyMs = PRUNE_EVERY_MS): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      // Several workers starting together race to create the one schedule: the loser tries again.
      await agenda.every(everyMs, PRUNE_JOB, undefined, { skipImmediate: true })
      return
    } catch (error) {
      if (attempt === 5) throw error
      await new Promise((resolve) => setTimeout(resolve, 100 * attempt))
    }
  }
}
