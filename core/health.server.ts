import { latestHeartbeat, pingDatabase as pingDb, upsertHeartbeat } from '../db/queries/health'
import { findOverdueDelivery } from './dashboard.server'
import type { Services } from './services.server'

/** What /healthz reads: the database and job store answer, when a worker last said it was alive, the oldest overdue post. */

/** How often a worker writes its heartbeat (jobs/worker.ts); one missed for 3 intervals means no worker runs. */
export const HEARTBEAT_INTERVAL_MS = 10_000

/** A due delivery not started within this long is shown to users as a problem. */
export const OVERDUE_ALERT_MS = 2 * 60_000

export type Health = {
  ok: boolean
  db: { ok: boolean; kind: string; error?: string }
  jobStore: { ok: boolean; kind: string; error?: string }
  worker: { ok: boolean; lastBeatAt: string | null }
  /** The pending delivery that has waited longest past its time (null: nothing overdue). */
  oldestOverdue: { id: string; dueAt: string; overdueMs: number } | null
}

export async function pingDatabase(services: Services): Promise<void> {
  await pingDb(services.database.db)
}

/** The newest heartbeat of any worker process, or null when none ever beat. */
export async function lastWorkerBeat(services: Services): Promise<Date | null> {
  return latestHeartbeat(services.database.db, { role: 'worker' })
}

/** A worker process `id` says it is alive now. */
export async function recordWorkerBeat(services: Services, args: { id: string }): Promise<void> {
  await upsertHeartbeat(services.database.db, { id: args.id, role: 'worker', at: services.clock.now() })
}

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
