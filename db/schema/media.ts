import { index, integer, pgTable, text, uuid } from 'drizzle-orm/pg-core'
import { instant } from './columns'
import { workspaceRef } from './workspaces'

/**
 * An uploaded image of a workspace (docs/decisions/012-series-approval-threads-import.md). The bytes live in the
 * media store (a directory under DATA_DIR by default), keyed by workspace and id; this row is the index
 * and the workspace's media library (decision 098).
 */
export const media = pgTable(
  'media',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    workspaceId: workspaceRef(),
    fileName: text('file_name').notNull(),
    mimeType: text('mime_type').notNull(),
    size: integer('size').notNull(),
    /** sha256 of the bytes, hex. */
    sha256: text('sha256').notNull(),
    /** The image's alt text in the library (decision 098): offered when the image is reused in a post. */
    alt: text('alt').notNull().default(''),
    createdAt: instant('created_at').notNull().defaultNow(),
  },
  (t) => [index('media_workspace_idx').on(t.workspaceId)],
)
