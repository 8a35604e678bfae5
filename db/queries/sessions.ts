import { and, eq, gt } from 'drizzle-orm'
import type { DbOrTx } from '../client'
import { sessions } from '../schema'

/** Sessions are looked up by the sha256 of the cookie's random id (`idHash`); see app/utils/session.server.ts. */
export async function insertSession(db: DbOrTx, args: { idHash: string; userId: string; workspaceId: string | null; expiresAt: Date }) {
  await db.insert(sessions).values({ id: args.idHash, userId: args.userId, workspaceId: args.workspaceId, expiresAt: args.expiresAt })
}

export async function findLiveSession(db: DbOrTx, args: { idHash: string; now: Date }) {
  const [row] = await db
    .select()
    .from(sessions)
    .where(and(eq(sessions.id, args.idHash), gt(sessions.expiresAt, args.now)))
    .limit(1)
  return row ?? null
}

export async function setSessionWorkspace(db: DbOrTx, args: { idHash: string; workspaceId: string }) {
  await db.update(sessions).set({ workspaceId: args.workspaceId }).where(eq(sessions.id, args.idHash))
}

export async function deleteSession(db: DbOrTx, args: { idHash: string }) {
  await db.delete(sessions).where(eq(sessions.id, args.idHash))
}
