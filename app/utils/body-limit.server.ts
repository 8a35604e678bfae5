import { Transform, type TransformCallback } from 'node:stream'
import type { NextFunction, Request as ExpressRequest, Response as ExpressResponse } from 'express'
import { MAX_CONTACT_IMPORT_BYTES, MAX_IMAGE_BYTES, MAX_VIDEO_BYTES } from '../core.server'

/**
 * Request body limits (ASVS 5.0 V5.2.1), enforced in Express before Remix sees the request: a declared
 * Content-Length over the route's limit is answered 413 at once (nothing of the body is read); a body
 * without one (chunked) is counted while it streams into Remix and cut off at the limit, and the
 * answer is 413 whatever the route made of its truncated body. See docs/decisions/064-http-hardening.md.
 */

const KB = 1024
const MB = 1024 * KB
/** Room for the multipart boundaries, headers and the CSRF field around an uploaded file. */
const FORM_OVERHEAD = 64 * KB

export type BodyLimit = { bytes: number; message: string; field?: string }

const SMALL_FORM: BodyLimit = { bytes: 64 * KB, message: 'The form is larger than 64 KB' }
const DEFAULT_LIMIT: BodyLimit = { bytes: 1 * MB, message: 'The request body is larger than 1 MB' }

/** First match wins; paths are the page's path (a single-fetch `.data` suffix removed). */
const LIMITS: Array<{ path: RegExp; limit: BodyLimit }> = [
  // Videos have their own upload route, so the image route keeps its 5 MB (decision 102).
  { path: /^\/app\/media\/videos$/, limit: { bytes: MAX_VIDEO_BYTES + FORM_OVERHEAD, message: `file: videos can be at most ${MAX_VIDEO_BYTES / MB} MB`, field: 'file' } },
  { path: /^\/app\/media$/, limit: { bytes: MAX_IMAGE_BYTES + FORM_OVERHEAD, message: 'file: images can be at most 5 MB', field: 'file' } },
  { path: /^\/app\/(contacts\/import|drips\/[^/]+\/enroll)$/, limit: { bytes: MAX_CONTACT_IMPORT_BYTES + FORM_OVERHEAD, message: 'file: the CSV file must be at most 20 MB', field: 'file' } },
  // The series editor posts every post of a series (up to 1,000, threads of up to 25 parts); the
  // import preview takes up to 2 MB of text or file, in UTF-8 up to 4 bytes a character.
  { path: /^\/(app|api\/v1)\/series(\/.*)?$/, limit: { bytes: 8 * MB, message: 'The series is larger than 8 MB' } },
  // Public or pre-login forms: a few short fields.
  { path: /^\/(login|signup|logout|f|invite|u|p|t|oauth)(\/.*)?$/, limit: SMALL_FORM },
  { path: /^\/$/, limit: SMALL_FORM },
]

/** The limit for a request path (`/login`, `/login.data`, `/_root.data`, `/app/media?x` …). */
export function bodyLimitFor(pathname: string): BodyLimit {
  const path = pathname === '/_root.data' ? '/' : pathname.replace(/\.data$/, '').replace(/\/+$/, '') || '/'
  return LIMITS.find((l) => l.path.test(path))?.limit ?? DEFAULT_LIMIT
}

export class BodyTooLargeError extends Error {
  override name = 'BodyTooLargeError'
  constructor(readonly limit: BodyLimit) {
    super(limit.message)
  }
}

/** Passes bytes through until `limit.bytes`, then fails with BodyTooLargeError. */
class CountedBody extends Transform {
  private seen = 0
  exceeded = false

  constructor(readonly limit: BodyLimit) {
    super()
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.seen += chunk.length
    if (this.seen > this.limit.bytes) {
      this.exceeded = true
      return callback(new BodyTooLargeError(this.limit))
    }
    callback(null, chunk)
  }
}

type Locals = { countedBody?: CountedBody }

function hasBody(req: ExpressRequest): boolean {
  return req.method !== 'GET' && req.method !== 'HEAD'
}

/**
 * Express middleware: 413 for a declared Content-Length over the route's limit; otherwise the body is
 * piped through a counter that `limitedBodyOf` hands to Remix.
 */
export function limitRequestBodies() {
  return (req: ExpressRequest, res: ExpressResponse, next: NextFunction) => {
    if (!hasBody(req)) return next()
    const limit = bodyLimitFor(req.path)
    const declared = Number(req.headers['content-length'])
    if (Number.isFinite(declared) && declared > limit.bytes) return sendTooLarge(req, res, limit)
    const counted = new CountedBody(limit)
    counted.on('error', () => {
      // Stop reading: the client gets its 413 and the connection is closed after it.
      req.unpipe(counted)
      req.pause()
    })
    req.pipe(counted)
    ;(res.locals as Locals).countedBody = counted
    next()
  }
}

/** The request's body as Remix should read it: the counted stream when `limitRequestBodies` ran. */
export function limitedBodyOf(req: ExpressRequest, res: ExpressResponse): NodeJS.ReadableStream | null {
  if (!hasBody(req)) return null
  return (res.locals as Locals).countedBody ?? req
}

/** The limit this request's body went over while it streamed, or null. */
export function exceededBodyLimit(res: ExpressResponse): BodyLimit | null {
  const counted = (res.locals as Locals).countedBody
  return counted?.exceeded ? counted.limit : null
}

/** 413 naming the limit: JSON for the API and the editor's fetches, plain text for pages. The connection closes (the rest of the body is never read). */
export function sendTooLarge(req: ExpressRequest, res: ExpressResponse, limit: BodyLimit): void {
  res.status(413).set({ Connection: 'close', 'Cache-Control': 'no-store' })
  if (req.path.startsWith('/api/')) {
    res.json({ error: { code: 'body_too_large', message: limit.message, ...(limit.field ? { field: limit.field } : {}) } })
  } else if (limit.field || req.accepts(['text/html', 'application/json']) === 'application/json') {
    res.json({ error: limit.message, ...(limit.field ? { field: limit.field } : {}) })
  } else {
    res.type('text/plain; charset=utf-8').send(`${limit.message}. Send less, or split it up.`)
  }
}
