import type { Agenda } from 'agenda'
import { applyScoreDecay } from '../core/score-rules.server'
import type { Services } from '../core/services.server'
import { scheduleEvery } from './enqueue'

/** The daily pass of the lead-score decay rules (core/score-rules.server.ts applyScoreDecay). */

export const SCORE_DECAY_JOB = 'score-decay'
export const SCORE_DECAY_EVERY_MS = 24 * 60 * 60_000

export function defineScoreDecay(agenda: Agenda, services: Pick<Services, 'database' | 'clock' | 'logger'>): void {
  agenda.define(
    SCORE_DECAY_JOB,
    async () => {
      const decayed = await applyScoreDecay(services)
      services.logger.info(decayed, 'lead-score decay applied')
    },
    { concurrency: 1, lockLifetime: 10 * 60_000 },
  )
}

/** Once a day (one schedule for every worker; a decay is dated at its period's end, so the hour does not matter). */
export async function scheduleScoreDecay(agenda: Agenda, everyMs = SCORE_DECAY_EVERY_MS): Promise<void> {
  await scheduleEvery(agenda, SCORE_DECAY_JOB, everyMs)
}
