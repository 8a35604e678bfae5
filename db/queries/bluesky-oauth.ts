import { and, eq, gt, isNull, lt, or } from 'drizzle-orm'
import type { Db } from '../client'
import { blueskyOAuthEntries } from '../schema'

/** The Bluesky OAuth client's entries (db/schema/bluesky-oauth.ts); values arrive and leave sealed. */
export type OAuthEntryKind = 'state' | 'session' | 'lock'

const entry = (kind: OAuthEntryKind, key: string) => and(eq(blueskyOAuthEntries.kind, kind), eq(blueskyOAuthEntries.key, key))

/** The sealed value, unless it has expired by `now`. */
export async function readOAuthEntry(db: Db, args: { kind: OAuthEntryKind; key: string; now: Date }): Promise<string | undefined> {
  const [row] = await db
    .select({ sealed: blueskyOAuthEntries.sealed })
    .from(blueskyOAuthEntries)
    .where(and(entry(args.kind, args.key), or(isNull(blueskyOAuthEntries.expiresAt), gt(blueskyOAuthEntries.expiresAt, args.now))))
  return row?.sealed
}

export async function writeOAuthEntry(db: Db, args: { kind: OAuthEntryKind; key: string; sealed: string; expiresAt: Date | null; now: Date }): Promise<void> {
  const values = { kind: args.kind, key: args.key, sealed: args.sealed, expiresAt: args.expiresAt, updatedAt: args.now }
  await db
    .insert(blueskyOAuthEntries)
    .values(values)
    .onConflictDoUpdate({ target: [blueskyOAuthEntries.kind, blueskyOAuthEntries.key], set: { sealed: values.sealed, expiresAt: values.expiresAt, updatedAt: values.updatedAt } })
  // Started authorizations nobody finished: gone once expired.
  if (args.kind === 'state') await db.delete(blueskyOAuthEntries).where(and(eq(blueskyOAuthEntries.kind, 'state'), lt(blueskyOAuthEntries.expiresAt, args.now)))
}

/** Every stored session, sealed, by DID. */
export async function listOAuthSessions(db: Db): Promise<Array<{ did: string; sealed: string }>> {
  return db.select({ did: blueskyOAuthEntries.key, sealed: blueskyOAuthEntries.sealed }).from(blueskyOAuthEntries).where(eq(blueskyOAuthEntries.kind, 'session')).orderBy(blueskyOAuthEntries.key)
}

export async function deleteOAuthEntry(db: Db, args: { kind: OAuthEntryKind; key: string }): Promise<void> {
  await db.delete(blueskyOAuthEntries).where(entry(args.kind, args.key))
}

/**
 * Take the lease `key` for `token` until `expiresAt`: true when it was free or its holder's lease ran
 * out (a process that died holding it). One statement, so two processes cannot both take it.
 */
export async function takeOAuthLock(db: Db, args: { key: string; token: string; expiresAt: Date; now: Date }): Promise<boolean> {
  const taken = await db
    .insert(blueskyOAuthEntries)
    .values({ kind: 'lock', key: args.key, sealed: args.token, expiresAt: args.expiresAt, updatedAt: args.now })
    .onConflictDoUpdate({
      target: [blueskyOAuthEntries.kind, blueskyOAuthEntries.key],
      set: { sealed: args.token, expiresAt: args.expiresAt, updatedAt: args.now },
      setWhere: lt(blueskyOAuthEntries.expiresAt, args.now),
    })
    .returning({ key: blueskyOAuthEntries.key })
  return taken.length > 0
}

export async function releaseOAuthLock(db: Db, args: { key: string; token: string }): Promise<void> {
  await db.delete(blueskyOAuthEntries).where(and(entry('lock', args.key), eq(blueskyOAuthEntries.sealed, args.token)))
}
