import { existsSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { createRequestHandler } from '@remix-run/express'
import type { ServerBuild } from '@remix-run/node'
import express, { type Express } from 'express'
import type { Services } from './core.server'
import { finalErrorHandler, refuseForeignOrigin, refuseUnsupportedMethods } from './http-guards.server'

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
  app.use(refuseUnsupportedMethods)
  app.use('/build', express.static(path.join(root, 'public/build'), { immutable: true, maxAge: '1y' }))
  app.use(express.static(path.join(root, 'public'), { maxAge: '1h' }))
  app.use(refuseForeignOrigin)
  app.all('*', createRequestHandler({ build: args.build, getLoadContext: (req) => ({ services: args.services, clientIp: req.ip ?? null }) }))
  app.use(finalErrorHandler)
  return app
}
