import { boolean, pgTable, text, uuid } from 'drizzle-orm/pg-core'
import { instant } from './columns'
import { workspaces } from './workspaces'

/** How a workspace wants to hear about problems beyond the in-app list (one row per workspace; none: defaults). */
export const notificationSettings = pgTable('notification_settings', {
  workspaceId: uuid('workspace_id')
    .primaryKey()
    .references(() => workspaces.id, { onDelete: 'cascade' }),
  /** Email a digest of failed, missed and needs-review posts (sent through the workspace's SMTP sender). */
  emailOnProblems: boolean('email_on_problems').notNull().default(true),
  /** Who gets it besides the workspace's owners. */
  extraRecipients: text('extra_recipients').array().notNull().default([]),
  updatedAt: instant('updated_at').notNull().defaultNow(),
})
