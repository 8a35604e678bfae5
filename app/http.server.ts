import { existsSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { ServerBuild } from '@remix-run/node'
import express, { type Express } from 'express'
import type { Services } from './core.server'
import { finalErrorHandler, refuseForeignOrigin, refuseUnsupportedMethods } from './http-guards.server'
import { limitRequestBodies } from './utils/body-limit.server'
import { createRemixHandler } from './utils/remix-handler.server'
import { cspNonceOf, securityHeaders } from './utils/security-headers.server'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')

/** The Remix server build (`npx remix build` writes it). */
export async function loadServerBuild(): Promise<ServerBuild> {
  const file = path.join(root, 'build/index.js')
  if (!existsSync(file)) throw new Error(`No server build at ${file}: run \`npx remix build\` (npm start and npm test do it for you)`)
  return (await import(file)) as ServerBuild
}

/** The whole HTTP surface of one process: static assets, the Remix app, the JSON API and /healthz. */
export function createHttpApp(args: { services: Services; build: ServerBuild }): Express {
  const app = express()
  app.disable('x-powered-by')
  // Which proxies may name the client (X-Forwarded-For) for req.ip: the rate limits, the log-in throttle
  // and the audit log use it. Off by default, so a client cannot choose its own address (decision 068).
  app.set('trust proxy', args.services.config.TRUST_PROXY)
  app.use(refuseUnsupportedMethods)
  // Security headers (CSP with a per-response nonce, frame-ancestors, HSTS on https …): decision 064.
  app.use(securityHeaders({ appUrl: args.services.config.APP_URL }))
  app.use('/build', express.static(path.join(root, 'public/build'), { immutable: true, maxAge: '1y' }))
  app.use(express.static(path.join(root, 'public'), { maxAge: '1h' }))
  // Request bodies are limited per route while they stream, before Remix reads them: decision 064.
  app.use(limitRequestBodies())
  app.use(refuseForeignOrigin)
  app.all('*', createRemixHandler({ build: args.build, services: args.services, getLoadContext: (req, res) => ({ services: args.services, clientIp: req.ip ?? null, cspNonce: cspNonceOf(res) }) }))
  app.use(finalErrorHandler)
  return app
}
