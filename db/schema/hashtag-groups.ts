import { jsonb, pgTable, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core'
import { instant } from './columns'
import { workspaceRef } from './workspaces'

/** A saved set of hashtags of a workspace, inserted into a post with one click (decision 091). */
export const hashtagGroups = pgTable(
  'hashtag_groups',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    workspaceId: workspaceRef(),
    name: text('name').notNull(),
    /** The hashtags, each with its `#`, in the order written. */
    hashtags: jsonb('hashtags').$type<string[]>().notNull(),
    createdAt: instant('created_at').notNull(),
    updatedAt: instant('updated_at').notNull(),
  },
  (t) => [uniqueIndex('hashtag_groups_workspace_name_uq').on(t.workspaceId, t.name)],
)
