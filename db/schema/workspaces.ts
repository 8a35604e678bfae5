import { pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core'

/** A team's space; every other object belongs to exactly one. Members, roles and invitations: see users.ts. */
export const workspaces = pgTable('workspaces', {
  id: uuid('id').primaryKey().defaultRandom(),
  name: text('name').notNull(),
  /** IANA zone used as the default for new series and for showing times. */
  timezone: text('timezone').notNull().default('UTC'),
  createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
})
