import { pgTable, text, timestamp } from 'drizzle-orm/pg-core'

/** Process heartbeats (web and worker), read by /healthz. */
export const heartbeats = pgTable('heartbeats', {
  id: text('id').primaryKey(),
  role: text('role').notNull(),
  beatAt: timestamp('beat_at', { withTimezone: true, mode: 'date' }).notNull(),
})
