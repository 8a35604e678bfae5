import { index, integer, jsonb, pgTable, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core'
import type { AccountLimits } from '../../connectors/types'
import type { PostingSchedule } from '../../domain/queue/slots'
import { instant } from './columns'
import { workspaceRef } from './workspaces'

/**
 * A connected social account (or email sender) of a workspace. Credentials are stored only as
 * AES-256-GCM ciphertext (see the token vault); `credentialsKeyVersion` names the key that sealed them.
 */
export const accounts = pgTable(
  'accounts',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    workspaceId: workspaceRef(),
    kind: text('kind').notNull(),
    remoteAccountId: text('remote_account_id').notNull(),
    handle: text('handle').notNull(),
    displayName: text('display_name'),
    credentialsCiphertext: text('credentials_ciphertext').notNull(),
    credentialsKeyVersion: integer('credentials_key_version').notNull(),
    /** When the access token expires (tracked to refresh ahead of time). */
    expiresAt: instant('expires_at'),
    /** The account's own post length limit when it differs from the network default (e.g. X Premium). */
    maxPostLength: integer('max_post_length'),
    /** Its own media limits where the network says (a Mastodon instance's image and video sizes), read when connecting; null: the network's defaults. */
    limits: jsonb('limits').$type<AccountLimits>(),
    /** Posts reserved on `usageDay` (UTC day start) against the network's daily quotas. */
    usageDay: instant('usage_day'),
    usageCount: integer('usage_count').notNull().default(0),
    /** `connected` | `reconnect_needed` | `disconnected` */
    status: text('status').notNull().default('connected'),
    statusReason: text('status_reason'),
    /** Its queue (decision 091): weekday + local time slots in a zone that "Add to queue" fills. Null: none. */
    postingSchedule: jsonb('posting_schedule').$type<PostingSchedule>(),
    createdAt: instant('created_at').notNull().defaultNow(),
    updatedAt: instant('updated_at').notNull().defaultNow(),
  },
  (t) => [
    index('accounts_workspace_idx').on(t.workspaceId),
    uniqueIndex('accounts_workspace_remote_uq').on(t.workspaceId, t.kind, t.remoteAccountId),
  ],
)
