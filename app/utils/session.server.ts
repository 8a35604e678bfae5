import { createHash, randomBytes } from 'node:crypto'
import { createCookie, type Cookie } from '@remix-run/node'
import { deleteSession, findLiveSession, insertSession, setSessionWorkspace } from '../../db/queries/sessions'
import { type Config, type Services } from '../core.server'

export const SESSION_TTL_MS = 30 * 24 * 60 * 60 * 1000

/** A random, URL-safe secret (session ids, API tokens, invitation tokens). */
export function newSecret(bytes = 32): string {
  return randomBytes(bytes).toString('base64url')
}

/** What the database keeps instead of a secret. */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex')
}

/** Cookies are signed with SESSION_SECRET; `Secure` whenever the app is served over https. */
export function appCookie(config: Config, name: string, options: { maxAgeSeconds?: number } = {}): Cookie {
  return createCookie(name, {
    httpOnly: true,
    sameSite: 'lax',
    path: '/',
    secure: config.APP_URL.startsWith('https:'),
    secrets: [config.SESSION_SECRET],
    maxAge: options.maxAgeSeconds,
  })
}

function sessionCookie(config: Config): Cookie {
  return appCookie(config, 'trickle_session', { maxAgeSeconds: SESSION_TTL_MS / 1000 })
}

export type SessionRecord = { idHash: string; userId: string; workspaceId: string | null }

/** The live session of this request, or null (no cookie, bad signature, unknown, expired or logged out). */
export async function readSession(request: Request, services: Services): Promise<SessionRecord | null> {
  const id: unknown = await sessionCookie(services.config).parse(request.headers.get('Cookie'))
  if (typeof id !== 'string' || id.length === 0) return null
  const idHash = hashSecret(id)
  const row = await findLiveSession(services.database.db, { idHash, now: services.clock.now() })
  return row ? { idHash, userId: row.userId, workspaceId: row.workspaceId } : null
}

/** Start a new session (always a new id, so a planted cookie is never promoted) and return its Set-Cookie. */
export async function startSession(services: Services, args: { userId: string; workspaceId: string | null }): Promise<string> {
  const id = newSecret()
  const expiresAt = new Date(services.clock.now().getTime() + SESSION_TTL_MS)
  await insertSession(services.database.db, { idHash: hashSecret(id), userId: args.userId, workspaceId: args.workspaceId, expiresAt })
  return sessionCookie(services.config).serialize(id, { expires: expiresAt })
}

/** Delete the session row (the cookie stops working wherever it was copied) and return a clearing Set-Cookie. */
export async function endSession(request: Request, services: Services): Promise<string> {
  const session = await readSession(request, services)
  if (session) await deleteSession(services.database.db, { idHash: session.idHash })
  return sessionCookie(services.config).serialize('', { maxAge: 0, expires: new Date(0) })
}

export async function switchSessionWorkspace(services: Services, args: { idHash: string; workspaceId: string }) {
  await setSessionWorkspace(services.database.db, args)
}
