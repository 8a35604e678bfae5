import { index, integer, pgTable, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core'
import { instant } from './columns'
import { users } from './users'

/**
 * Password resets, recovery codes and the log-in throttle (docs/decisions/065-account-security.md).
 * Not tenant-owned: they belong to a person, who may be in several workspaces.
 */

/** A password-reset link: single use, expiring, stored as the sha256 of its token. */
export const passwordResets = pgTable(
  'password_resets',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    tokenHash: text('token_hash').notNull(),
    expiresAt: instant('expires_at').notNull(),
    usedAt: instant('used_at'),
    createdAt: instant('created_at').notNull().defaultNow(),
  },
  (t) => [uniqueIndex('password_resets_token_hash_uq').on(t.tokenHash), index('password_resets_user_idx').on(t.userId)],
)

/** A recovery code for a user with TOTP: single use, stored as the sha256 of the code. */
export const recoveryCodes = pgTable(
  'recovery_codes',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    codeHash: text('code_hash').notNull(),
    usedAt: instant('used_at'),
    createdAt: instant('created_at').notNull().defaultNow(),
  },
  (t) => [uniqueIndex('recovery_codes_user_code_uq').on(t.userId, t.codeHash)],
)

/**
 * Failed log-ins per key: `ip:<address>` and `login:<sha256 of email>:<address>`. Kept in the database so
 * the count survives restarts and is shared by every web process; a key blocked until `blockedUntil`
 * is refused before the password is checked.
 */
export const loginThrottle = pgTable(
  'login_throttle',
  {
    key: text('key').primaryKey(),
    failures: integer('failures').notNull(),
    lastFailureAt: instant('last_failure_at').notNull(),
    blockedUntil: instant('blocked_until'),
  },
  (t) => [index('login_throttle_last_failure_idx').on(t.lastFailureAt)],
)
