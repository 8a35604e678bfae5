import { createCookie, type Cookie } from '@remix-run/node'
import { closeSession, findSession, openSession, SESSION_TTL_MS, type Config, type Services } from '../core.server'

export { hashSecret, newSecret, SESSION_TTL_MS, switchSessionWorkspace, type SessionRecord } from '../core.server'

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
