import { deleteSession, findLiveSession, insertSession, setSessionWorkspace } from '../db/queries/sessions'
import { hashSecret, newSecret } from './secrets'
import type { Services } from './services.server'

/** Browser sessions as stored: the cookie (app/utils/session.server.ts) carries a random id, the table only its sha256. */

export { hashSecret, newSecret }

export const SESSION_TTL_MS = 30 * 24 * 60 * 60 * 1000

export type SessionRecord = { idHash: string; userId: string; workspaceId: string | null }

/** The live session a cookie's id names, or null (unknown, expired or logged out). */
export async function findSession(services: Services, args: { id: string }): Promise<SessionRecord | null> {
  const idHash = hashSecret(args.id)
  const row = await findLiveSession(services.database.db, { idHash, now: services.clock.now() })
  return row ? { idHash, userId: row.userId, workspaceId: row.workspaceId } : null
}

/** Store a new session (always a new id, so a planted cookie is never promoted); the id goes into the cookie only. */
export async function openSession(services: Services, args: { userId: string; workspaceId: string | null }): Promise<{ id: string; expiresAt: Date }> {
  const id = newSecret()
  const expiresAt = new Date(services.clock.now().getTime() + SESSION_TTL_MS)
  await insertSession(services.database.db, { idHash: hashSecret(id), userId: args.userId, workspaceId: args.workspaceId, expiresAt })
  return { id, expiresAt }
}

/** Delete the session: its cookie stops working wherever it was copied. */
export async function closeSession(services: Services, args: { idHash: string }): Promise<void> {
  await deleteSession(services.database.db, args)
}

export async function switchSessionWorkspace(services: Services, args: { idHash: string; workspaceId: string }): Promise<void> {
  await setSessionWorkspace(services.database.db, args)
}
