import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { Agent } from 'undici'
import { type Clock } from '../domain/clock'
import { systemClock } from '../core/clock'
import { openJobStore } from '../jobs/store'
import { startWorker, type DefineJobs } from '../jobs/worker'
import { createHttpApp, loadServerBuild } from '../app/http.server'
import { loadConfig } from '../core/env.server'
import { createAccountServices, type Services } from '../core/services.server'
import type { Database } from '../db/client'
import { createTestDatabase } from './db'

export type TestApp = {
  /** Base URL of the running server, e.g. http://127.0.0.1:43121 (also its config.APP_URL). */
  url: string
  services: Services
  /** Set when the test database is a PostgreSQL database (a child process can open it). */
  databaseUrl?: string
  close(): Promise<void>
}

/**
 * The real HTTP app (the Remix build from `build/index.js`, so run `npx remix build` first) on a fresh
 * test database, listening on a free loopback port. Jobs go to Agenda's PostgreSQL backend on the same
 * database, or to an in-memory embedded store when no server is configured. No worker runs.
 * `database` (optional) is an already-open database to serve instead; `close` closes it.
 * `env` adds environment variables (e.g. X_CLIENT_ID and X's base URLs pointing at a loopback server);
 * ALLOW_PRIVATE_NETWORK_HOSTS is on unless `env` turns it off.
 * `worker` starts a worker in the process that runs only the jobs it defines (e.g. `defineSignupConfirmation`).
 */
export async function startTestApp(
  options: { clock?: Clock; database?: Database & { url?: string }; env?: Record<string, string>; worker?: DefineJobs } = {},
): Promise<TestApp> {
  const database = options.database ?? (await createTestDatabase())
  const dataDir = mkdtempSync(path.join(tmpdir(), 'trickle-app-'))
  const config = loadConfig({
    NODE_ENV: 'test',
    DATA_DIR: dataDir,
    DATABASE_URL: database.url,
    RUN_WORKER: 'false',
    SESSION_SECRET: randomBytes(32).toString('hex'),
    TOKEN_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    // The loopback servers that stand in for Mastodon and SMTP live on 127.0.0.1 (a test that proves
    // the net guard passes ALLOW_PRIVATE_NETWORK_HOSTS: 'false').
    ALLOW_PRIVATE_NETWORK_HOSTS: 'true',
    // A Bluesky sign-in that names no server (the fuzz test's blank fields) never reaches bsky.social.
    BLUESKY_DEFAULT_SERVICE: 'https://bsky.invalid',
    // Nor does a Telegram connection reach api.telegram.org (tests that connect one pass their loopback server).
    TELEGRAM_API_URL: 'https://telegram.invalid',
    DISCORD_API_URL: 'https://discord.invalid/api/v10',
    ...options.env,
  })
  const jobs = await openJobStore({ databaseUrl: database.url, embeddedDataDir: null, name: `test-app-${process.pid}` })
  const clock = options.clock ?? systemClock
  const services: Services = { config, database, jobs, clock, ...createAccountServices(config, clock, database) }
  const server = createHttpApp({ services, build: await loadServerBuild() }).listen(0, '127.0.0.1')
  await new Promise<void>((resolve, reject) => server.once('listening', resolve).once('error', reject))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  services.config = { ...config, APP_URL: url }
  const worker = options.worker ? await startWorker(services, { defineJobs: options.worker }) : null
  return {
    url,
    services,
    databaseUrl: database.url,
    async close() {
      await worker?.stop({ drainMs: 0 })
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      await jobs.close({ drainMs: 0 })
      await database.close()
      rmSync(dataDir, { recursive: true, force: true })
    },
  }
}

/** A browser stand-in: fetch with a cookie jar, no redirects followed, and form helpers that carry the CSRF token. */
export class TestBrowser {
  readonly cookies = new Map<string, string>()
  private readonly dispatcher: Agent | undefined

  /** `localAddress` (e.g. 127.0.0.2) makes the requests come from another loopback address: another client IP for the app. */
  constructor(
    readonly baseUrl: string,
    options: { localAddress?: string } = {},
  ) {
    this.dispatcher = options.localAddress ? new Agent({ localAddress: options.localAddress }) : undefined
  }

  async request(pathname: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers)
    if (this.cookies.size > 0) headers.set('Cookie', [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '))
    const response = await fetch(new URL(pathname, this.baseUrl), { ...init, headers, redirect: 'manual', ...(this.dispatcher ? { dispatcher: this.dispatcher } : {}) } as RequestInit)
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(';')
      const [name, ...rest] = pair!.split('=')
      const value = rest.join('=')
      const expired = value === '' || attributes.some((a) => /^\s*max-age=0$/i.test(a))
      if (expired) this.cookies.delete(name!.trim())
      else this.cookies.set(name!.trim(), value)
    }
    return response
  }

  get(pathname: string): Promise<Response> {
    return this.request(pathname)
  }

  /** GET the page, then submit its form with `fields` plus the page's CSRF token (unless `csrf` overrides it). */
  async submit(pathname: string, fields: Record<string, string>, options: { action?: string; csrf?: string | null } = {}): Promise<Response> {
    const page = await this.get(pathname)
    const html = await page.text()
    const token = options.csrf === undefined ? csrfTokenOf(html) : options.csrf
    return this.post(options.action ?? pathname, token === null ? fields : { csrf: token, ...fields })
  }

  post(pathname: string, fields: Record<string, string>): Promise<Response> {
    return this.request(pathname, { method: 'POST', body: new URLSearchParams(fields) })
  }
}

export function csrfTokenOf(html: string): string {
  const match = /name="csrf" value="([^"]*)"/.exec(html)
  if (!match?.[1]) throw new Error('The page has no CSRF field (name="csrf"); is it a signed-in page or did the loader fail?')
  return match[1]
}

/** Sign up through the real form; returns the browser, signed in. */
export async function signUpAs(app: TestApp, user: { email: string; password?: string; name?: string; workspaceName?: string }) {
  const browser = new TestBrowser(app.url)
  const response = await browser.submit('/signup', {
    email: user.email,
    password: user.password ?? 'correct horse battery staple',
    name: user.name ?? user.email.split('@')[0]!,
    workspaceName: user.workspaceName ?? `${user.email.split('@')[0]}'s team`,
  })
  if (response.status !== 302) throw new Error(`Sign-up of ${user.email} failed with ${response.status}: ${await response.text()}`)
  return browser
}

/**
 * Sign in again in the same browser: a test that moves its clock past the session's idle timeout
 * (7 days, core/sessions.server.ts) is signed out, as a real user would be.
 */
export async function logInAgain(browser: TestBrowser, email: string, password = 'correct horse battery staple'): Promise<void> {
  browser.cookies.clear()
  const response = await browser.submit('/login', { email, password })
  if (response.status !== 302) throw new Error(`Log-in of ${email} failed with ${response.status}: ${await response.text()}`)
}
