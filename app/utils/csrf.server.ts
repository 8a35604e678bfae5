import { timingSafeEqual } from 'node:crypto'
import { forbidden } from './auth.server'
import { appCookie, newSecret } from './session.server'
import type { Services } from '../core.server'

/** Name of the hidden form field (see app/components/csrf-input.tsx). */
export const CSRF_FIELD = 'csrf'

const COOKIE = 'trickle_csrf'

/**
 * Double-submit CSRF protection: a signed, httpOnly cookie holds a random token and every form posts it
 * back in a hidden field. A cross-site form cannot read the cookie, so it cannot send the matching field.
 * Loaders that render a form call this and return `csrfToken`; `headers` sets the cookie when it is new.
 */
export async function issueCsrfToken(request: Request, services: Services): Promise<{ csrfToken: string; headers: Headers }> {
  const cookie = appCookie(services.config, COOKIE)
  const existing: unknown = await cookie.parse(request.headers.get('Cookie'))
  const headers = new Headers()
  if (typeof existing === 'string' && existing.length > 0) return { csrfToken: existing, headers }
  const csrfToken = newSecret()
  headers.append('Set-Cookie', await cookie.serialize(csrfToken))
  return { csrfToken, headers }
}

/** Throws a 403 unless the form's token matches the cookie's. Every non-GET form action calls this (through readForm). */
export async function requireCsrf(request: Request, services: Services, formData: FormData): Promise<void> {
  const expected: unknown = await appCookie(services.config, COOKIE).parse(request.headers.get('Cookie'))
  const given = formData.get(CSRF_FIELD)
  if (typeof expected !== 'string' || expected.length === 0) {
    throw forbidden('This form has expired or cookies are blocked. Reload the page, allow cookies for this site, and submit again.')
  }
  if (typeof given !== 'string' || !safeEqual(given, expected)) {
    throw forbidden('This form could not be verified (missing or wrong security token). Reload the page and submit again.')
  }
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}

