import type { Agenda } from 'agenda'
import { runDripTriggers, type DripTriggerDeps } from '../core/drips/triggers.server'

/** The recurring `drip-triggers` job: one pass of core/drips/triggers.server.ts runDripTriggers (date fields, segment entry). */
export const DRIP_TRIGGERS_JOB = 'drip-triggers'
export const DEFAULT_TRIGGERS_EVERY_MS = 60_000

export function defineDripTriggers(agenda: Agenda, deps: DripTriggerDeps): void {
  agenda.define(DRIP_TRIGGERS_JOB, async () => void (await runDripTriggers(deps)), { concurrency: 1, lockLifetime: 10 * 60_000 })
}

export async function scheduleDripTriggers(agenda: Agenda, everyMs = DEFAULT_TRIGGERS_EVERY_MS): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await agenda.every(everyMs, DRIP_TRIGGERS_JOB, undefined, { skipImmediate: true })
      return
    } catch (error) {
      if (attempt === 5) throw error
      await new Promise((resolve) => setTimeout(resolve, 100 * attempt))
    }
  }
}
