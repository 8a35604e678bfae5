import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { ServerBuild } from '@remix-run/node'
import express, { type Express } from 'express'
import type { Services } from './core.server'
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
  // Security headers (CSP with a per-response nonce, frame-ancestors, HSTS on https …): decision 064.
  app.use(securityHeaders({ appUrl: args.services.config.APP_URL }))
  app.use('/build', express.static(path.join(root, 'public/build'), { immutable: true, maxAge: '1y' }))
  app.use(express.static(path.join(root, 'public'), { maxAge: '1h' }))
  // Request bodies are limited per route while they stream, before Remix reads them: decision 064.
  app.use(limitRequestBodies())
  app.all('*', createRemixHandler({ build: args.build, getLoadContext: (req, res) => ({ services: args.services, clientIp: req.ip ?? null, cspNonce: cspNonceOf(res) }) }))
  return app
}

/**
 * PGlite does not lock its data directory, and two processes writing it corrupt it. Whoever opens the
 * embedded database holds this pid file; `isEmbeddedDatabaseBusy` lets the CLI refuse politely.
 */
export function embeddedLockFile(dataDir: string): string {
  return path.resolve(dataDir, 'app.pid')
}

export function isEmbeddedDatabaseBusy(dataDir: string): { pid: number } | null {
  const file = embeddedLockFile(dataDir)
  if (!existsSync(file)) return null
  const pid = Number(readFileSync(file, 'utf8').trim())
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return null
  try {
    process.kill(pid, 0)
    return { pid }
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM' ? { pid } : null
  }
}

export function holdEmbeddedDatabase(dataDir: string): { release(): void } {
  const file = embeddedLockFile(dataDir)
  mkdirSync(path.dirname(file), { recursive: true })
  writeFileSync(file, String(process.pid))
  return { release: () => rmSync(file, { force: true }) }
}
