// The adapter's own request and response helpers (its package has no export map; the version is pinned).
import { createRemixRequest, sendRemixResponse } from '@remix-run/express/dist/server.js'
import { createReadableStreamFromReadable, createRequestHandler, type AppLoadContext, type ServerBuild } from '@remix-run/node'
import type { NextFunction, Request as ExpressRequest, Response as ExpressResponse } from 'express'
import { Readable } from 'node:stream'
import { runAuditedRequest, type Services } from '../core.server'
import { exceededBodyLimit, limitedBodyOf, sendTooLarge } from './body-limit.server'

/**
 * `@remix-run/express`'s request handler, except that Remix reads the body through the counter of
 * `limitRequestBodies` (body-limit.server.ts), and a body that went over its limit while streaming is
 * answered 413 instead of whatever the route made of it. Each request runs in the audit log's request
 * context (core/audit.server.ts: its client for every event, and the refused cross-workspace lookups).
 */
export function createRemixHandler(args: {
  build: ServerBuild
  services: Services
  getLoadContext: (req: ExpressRequest, res: ExpressResponse) => AppLoadContext
}) {
  const handleRequest = createRequestHandler(args.build, process.env.NODE_ENV)
  return async (req: ExpressRequest, res: ExpressResponse, next: NextFunction) => {
    try {
      const client = { ip: req.ip ?? null, userAgent: req.get('user-agent') ?? null }
      const response = await runAuditedRequest(args.services, { client, method: req.method, path: req.path }, () =>
        handleRequest(remixRequest(req, res), args.getLoadContext(req, res)),
      )
      const exceeded = exceededBodyLimit(res)
      if (exceeded) {
        // Read to its end (a route's error page; cancelling it mid-render makes React log an error).
        await response.arrayBuffer().catch(() => {})
        return sendTooLarge(req, res, exceeded)
      }
      // A header the route sets itself (e.g. a stricter Referrer-Policy) replaces the default the security
      // middleware put there, rather than being appended to it.
      for (const name of response.headers.keys()) if (name !== 'set-cookie' && res.hasHeader(name)) res.removeHeader(name)
      await sendRemixResponse(res, response)
    } catch (error) {
      next(error)
    }
  }
}

/**
 * The adapter builds the URL (honouring `trust proxy`), the headers and the abort signal from a
 * body-less view of `req`; the body is the limited stream.
 */
function remixRequest(req: ExpressRequest, res: ExpressResponse): Request {
  const body = limitedBodyOf(req, res)
  const bodiless = createRemixRequest(Object.create(req, { method: { value: 'GET' } }) as ExpressRequest, res)
  if (!body) return bodiless
  return new Request(bodiless, { method: req.method, body: createReadableStreamFromReadable(body as Readable), duplex: 'half' } as RequestInit)
}
