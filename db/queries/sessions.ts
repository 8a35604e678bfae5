import { and, eq, gt, lt, ne } from 'drizzle-orm'
import type { DbOrTx } from '../client'
import { sessions } from '../schema'

/** Sessions are looked up by the sha256 of the cookie's random id (`idHash`); see app/utils/session.server.ts. */
export async function insertSession(db: DbOrTx, args: { idHash: string; userId: string; workspaceId: string | null; expiresAt: Date; now: Date }) {
  await db.insert(sessions).values({ id: args.idHash, userId: args.userId, workspaceId: args.workspaceId, expiresAt: args.expiresAt, lastSeenAt: args.now, createdAt: args.now })
}

/** The session, unless it is past its absolute end or was last seen before `idleSince`. */
export async function findLiveSession(db: DbOrTx, args: { idHash: string; now: Date; idleSince: Date }) {
  const [row] = await db
    .select()
    .from(sessions)
    .where(and(eq(sessions.id, args.idHash), gt(sessions.expiresAt, args.now), gt(sessions.lastSeenAt, args.idleSince)))
    .limit(1)
  return row ?? null
}

/** Slide the idle timeout forward (only when the stored time is older than `staleBefore`, to spare writes). */
export async function touchSession(db: DbOrTx, args: { idHash: string; now: Date; staleBefore: Date }) {
  await db.update(sessions).set({ lastSeenAt: args.now }).where(and(eq(sessions.id, args.idHash), lt(sessions.lastSeenAt, args.staleBefore)))
}

/** Sign the user out everywhere, except the session `keepIdHash` when given; returns how many ended. */
export async function deleteUserSessions(db: DbOrTx, args: { userId: string; keepIdHash?: string }): Promise<number> {
  const where = args.keepIdHash ? and(eq(sessions.userId, args.userId), ne(sessions.id, args.keepIdHash)) : eq(sessions.userId, args.userId)
  const rows = await db.delete(sessions).where(where).returning({ id: sessions.id })
  return rows.length
}

export async function setSessionWorkspace(db: DbOrTx, args: { idHash: string; workspaceId: string }) {
  await db.update(sessions).set({ workspaceId: args.workspaceId }).where(eq(sessions.id, args.idHash))
}

export async function deleteSession(db: DbOrTx, args: { idHash: string }) {
  await db.delete(sessions).where(eq(sessions.id, args.idHash))
}
