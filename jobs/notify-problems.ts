import type { Agenda } from 'agenda'
import { notifyProblems, type NotifyDeps } from '../core/notifications.server'

/** The recurring `notify-problems` job: one pass of core/notifications.server.ts notifyProblems (the problem digest). */
export const NOTIFY_PROBLEMS_JOB = 'notify-problems'
export const DEFAULT_NOTIFY_EVERY_MS = 60_000

export function defineNotifyProblems(agenda: Agenda, deps: NotifyDeps): void {
  agenda.define(NOTIFY_PROBLEMS_JOB, async () => void (await notifyProblems(deps)), { concurrency: 1, lockLifetime: 5 * 60_000 })
}

export async function scheduleNotifyProblems(agenda: Agenda, everyMs = DEFAULT_NOTIFY_EVERY_MS): Promise<void> {
  await agenda.every(everyMs, NOTIFY_PROBLEMS_JOB, undefined, { skipImmediate: true })
}
