import { createCookie, type Cookie } from '@remix-run/node'
import { closeSession, findSession, openSession, SESSION_TTL_MS, type Config, type Services } from '../core.server'

export { hashSecret, newSecret, SESSION_TTL_MS, switchSessionWorkspace, type SessionRecord } from '../core.server'

/**
 * Cookies are signed with SESSION_SECRET. Over https (APP_URL) they are `Secure` and named `__Host-…`,
 * which browsers accept only from a secure origin, for the whole host (Path=/, no Domain): a sibling
 * subdomain or a plain-http response cannot plant or overwrite them. Plain http (local dev) keeps the bare name.
 */
export function appCookie(config: Config, name: string, options: { maxAgeSeconds?: number } = {}): Cookie {
  const secure = config.APP_URL.startsWith('https:')
  return createCookie(secure ? `__Host-${name}` : name, {
    httpOnly: true,
    sameSite: 'lax',
    path: '/',
    secure,
    secrets: [config.SESSION_SECRET],
    maxAge: options.maxAgeSeconds,
  })
}

function sessionCookie(config: Config): Cookie {
  return appCookie(config, 'trickle_session', { maxAgeSeconds: SESSION_TTL_MS / 1000 })
}

const PENDING_LOGIN_MS = 5 * 60 * 1000

/** Between a correct password and the second factor: which user, until when (signed, so it cannot be forged). */
function pendingLoginCookie(config: Config): Cookie {
  return appCookie(config, 'trickle_login', { maxAgeSeconds: PENDING_LOGIN_MS / 1000 })
}

/** Remember that this browser passed the password step for `userId`; returns the Set-Cookie. */
export async function startPendingLogin(services: Services, args: { userId: string }): Promise<string> {
  const until = services.clock.now().getTime() + PENDING_LOGIN_MS
  return pendingLoginCookie(services.config).serialize({ userId: args.userId, until })
}

/** The user whose password this browser entered in the last five minutes, or null. */
export async function readPendingLogin(request: Request, services: Services): Promise<{ userId: string } | null> {
  const value: unknown = await pendingLoginCookie(services.config).parse(request.headers.get('Cookie'))
  if (!value || typeof value !== 'object') return null
  const { userId, until } = value as { userId?: unknown; until?: unknown }
  if (typeof userId !== 'string' || typeof until !== 'number' || until <= services.clock.now().getTime()) return null
  return { userId }
}

export async function clearPendingLogin(services: Services): Promise<string> {
  return pendingLoginCookie(services.config).serialize('', { maxAge: 0, expires: new Date(0) })
}

/** The live session of this request, or null (no cookie, bad signature, unknown, expired or logged out). */
export async function readSession(request: Request, services: Services) {
  const id: unknown = await sessionCookie(services.config).parse(request.headers.get('Cookie'))
  if (typeof id !== 'string' || id.length === 0) return null
  return findSession(services, { id })
}

/** Start a new session (always a new id, so a planted cookie is never promoted) and return its Set-Cookie. */
export async function startSession(services: Services, args: { userId: string; workspaceId: string | null }): Promise<string> {
  const { id, expiresAt } = await openSession(services, args)
  return sessionCookie(services.config).serialize(id, { expires: expiresAt })
}

/** Delete the session row (the cookie stops working wherever it was copied) and return a clearing Set-Cookie. */
export async function endSession(request: Request, services: Services): Promise<string> {
  const session = await readSession(request, services)
  if (session) await closeSession(services, { idHash: session.idHash })
  return sessionCookie(services.config).serialize('', { maxAge: 0, expires: new Date(0) })
}
