import { desc, eq, sql } from 'drizzle-orm'
import type { DbOrTx } from '../client'
import { heartbeats } from '../schema'

/** What /healthz reads, and the heartbeat a worker writes (across the installation, never per workspace). */

/** One round trip: throws when the database does not answer. */
export async function pingDatabase(db: DbOrTx): Promise<void> {
  await db.execute(sql`select 1`)
}

/** The newest heartbeat of any process with this role, or null when none ever beat. */
export async function latestHeartbeat(db: DbOrTx, args: { role: string }): Promise<Date | null> {
  const [row] = await db
    .select({ beatAt: heartbeats.beatAt })
    .from(heartbeats)
    .where(eq(heartbeats.role, args.role))
    .orderBy(desc(heartbeats.beatAt))
    .limit(1)
  return row?.beatAt ?? null
}

/** Record that process `id` is alive at `at` (one row per process, moved forward at each beat). */
export async function upsertHeartbeat(db: DbOrTx, args: { id: string; role: string; at: Date }): Promise<void> {
  await db
    .insert(heartbeats)
    .values({ id: args.id, role: args.role, beatAt: args.at })
    .onConflictDoUpdate({ target: heartbeats.id, set: { beatAt: sql`excluded.beat_at` } })
}
