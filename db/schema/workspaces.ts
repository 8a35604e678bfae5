import { pgTable, text, uuid } from 'drizzle-orm/pg-core'
import { instant } from './columns'

/** A team's space; every other object belongs to exactly one. Members, roles and invitations: see users.ts. */
export const workspaces = pgTable('workspaces', {
  id: uuid('id').primaryKey().defaultRandom(),
  name: text('name').notNull(),
  /** IANA zone used as the default for new series and for showing times. */
  timezone: text('timezone').notNull().default('UTC'),
  createdAt: instant('created_at').notNull().defaultNow(),
})

/** The owning workspace of a tenant-owned row; deleting the workspace deletes the row. */
export const workspaceRef = () =>
  uuid('workspace_id')
    .notNull()
    .references(() => workspaces.id, { onDelete: 'cascade' })
