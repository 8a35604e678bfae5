import type { Role } from '../../domain/roles'
import { index, integer, pgTable, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core'
import { instant } from './columns'
import { workspaceRef, workspaces } from './workspaces'

export { ROLES, type Role } from '../../domain/roles'

/** A person who logs in. Emails are stored lower-cased; the password only as an argon2id hash. */
export const users = pgTable(
  'users',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    email: text('email').notNull(),
    name: text('name').notNull(),
    passwordHash: text('password_hash').notNull(),
    passwordChangedAt: instant('password_changed_at'),
    /** The TOTP secret sealed by the vault (db/vault.ts); set at enrolment, in force once `totpEnabledAt` is set. */
    totpSecretCiphertext: text('totp_secret_ciphertext'),
    totpEnabledAt: instant('totp_enabled_at'),
    /** The 30-second step of the last accepted code: a code is accepted once. */
    totpLastStep: integer('totp_last_step'),
    /** The locale the person chose for times and weeks (12/24-hour clock, first weekday), e.g. en-GB; null follows the browser's. */
    locale: text('locale'),
    createdAt: instant('created_at').notNull().defaultNow(),
  },
  (t) => [uniqueIndex('users_email_uq').on(t.email)],
)

/**
 * A browser session. The cookie carries a random id; the table keeps only its sha256 (`id`), so a
 * leaked table does not yield usable cookies. Deleting the row logs the browser out everywhere it was copied.
 */
export const sessions = pgTable(
  'sessions',
  {
    id: text('id').primaryKey(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    /** The workspace the user is looking at; validated against memberships on every request. */
    workspaceId: uuid('workspace_id').references(() => workspaces.id, { onDelete: 'set null' }),
    /** The absolute end of the session, whatever its use. */
    expiresAt: instant('expires_at').notNull(),
    /** Moved forward as the session is used; an idle session ends SESSION_IDLE_MS after it. */
    lastSeenAt: instant('last_seen_at').notNull().defaultNow(),
    createdAt: instant('created_at').notNull().defaultNow(),
  },
  (t) => [index('sessions_user_idx').on(t.userId)],
)

export const memberships = pgTable(
  'memberships',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    workspaceId: workspaceRef(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    /** `viewer` | `editor` | `owner` (see ROLES). */
    role: text('role').$type<Role>().notNull(),
    createdAt: instant('created_at').notNull().defaultNow(),
  },
  (t) => [uniqueIndex('memberships_workspace_user_uq').on(t.workspaceId, t.userId), index('memberships_user_idx').on(t.userId)],
)

/** An invitation link: single use, expiring, stored as the sha256 of its token. */
export const invitations = pgTable(
  'invitations',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    workspaceId: workspaceRef(),
    tokenHash: text('token_hash').notNull(),
    role: text('role').$type<Role>().notNull(),
    createdByUserId: uuid('created_by_user_id').references(() => users.id, { onDelete: 'set null' }),
    expiresAt: instant('expires_at').notNull(),
    acceptedAt: instant('accepted_at'),
    acceptedByUserId: uuid('accepted_by_user_id').references(() => users.id, { onDelete: 'set null' }),
    revokedAt: instant('revoked_at'),
    createdAt: instant('created_at').notNull().defaultNow(),
  },
  (t) => [uniqueIndex('invitations_token_hash_uq').on(t.tokenHash), index('invitations_workspace_idx').on(t.workspaceId)],
)

/** A bearer token for the JSON API (`trk_…`), scoped to one workspace and acting as the user who made it. */
export const apiTokens = pgTable(
  'api_tokens',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    workspaceId: workspaceRef(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    tokenHash: text('token_hash').notNull(),
    /** The first characters of the token, shown in lists so people can tell tokens apart. */
    prefix: text('prefix').notNull(),
    lastUsedAt: instant('last_used_at'),
    revokedAt: instant('revoked_at'),
    createdAt: instant('created_at').notNull().defaultNow(),
  },
  (t) => [uniqueIndex('api_tokens_token_hash_uq').on(t.tokenHash), index('api_tokens_workspace_idx').on(t.workspaceId)],
)
