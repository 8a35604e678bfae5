import { HEARTBEAT_INTERVAL_MS } from '#jobs/worker'
import { findOverdueDelivery, lastWorkerBeat, pingDatabase, type Services } from '../core.server'

export type Health = {
  ok: boolean
  db: { ok: boolean; kind: string; error?: string }
  jobStore: { ok: boolean; kind: string; error?: string }
  worker: { ok: boolean; lastBeatAt: string | null }
  /** The pending delivery that has waited longest past its time (null: nothing overdue). */
  oldestOverdue: { id: string; dueAt: string; overdueMs: number } | null
}

/** A due delivery not started within this long is shown to users as a problem. */
export const OVERDUE_ALERT_MS = 2 * 60_000

export async function readHealth(services: Services): Promise<Health> {
  const now = services.clock.now()
  const db = await check(() => pingDatabase(services))
  const jobStore = await check(() => services.jobs.ping())
  let lastBeatAt: Date | null = null
  let oldestOverdue: Health['oldestOverdue'] = null
  if (db.ok) {
    const overdue = await findOverdueDelivery(services, { now })
    if (overdue) oldestOverdue = { id: overdue.id, dueAt: overdue.dueAt.toISOString(), overdueMs: overdue.overdueMs }
    lastBeatAt = await lastWorkerBeat(services)
  }
  const workerOk = lastBeatAt !== null && now.getTime() - lastBeatAt.getTime() < 3 * HEARTBEAT_INTERVAL_MS
  return {
    ok: db.ok && jobStore.ok,
    db: { ...db, kind: services.database.kind },
    jobStore: { ...jobStore, kind: services.jobs.kind },
    worker: { ok: workerOk, lastBeatAt: lastBeatAt?.toISOString() ?? null },
    oldestOverdue,
  }
}

async function check(fn: () => Promise<void>): Promise<{ ok: boolean; error?: string }> {
  try {
    await fn()
    return { ok: true }
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error.message : String(error) }
  }
}
