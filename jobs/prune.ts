import type { Agenda } from 'agenda'
import { scheduleEvery } from './enqueue'
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
  await scheduleEvery(agenda, PRUNE_JOB, everyMs)
}
