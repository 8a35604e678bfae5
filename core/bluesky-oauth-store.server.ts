import { randomBytes } from 'node:crypto'
import { setTimeout as wait } from 'node:timers/promises'
import type { BlueskyOAuthStore } from '../connectors/bluesky/oauth'
import type { Db } from '../db/client'
import { deleteOAuthEntry, listOAuthSessions, readOAuthEntry, releaseOAuthLock, takeOAuthLock, writeOAuthEntry } from '../db/queries/bluesky-oauth'
import { openValue, sealValue, type Keyring } from '../db/vault'
import type { Clock } from '../domain/clock'

/** How long a started Bluesky authorization can come back (the library's state: PKCE verifier, DPoP key, our app state). */
export const BLUESKY_STATE_LIFETIME_MS = 10 * 60_000
/** A refresh holds the lock for one token request; a holder that died frees it after this. */
const LOCK_LEASE_MS = 30_000
const LOCK_POLL_MS = 50

const purpose = (kind: string, key: string) => `bluesky-oauth.${kind}.${key}`

/**
 * Which client key each stored session signs with (the `kid` the library recorded when it was made,
 * decision 125): what an operator checks before removing a key. `kid` is null for a session the keyring
 * cannot open.
 */
export async function blueskyOAuthSessionKeys(args: { db: Db; keyring: Keyring }): Promise<Array<{ did: string; kid: string | null }>> {
  return (await listOAuthSessions(args.db)).map(({ did, sealed }) => {
    try {
      const session = JSON.parse(openValue({ keyring: args.keyring, purpose: purpose('session', did), ciphertext: sealed })) as { authMethod?: { kid?: string } }
      return { did, kid: session.authMethod?.kid ?? null }
    } catch {
      return { did, kid: null }
    }
  })
}

/**
 * `@atproto/oauth-client-node`'s state store, session store and request lock over our PostgreSQL
 * (decision 115): values sealed with the token vault's keyring (AES-256-GCM, bound to kind and key, so
 * a row copied under another key does not open), states for ten minutes, and the lock a lease row that
 * every web and worker process sees. `db` is read on each call (the services open it after the connectors).
 */
export function createBlueskyOAuthStore(args: { db: () => Db; keyring: Keyring; clock: Clock }): BlueskyOAuthStore {
  return {
    async get(kind, key) {
      const sealed = await readOAuthEntry(args.db(), { kind, key, now: args.clock.now() })
      if (sealed === undefined) return undefined
      return JSON.parse(openValue({ keyring: args.keyring, purpose: purpose(kind, key), ciphertext: sealed })) as unknown
    },
    async set(kind, key, value) {
      const now = args.clock.now()
      const sealed = sealValue({ keyring: args.keyring, purpose: purpose(kind, key), plaintext: JSON.stringify(value) })
      const expiresAt = kind === 'state' ? new Date(now.getTime() + BLUESKY_STATE_LIFETIME_MS) : null
      await writeOAuthEntry(args.db(), { kind, key, sealed, expiresAt, now })
    },
    async del(kind, key) {
      await deleteOAuthEntry(args.db(), { kind, key })
    },
    async lock(name, run) {
      const token = randomBytes(16).toString('base64url')
      for (;;) {
        const now = args.clock.now()
        if (await takeOAuthLock(args.db(), { key: name, token, expiresAt: new Date(now.getTime() + LOCK_LEASE_MS), now })) break
        await wait(LOCK_POLL_MS)
      }
      try {
        return await run()
      } finally {
        await releaseOAuthLock(args.db(), { key: name, token })
      }
    },
  }
}
