import { pgTable, uuid } from 'drizzle-orm/pg-core'
import { instant } from './columns'
import { workspaces } from './workspaces'

/**
 * A workspace's ICS feed (one at most). The feed URL carries this row's id and an HMAC of it, so the URL
 * can be shown again at any time without storing a secret; regenerating replaces the id (the old URL stops
 * working) and revoking deletes the row.
 */
export const calendarFeeds = pgTable('calendar_feeds', {
  workspaceId: uuid('workspace_id')
    .primaryKey()
    .references(() => workspaces.id, { onDelete: 'cascade' }),
  feedId: uuid('feed_id').notNull().unique().defaultRandom(),
  createdAt: instant('created_at').notNull(),
})
