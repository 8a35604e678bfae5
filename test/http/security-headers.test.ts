import { readdirSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import { createHttpApp, loadServerBuild } from '../../app/http.server'
import { insertSignupForm } from '../../db/queries/contacts'
import { workspaces } from '../../db/schema'
import { signUpAs, startTestApp, type TestApp, type TestBrowser } from '../app-server'

/**
 * Browser security headers (helmet, app/utils/security-headers.server.ts, decision 064) on every page a
 * signed-in user can open: a CSP whose script nonce is on every inline and module script, no framing by
 * other sites, nosniff, a referrer policy, COOP; HSTS only with an https APP_URL.
 */

let app: TestApp
let browser: TestBrowser
let formId: string
beforeAll(async () => {
  app = await startTestApp()
  browser = await signUpAs(app, { email: 'owner@headers.test' })
  const [workspace] = await app.services.database.db.select().from(workspaces)
  formId = (await insertSignupForm(app.services.database.db, { workspaceId: workspace!.id, name: 'News', consentText: 'Yes, send me news.', tags: [] })).id
})
afterAll(async () => {
  await app?.close()
})

/** Every page route without a parameter, as its URL path (from the route files: new pages are covered as they are added). */
function pagePaths(): string[] {
  const dir = path.resolve(import.meta.dirname, '../../app/routes')
  return readdirSync(dir)
    .filter((file) => file.endsWith('.tsx') && !file.includes('$'))
    .map((file) => {
      const segments = file
        .replace(/\.tsx$/, '')
        .split('.')
        .filter((s) => s !== '_index')
        .map((s) => s.replace(/_$/, ''))
      return `/${segments.join('/')}`
    })
}

function directives(csp: string | null): Map<string, string> {
  return new Map((csp ?? '').split(';').map((d) => d.trim().split(/\s+/)).filter((d) => d[0]).map(([name, ...values]) => [name!, values.join(' ')]))
}

function expectPageHeaders(response: Response, where: string): string {
  const headers = response.headers
  const csp = directives(headers.get('content-security-policy'))
  const nonce = /'nonce-([^']+)'/.exec(csp.get('script-src') ?? '')?.[1]
  expect(nonce, `${where}: script nonce`).toMatch(/^[A-Za-z0-9+/=]{20,}$/)
  expect(csp.get('script-src'), where).toBe(`'self' 'nonce-${nonce}'`)
  expect(csp.get('frame-ancestors'), where).toBe("'self'")
  expect(csp.get('object-src'), where).toBe("'none'")
  expect(csp.get('base-uri'), where).toBe("'none'")
  expect(csp.get('default-src'), where).toBe("'self'")
  expect(csp.has('upgrade-insecure-requests'), where).toBe(false)
  expect(headers.get('x-frame-options'), where).toBe('SAMEORIGIN')
  expect(headers.get('x-content-type-options'), where).toBe('nosniff')
  expect(headers.get('referrer-policy'), where).toBe('strict-origin-when-cross-origin')
  expect(headers.get('cross-origin-opener-policy'), where).toBe('same-origin')
  expect(headers.get('strict-transport-security'), `${where}: no HSTS over http`).toBeNull()
  return nonce!
}

describe('security headers', () => {
  it('are on every page a signed-in user opens, and every script of the page carries the nonce', async () => {
    const paths = pagePaths()
    expect(paths).toEqual(expect.arrayContaining(['/', '/app', '/app/calendar', '/app/settings/members', '/login']))
    let htmlPages = 0
    for (const pathname of paths) {
      const response = await browser.get(pathname)
      const nonce = expectPageHeaders(response, pathname)
      const body = await response.text()
      if (response.status !== 200 || !response.headers.get('content-type')?.startsWith('text/html')) continue
      htmlPages++
      const scripts = body.match(/<script\b[^>]*>/g) ?? []
      expect(scripts.length, pathname).toBeGreaterThan(0)
      for (const tag of scripts) expect(tag, `${pathname}: ${tag}`).toContain(`nonce="${nonce}"`)
    }
    expect(htmlPages).toBeGreaterThan(15)
  })

  it('uses a fresh nonce per response, and sets the headers on API answers, /healthz and 404s too', async () => {
    const [a, b] = [await browser.get('/app'), await browser.get('/app')]
    expect(expectPageHeaders(a, '/app')).not.toBe(expectPageHeaders(b, '/app'))
    for (const pathname of ['/app/no-such-page', '/api/v1/me', '/healthz']) expectPageHeaders(await browser.get(pathname), pathname)
  })

  it('lets other sites frame the public signup form (its embeddable variant) but nothing else', async () => {
    const embedded = await fetch(`${app.url}/f/${formId}?embed=1`)
    expect(embedded.status).toBe(200)
    expect(directives(embedded.headers.get('content-security-policy')).get('frame-ancestors')).toBe('*')
    expect(embedded.headers.get('x-frame-options')).toBeNull()
    expect(embedded.headers.get('x-content-type-options')).toBe('nosniff')
    const settings = await browser.get('/app/settings/workspace')
    expect(directives(settings.headers.get('content-security-policy')).get('frame-ancestors')).toBe("'self'")
    expect(settings.headers.get('x-frame-options')).toBe('SAMEORIGIN')
  })

  it('sends HSTS (and upgrade-insecure-requests) only when APP_URL is https', async () => {
    const services = { ...app.services, config: { ...app.services.config, APP_URL: 'https://trickle.example.com' } }
    const server = createHttpApp({ services, build: await loadServerBuild() }).listen(0, '127.0.0.1')
    await new Promise<void>((resolve) => server.once('listening', resolve))
    try {
      const response = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/login`)
      expect(response.headers.get('strict-transport-security')).toBe('max-age=31536000; includeSubDomains')
      expect(directives(response.headers.get('content-security-policy')).has('upgrade-insecure-requests')).toBe(true)
    } finally {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  })
})
