import type { Agenda } from 'agenda'
import { scheduleEvery } from './enqueue'
import { runDripTriggers, type DripTriggerDeps } from '../core/drips/triggers.server'

/** The recurring `drip-triggers` job: one pass of core/drips/triggers.server.ts runDripTriggers (date fields, segment entry). */
export const DRIP_TRIGGERS_JOB = 'drip-triggers'
export const DEFAULT_TRIGGERS_EVERY_MS = 60_000

export function defineDripTriggers(agenda: Agenda, deps: DripTriggerDeps): void {
  agenda.define(DRIP_TRIGGERS_JOB, async () => void (await runDripTriggers(deps)), { concurrency: 1, lockLifetime: 10 * 60_000 })
}

export async function scheduleDripTriggers(agenda: Agenda, everyMs = DEFAULT_TRIGGERS_EVERY_MS): Promise<void> {
  await scheduleEvery(agenda, DRIP_TRIGGERS_JOB, everyMs)
}
