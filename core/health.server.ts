import { desc, eq, sql } from 'drizzle-orm'
import { heartbeats } from '../db/schema'
import type { Services } from './services.server'

/** What /healthz reads: the database answers, and when a worker last said it was alive. */

export async function pingDatabase(services: Services): Promise<void> {
  await services.database.db.execute(sql`select 1`)
}

/** The newest heartbeat of any worker process, or null when none ever beat. */
export async function lastWorkerBeat(services: Services): Promise<Date | null> {
  const [row] = await services.database.db
    .select({ beatAt: heartbeats.beatAt })
    .from(heartbeats)
    .where(eq(heartbeats.role, 'worker'))
    .orderBy(desc(heartbeats.beatAt))
    .limit(1)
  return row?.beatAt ?? null
}
