import { STATUS_CODES } from 'node:http'
import type { ErrorRequestHandler, RequestHandler } from 'express'

/**
 * Express middleware around the Remix handler for requests Remix cannot answer well
 * (docs/decisions/063-malformed-input.md): methods no route serves, cross-site form posts, and the
 * last error handler. Each answers a plain 4xx/500 without internals, in every mode.
 */

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])
const SERVED = 'GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS'

/** TRACE, TRACK, CONNECT and unknown methods: 405 (the Fetch API cannot even build such a request for Remix). */
export const refuseUnsupportedMethods: RequestHandler = (req, res, next) => {
  if (SERVED.split(', ').includes(req.method)) return next()
  res.status(405).set({ Allow: SERVED, 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' }).send('Method not allowed')
}

/**
 * Posts meant to come from anywhere: the public signup form (plain HTML forms on customers' sites post
 * to it; double opt-in protects it) and one-click unsubscribe (RFC 8058; the signed link protects it).
 */
const CROSS_SITE_POSTS = [/^\/f\/[^/]+\/?$/, /^\/u\/[^/]+\/?$/]

/**
 * A form post whose `Origin` is another site: 403, the answer of the CSRF check. Remix makes the same
 * comparison (Origin host against X-Forwarded-Host or Host) before any document action and throws,
 * which became a bare 500. The JSON API (`/api/`) authenticates with bearer tokens, never cookies, so
 * a cross-origin call there is not a forgery and passes; the CROSS_SITE_POSTS pass without their Origin
 * (so Remix's check lets them through).
 */
export const refuseForeignOrigin: RequestHandler = (req, res, next) => {
  if (!UNSAFE.has(req.method) || req.path.startsWith('/api/')) return next()
  const origin = req.get('origin')
  if (origin === undefined) return next()
  if (CROSS_SITE_POSTS.some((path) => path.test(req.path))) {
    delete req.headers.origin
    return next()
  }
  const host = req.get('x-forwarded-host')?.split(',')[0]?.trim() || req.get('host')
  let originHost: string | null = null
  try {
    originHost = origin === 'null' ? null : new URL(origin).host
  } catch {
    originHost = null
  }
  if (host && originHost === host) return next()
  res
    .status(403)
    .set({ 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' })
    .send('This form was sent from another site, so it was not accepted. Open the page on this site and submit it there.')
}

/**
 * The last handler: whatever reaches it (a request Remix could not build, a static file error) is
 * logged here and answered with the status's plain name — never a stack trace or a file path, whatever
 * NODE_ENV says. A client error keeps its 4xx status.
 */
export const finalErrorHandler: ErrorRequestHandler = (error: unknown, req, res, _next) => {
  const declared = Number((error as { status?: unknown; statusCode?: unknown } | null)?.status ?? (error as { statusCode?: unknown } | null)?.statusCode)
  const status = Number.isInteger(declared) && declared >= 400 && declared < 600 ? declared : 500
  if (status >= 500) console.error(`${req.method} ${req.path} failed:`, error)
  if (res.headersSent) {
    req.socket.destroy()
    return
  }
  res
    .status(status)
    .set({ 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' })
    .send(status >= 500 ? 'Something went wrong on our side. Try again; if it keeps happening, check the server log.' : (STATUS_CODES[status] ?? 'Bad request'))
}
