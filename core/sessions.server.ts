import { deleteSession, deleteUserSessions, findLiveSession, insertSession, setSessionWorkspace, touchSession } from '../db/queries/sessions'
import { hashSecret, newSecret } from './secrets'
import type { Services } from './services.server'

/** Browser sessions as stored: the cookie (app/utils/session.server.ts) carries a random id, the table only its sha256. */

export { hashSecret, newSecret }

/** The absolute lifetime of a session, however busy. */
export const SESSION_TTL_MS = 30 * 24 * 60 * 60 * 1000
/** A session unused for this long ends (sliding: every use moves it forward). */
export const SESSION_IDLE_MS = 7 * 24 * 60 * 60 * 1000
/** Uses closer together than this do not rewrite `last_seen_at`. */
const TOUCH_EVERY_MS = 60_000

export type SessionRecord = { idHash: string; userId: string; workspaceId: string | null }

/** The live session a cookie's id names, or null (unknown, expired, idle too long or logged out); using it slides the idle timeout. */
export async function findSession(services: Services, args: { id: string }): Promise<SessionRecord | null> {
  const idHash = hashSecret(args.id)
  const now = services.clock.now()
  const db = services.database.db
  const row = await findLiveSession(db, { idHash, now, idleSince: new Date(now.getTime() - SESSION_IDLE_MS) })
  if (!row) return null
  if (now.getTime() - row.lastSeenAt.getTime() >= TOUCH_EVERY_MS) await touchSession(db, { idHash, now, staleBefore: new Date(now.getTime() - TOUCH_EVERY_MS) })
  return { idHash, userId: row.userId, workspaceId: row.workspaceId }
}

/** Store a new session (always a new id, so a planted cookie is never promoted); the id goes into the cookie only. */
export async function openSession(services: Services, args: { userId: string; workspaceId: string | null }): Promise<{ id: string; expiresAt: Date }> {
  const id = newSecret()
  const now = services.clock.now()
  const expiresAt = new Date(now.getTime() + SESSION_TTL_MS)
  await insertSession(services.database.db, { idHash: hashSecret(id), userId: args.userId, workspaceId: args.workspaceId, expiresAt, now })
  return { id, expiresAt }
}

/** Delete the session: its cookie stops working wherever it was copied. */
export async function closeSession(services: Services, args: { idHash: string }): Promise<void> {
  await deleteSession(services.database.db, args)
}

/** Sign the user out of every session but `keepIdHash` (all of them without it); returns how many ended. */
export async function closeUserSessions(services: Pick<Services, 'database'>, args: { userId: string; keepIdHash?: string }): Promise<number> {
  return deleteUserSessions(services.database.db, args)
}

export async function switchSessionWorkspace(services: Services, args: { idHash: string; workspaceId: string }): Promise<void> {
  await setSessionWorkspace(services.database.db, args)
}
