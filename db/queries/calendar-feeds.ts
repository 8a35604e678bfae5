import { eq } from 'drizzle-orm'
import type { DbOrTx } from '../client'
import { calendarFeeds } from '../schema'
import type { Clock } from '../../domain/clock'

export type CalendarFeed = typeof calendarFeeds.$inferSelect

export async function getCalendarFeed(db: DbOrTx, args: { workspaceId: string }): Promise<CalendarFeed | null> {
  const [row] = await db.select().from(calendarFeeds).where(eq(calendarFeeds.workspaceId, args.workspaceId))
  return row ?? null
}

/** The feed by its id (from a feed URL, after the caller checked the URL's signature). */
export async function findCalendarFeed(db: DbOrTx, args: { feedId: string }): Promise<CalendarFeed | null> {
  const [row] = await db.select().from(calendarFeeds).where(eq(calendarFeeds.feedId, args.feedId))
  return row ?? null
}

/** Creates the workspace's feed, or gives it a new id (the old URL stops working). */
export async function rotateCalendarFeed(db: DbOrTx, args: { workspaceId: string; clock: Clock }): Promise<CalendarFeed> {
  const [row] = await db
    .insert(calendarFeeds)
    .values({ workspaceId: args.workspaceId, createdAt: args.clock.now() })
    .onConflictDoUpdate({ target: calendarFeeds.workspaceId, set: { feedId: crypto.randomUUID(), createdAt: args.clock.now() } })
    .returning()
  return row!
}

export async function deleteCalendarFeed(db: DbOrTx, args: { workspaceId: string }): Promise<void> {
  await db.delete(calendarFeeds).where(eq(calendarFeeds.workspaceId, args.workspaceId))
}
