import { pgTable, primaryKey, text } from 'drizzle-orm/pg-core'
import { instant } from './columns'

/**
 * What `@atproto/oauth-client-node` keeps between requests and processes (decision 115): `state` (a
 * started authorization: its PKCE verifier, DPoP key and our app state; ten minutes), `session` (an
 * account's tokens and DPoP key, by DID) and `lock` (a lease so one process at a time refreshes a
 * session). `sealed` is AES-256-GCM under the token vault's keyring, bound to kind and key; a lock's is
 * its holder's random token, not a secret.
 */
export const blueskyOAuthEntries = pgTable(
  'bluesky_oauth_entries',
  {
    kind: text('kind').notNull(),
    key: text('key').notNull(),
    sealed: text('sealed').notNull(),
    /** States and locks expire; sessions do not (the library refreshes them). */
    expiresAt: instant('expires_at'),
    updatedAt: instant('updated_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.kind, t.key] })],
)
