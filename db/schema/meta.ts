import { pgTable, text } from 'drizzle-orm/pg-core'
import { instant } from './columns'

/** Process heartbeats (web and worker), read by /healthz. */
export const heartbeats = pgTable('heartbeats', {
  id: text('id').primaryKey(),
  role: text('role').notNull(),
  beatAt: instant('beat_at').notNull(),
})
