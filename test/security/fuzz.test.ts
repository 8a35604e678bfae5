import { readdirSync, readFileSync } from 'node:fs'
import http from 'node:http'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { sql } from 'drizzle-orm'
import { signedEmailUrl } from '../../core/email-links.server'
import { insertSignupForm } from '../../db/queries/contacts'
import { fixedClock } from '../../domain/clock'
import { csrfTokenOf, signUpAs, startTestApp, TestBrowser, type TestApp } from '../app-server'
import { connectTestAccount, createApiToken, workspaceIdOf } from '../series/setup'

/**
 * Issue 16, finding 5: every form action and every write endpoint of the API, posted malformed bodies
 * (JSON to forms, broken multipart, NUL in every field, overlong strings, wrong types) with a valid
 * session, CSRF token or API token, answers below 500 and writes nothing when it refuses. The routes
 * come from app/routes (every file exporting `action`), so a new route is fuzzed without editing this.
 * The sweeps are long by design (thousands of requests, each followed by a count of every table): about
 * 15 s alone, four times that beside the crash test in CI, hence their 240 s budgets.
 */

const routesDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../app/routes')
const actionFiles = readdirSync(routesDir)
  .filter((file) => /\.tsx?$/.test(file))
  // `export const action = …`, `export async function action`, or `export const { loader, action } = apiRoute(…)`.
  .filter((file) => /export ((async )?function|const) action\b|export const \{[^}]*\baction\b[^}]*\} =/.test(readFileSync(path.join(routesDir, file), 'utf8')))

/** Remix flat-route file name → URL pattern (`app.accounts_.$accountId.x` → `/app/accounts/$accountId/x`). */
function urlPattern(file: string): string {
  const segments = file
    .replace(/\.tsx?$/, '')
    .replace(/\[(.*?)\]/g, (_all, escaped: string) => escaped.replace(/\./g, '~dot~'))
    .split('.')
    .filter((s) => s !== '_index')
    .map((s) => s.replace(/_$/, '').replaceAll('~dot~', '.'))
  return `/${segments.join('/')}`
}

const clock = fixedClock(new Date('2026-12-06T10:00:00Z'))
let app: TestApp
let owner: TestBrowser
let visitor: TestBrowser
let token: string
const params: Record<string, string> = {}
/** A valid body per API write (method and path), filled in once the ids exist. */
let validBodies: Array<[string, string, Record<string, unknown>]> = []

beforeAll(async () => {
  app = await startTestApp({ clock })
  owner = await signUpAs(app, { email: 'fuzz-owner@example.com', workspaceName: 'Fuzz' })
  token = await createApiToken(owner)
  const spare = await (await owner.submit('/app/settings/tokens', { intent: 'create', name: 'spare' })).text()
  const workspaceId = await workspaceIdOf(app, token)
  const accountId = await connectTestAccount(app, { workspaceId, clock })
  const api = async (method: string, pathname: string, body: unknown) => {
    const response = await fetch(`${app.url}/api/v1${pathname}`, { method, headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body: JSON.stringify(body) })
    expect(response.status, `${method} ${pathname}`).toBeLessThan(300)
    return response.json()
  }
  const series = await api('POST', '/series', { name: 'Fuzzed', posts: ['one', 'two'], accountIds: [accountId], rule: 'FREQ=DAILY;COUNT=2', start: '2030-01-01T09:00', timezone: 'UTC' })
  const form = await insertSignupForm(app.services.database.db, { workspaceId, name: 'News', consentText: 'Yes' })
  const drip = await api('POST', '/drips', { name: 'Welcome', trigger: { kind: 'form', formId: form.id }, steps: [{ subject: 'Hi', markdown: 'Hello' }] })
  const contact = await api('POST', '/contacts', { email: 'fuzz-contact@example.com', name: 'Fuzz' })
  const segment = await api('POST', '/segments', { name: 'Fuzzed', rule: { match: 'all', conditions: [{ kind: 'tag', tag: 'vip', has: true }] } })
  const scoreRule = await api('POST', '/score-rules', { on: 'event', name: 'fuzzed', points: 3 })
  const hashtagGroup = await api('POST', '/hashtag-groups', { name: 'Fuzzed', hashtags: ['#fuzz'] })
  const spareTokenId = /name="tokenId" value="([^"]+)"/.exec(spare)?.[1] ?? '00000000-0000-4000-8000-000000000000'
  const claims = { workspaceId, contactId: contact.id }
  Object.assign(params, {
    $seriesId: series.id,
    $dripId: drip.id,
    $segmentId: segment.id,
    $ruleId: scoreRule.id,
    $groupId: hashtagGroup.id,
    $contactId: contact.id,
    $formId: form.id,
    $tokenId: spareTokenId,
    $accountId: accountId,
    $membershipId: '00000000-0000-4000-8000-000000000001',
    // Twilio's webhooks (decision 081): the workspace has no SMS set up, so every post is refused (403).
    $workspaceId: workspaceId,
    $campaign: 'Fuzzed',
    $: 'nothing-here',
  })
  // Signed links of the public pages (preferences, unsubscribe, confirmation): the real ones, so the
  // actions read their bodies; invitations take a made-up token.
  const tokenOf = (url: string) => new URL(url).pathname.split('/').at(-1)!
  params['p.$token'] = tokenOf(signedEmailUrl(app.services, 'preferences', claims))
  params['u.$token'] = tokenOf(signedEmailUrl(app.services, 'unsubscribe', claims))
  params['f.confirm.$token'] = tokenOf(signedEmailUrl(app.services, 'confirm', claims))
  params['invite.$token'] = 'not-an-invitation'
  params['reset-password.$token'] = 'not-a-reset-token'
  const seriesBody = { name: 'S', posts: ['one', { parts: [{ text: 'two', images: [] }] }], accountIds: [accountId], rule: 'FREQ=DAILY;COUNT=2', start: '2030-01-01T09:00', timezone: 'UTC' }
  const dripBody = { name: 'D', trigger: { kind: 'event', event: 'signup' }, goals: ['purchase'], steps: [{ subject: 'Hi {{ name }}', markdown: 'Hello' }] }
  validBodies = [
    ['PATCH', '/api/v1/workspace', { name: 'Fuzz', timezone: 'UTC' }],
    ['POST', '/api/v1/series', seriesBody],
    ['PUT', `/api/v1/series/${series.id}`, seriesBody],
    ['POST', `/api/v1/series/${series.id}/request-changes`, { comment: 'please change' }],
    ['POST', '/api/v1/drips', dripBody],
    ['PUT', `/api/v1/drips/${drip.id}`, dripBody],
    ['POST', `/api/v1/drips/${drip.id}/enrollments`, { email: 'fuzz-contact@example.com', idempotencyKey: 'k1' }],
    ['POST', '/api/v1/contacts', { email: 'new@example.com', name: 'New', timezone: 'UTC', tags: ['a'], fields: { plan: 'pro' } }],
    ['PATCH', `/api/v1/contacts/${contact.id}`, { name: 'Renamed', tags: ['b'], fields: { plan: 'pro' } }],
    ['POST', '/api/v1/events', { email: 'fuzz-contact@example.com', type: 'purchase', name: 'Bought', properties: { plan: 'pro', items: ['x'] }, eventId: 'e1' }],
    ['POST', '/api/v1/segments', { name: 'VIP', rule: { match: 'all', conditions: [{ kind: 'tag', tag: 'vip', has: true }] } }],
    ['PATCH', `/api/v1/segments/${segment.id}`, { name: 'Renamed', rule: { match: 'any', conditions: [{ kind: 'tag', tag: 'a', has: true }] } }],
    ['POST', '/api/v1/segments/preview', { rule: { match: 'all', conditions: [{ kind: 'tag', tag: 'vip', has: true }] } }],
    ['POST', '/api/v1/score-rules', { on: 'event', name: 'demo_booked', points: 10 }],
    ['PUT', `/api/v1/score-rules/${scoreRule.id}`, { on: 'inactive', points: -5, everyDays: 30 }],
    ['POST', '/api/v1/hashtag-groups', { name: 'Garden', hashtags: '#garden spring' }],
    ['PUT', `/api/v1/accounts/${accountId}/queue`, { timezone: 'Europe/Berlin', slots: [{ day: 'MO', time: '09:00' }] }],
    ['POST', '/api/v1/recurrence/preview', { rule: 'FREQ=DAILY;COUNT=2', start: '2030-01-01T09:00', timezone: 'UTC' }],
    ['POST', '/api/v1/drips/preview-timeline', { timezone: 'UTC', quietHours: { start: '22:00', end: '07:00' }, steps: [{ delay: 'P0D' }, { delay: 'P1D', after: 'enrollment' }], zone: 'Asia/Tokyo' }],
  ]
  visitor = new TestBrowser(app.url)
})
afterAll(async () => {
  await app?.close()
})

function urlOf(file: string): string {
  const name = file.replace(/\.tsx?$/, '')
  return urlPattern(file).replace(/\$[A-Za-z]*/g, (param) => {
    const value = param === '$token' ? params[name] : params[param]
    if (value === undefined) throw new Error(`No sample value for ${param} in ${file}: add one to the fuzz test's params`)
    return value
  })
}

/** Row counts of every table a refused request must leave alone (job, heartbeat and throttle tables aside, and the audit log, which records refusals). */
async function counts(): Promise<Record<string, number>> {
  const db = app.services.database.db
  const rowsOf = <T>(result: unknown) => ((result as { rows?: T[] }).rows ?? result) as T[]
  const tables = rowsOf<{ table_name: string }>(await db.execute(sql`select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE'`))
  const names = tables.map((t) => t.table_name).filter((t) => !/jobs|heartbeat|login|attempt|limit|rate|audit/i.test(t))
  const [row] = rowsOf<Record<string, number>>(await db.execute(sql.raw(`select ${names.map((t) => `(select count(*) from "${t}")::int as "${t}"`).join(', ')}`)))
  return row!
}

const NUL = 'x\u0000y'
const LONG = 'é'.repeat(20_000)
const LONG_FIELD = 'x'.repeat(3_000)
const FALLBACK_FIELDS = ['intent', 'name', 'email', 'password', 'text', 'rule', 'start', 'timezone', 'post-0', 'csv', 'subject', 'markdown', 'to', 'stepId', 'seriesId', 'deliveryId', 'tags', 'consentText', 'role', 'tokenId']
const WRONG_TYPES = ['[object Object]', '-1e309', 'NaN', '{"a":1}', '', ' ', '0x10', '2026-02-30T25:61']

/** Field names and intents of the route's page (its forms), plus the usual names for resource routes. */
async function fieldsOf(browser: TestBrowser, url: string): Promise<{ fields: string[]; intents: string[] }> {
  const html = await (await browser.get(url)).text()
  const fields = new Set([...html.matchAll(/name="([^"]+)"/g)].map((m) => m[1]!).filter((n) => n !== 'csrf' && !n.startsWith('mantine')))
  const intents = new Set([...html.matchAll(/name="intent"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="intent"/g)].map((m) => (m[1] ?? m[2])!))
  for (const f of FALLBACK_FIELDS) fields.add(f)
  return { fields: [...fields], intents: intents.size > 0 ? [...intents] : ['create'] }
}

type Sent = { status: number; body: string }

/**
 * One POST/PUT/PATCH on its own connection. (A route that answers without reading a large body makes
 * the server drop that connection; a pooled client would see the reset on its next request.)
 */
async function send(url: string, args: { method?: string; body: BodyInit; contentType?: string; headers?: Record<string, string>; browser?: TestBrowser }): Promise<Sent> {
  const encoded = typeof args.body === 'string' ? null : new Response(args.body)
  const bytes = encoded ? Buffer.from(await encoded.arrayBuffer()) : Buffer.from(args.body as string)
  const contentType = args.contentType ?? (args.body instanceof Blob ? undefined : encoded?.headers.get('content-type')) ?? undefined
  const headers: Record<string, string> = { ...args.headers, 'Content-Length': String(bytes.length) }
  if (contentType) headers['Content-Type'] = contentType
  if (args.browser?.cookies.size) headers.Cookie = [...args.browser.cookies].map(([k, v]) => `${k}=${v}`).join('; ')
  return new Promise((resolve, reject) => {
    const request = http.request(`${app.url}${url}`, { method: args.method ?? 'POST', headers, agent: false }, (response) => {
      let body = ''
      response.setEncoding('utf8')
      response.on('data', (chunk: string) => (body += chunk))
      response.on('end', () => resolve({ status: response.statusCode!, body }))
    })
    // The server may answer (and close) before it has read a refused body.
    request.on('error', (error: NodeJS.ErrnoException) => (error.code === 'EPIPE' || error.code === 'ECONNRESET' ? undefined : reject(error)))
    request.end(bytes)
  })
}

/** The counts every refused request must leave as they are (updated after an accepted one). */
let baseline: Record<string, number> | null = null

async function expectRefusedWithoutWrite(label: string, request: () => Promise<Sent>) {
  baseline ??= await counts()
  const response = await request()
  expect(response.status, `${label}: ${response.body.slice(0, 300)}`).toBeLessThan(500)
  expect(response.body, label).not.toMatch(/node_modules|\/work\/|at [\w.]+ \(/)
  const after = await counts()
  if (response.status >= 400) expect(after, label).toEqual(baseline)
  baseline = after
  return response
}

const isPublic = (file: string) => /^(login|signup|f\.|p\.|u\.|invite\.)/.test(file)

describe('API write endpoints', () => {
  const nested = (depth: number) => `${'['.repeat(depth)}"x"${']'.repeat(depth)}`
  const bodies: Array<[string, string, string]> = [
    ['broken JSON', '{"name": "x', 'application/json'],
    ['array', '[1,2,3]', 'application/json'],
    ['string', '"hello"', 'application/json'],
    ['NUL everywhere', JSON.stringify(Object.fromEntries(FALLBACK_FIELDS.concat(['posts', 'steps', 'trigger', 'properties', 'type', 'comment']).map((f) => [f, NUL]))), 'application/json'],
    ['NUL in a key', JSON.stringify({ name: 'x', properties: { 'a\u0000': 1 } }), 'application/json'],
    ['NUL deep', JSON.stringify({ name: 'x', posts: [{ parts: [{ text: NUL }] }], steps: [{ subject: 'a', markdown: NUL }] }), 'application/json'],
    ['lone surrogate', '{"name": "\\ud800", "email": "a\\udc00@b.io"}', 'application/json'],
    ['wrong types', JSON.stringify({ name: 42, posts: { a: 1 }, rule: [], start: true, timezone: null, steps: 'x', email: 5, accountIds: 'all', trigger: 'form', tags: 'a' }), 'application/json'],
    ['overlong', JSON.stringify({ name: LONG, email: `${LONG}@x.io`, posts: [LONG], comment: LONG, type: LONG }), 'application/json'],
    ['deeply nested', nested(5000), 'application/json'],
    ['form body', 'name=x&email=y', 'application/x-www-form-urlencoded'],
  ]

  /** Every string leaf of a JSON value, by path. */
  const leaves = (value: unknown, at: (string | number)[] = []): Array<(string | number)[]> =>
    typeof value === 'string'
      ? [at]
      : value && typeof value === 'object'
        ? Object.entries(value).flatMap(([k, v]) => leaves(v, [...at, Array.isArray(value) ? Number(k) : k]))
        : []
  const withNul = (value: unknown, at: (string | number)[]): unknown => {
    if (at.length === 0) return `${value as string}\u0000`
    const copy = (Array.isArray(value) ? [...value] : { ...(value as object) }) as Record<string | number, unknown>
    copy[at[0]!] = withNul(copy[at[0]!], at.slice(1))
    return copy
  }

  it('refuse a NUL in any one field of an otherwise valid body with a 400 naming that field', { timeout: 240_000 }, async () => {
    for (const [method, url, body] of validBodies) {
      for (const at of leaves(body)) {
        const field = at.join('.')
        const response = await expectRefusedWithoutWrite(`${method} ${url} NUL in ${field}`, () =>
          send(url, { method, body: JSON.stringify(withNul(body, at)), contentType: 'application/json', headers: { Authorization: `Bearer ${token}` } }),
        )
        expect(response.status, `${method} ${url} ${field}`).toBe(400)
        expect((JSON.parse(response.body) as { error: { field?: string } }).error.field, `${method} ${url}`).toBe(field)
      }
    }
  })

  it('answer malformed bodies below 500 and write nothing when they refuse', { timeout: 240_000 }, async () => {
    const files = actionFiles.filter((f) => f.startsWith('api.'))
    expect(files.length).toBeGreaterThan(10)
    for (const file of files) {
      const url = urlOf(file)
      // The write methods the route names (others answer 405 before reading anything).
      const source = readFileSync(path.join(routesDir, file), 'utf8')
      const methods = ['POST', 'PUT', 'PATCH'].filter((m) => new RegExp(`\\b${m}\\b`).test(source))
      for (const method of methods.length > 0 ? methods : ['POST']) {
        for (const [label, body, type] of bodies) {
          await expectRefusedWithoutWrite(`${method} ${url} ${label}`, () => send(url, { method, body, contentType: type, headers: { Authorization: `Bearer ${token}` } }))
        }
      }
    }
  })
})

// Last: valid posts among the fuzzed ones may delete the series and drip the API tests use.
describe('form actions', () => {
  it('covers every route that exports an action', () => {
    expect(actionFiles.length).toBeGreaterThan(40)
    for (const file of actionFiles) expect(() => urlOf(file), file).not.toThrow()
  })

  it('answer malformed bodies below 500 and write nothing when they refuse', { timeout: 240_000 }, async () => {
    // Logging out last: a valid post there ends the session the other requests use.
    const files = actionFiles.filter((f) => !f.startsWith('api.')).sort((a, b) => Number(a.startsWith('logout')) - Number(b.startsWith('logout')))
    const statuses: Record<string, number[]> = {}
    const ownerCsrf = csrfTokenOf(await (await owner.get('/app')).text())
    const visitorCsrf = csrfTokenOf(await (await visitor.get('/login')).text())
    for (const file of files) {
      const url = urlOf(file)
      const browser = isPublic(file) ? visitor : owner
      const { fields, intents } = await fieldsOf(browser, url.startsWith('/app/') || isPublic(file) ? url : '/app')
      const csrf = isPublic(file) ? visitorCsrf : ownerCsrf
      const post = (body: BodyInit, contentType?: string) => () => send(url, { body, contentType, browser })
      const seen: number[] = (statuses[file] = [])
      seen.push((await expectRefusedWithoutWrite(`${file} JSON`, post(JSON.stringify({ csrf, intent: intents[0], name: 'x' }), 'application/json'))).status)
      seen.push((await expectRefusedWithoutWrite(`${file} broken multipart`, post(`--b\r\nContent-Disposition: form-data; name="csrf"\r\n\r\n${csrf}\r\n--b\r\nContent-Disp`, 'multipart/form-data; boundary=b'))).status)
      seen.push((await expectRefusedWithoutWrite(`${file} no content type`, post(new Blob([`csrf=${csrf}&name=x`])))).status)
      const all = (intent: string, value: (field: string, i: number) => string) =>
        new URLSearchParams([['csrf', csrf], ['intent', intent], ...fields.filter((f) => f !== 'intent').map((f, i): [string, string] => [f, value(f, i)])])
      // Every intent of the page: NUL in every field, overlong and wrongly typed values.
      for (const intent of intents) {
        seen.push((await expectRefusedWithoutWrite(`${file} ${intent} NUL`, post(all(intent, () => NUL)))).status)
        seen.push((await expectRefusedWithoutWrite(`${file} ${intent} overlong`, post(all(intent, () => LONG_FIELD)))).status)
        seen.push((await expectRefusedWithoutWrite(`${file} ${intent} wrong types`, post(all(intent, (_f, i) => WRONG_TYPES[i % WRONG_TYPES.length]!)))).status)
      }
      // Once per route: a NUL in a field's name, repeated fields, files where text belongs.
      seen.push((await expectRefusedWithoutWrite(`${file} NUL in a name`, post(new URLSearchParams([['csrf', csrf], ['intent', intents[0]!], [`na\u0000me`, 'x']])))).status)
      const doubled = all(intents[0]!, () => '1')
      for (const f of fields.slice(0, 5)) doubled.append(f, 'again')
      seen.push((await expectRefusedWithoutWrite(`${file} repeated fields`, post(doubled))).status)
      const multipart = new FormData()
      multipart.set('csrf', csrf)
      multipart.set('intent', intents[0]!)
      for (const f of fields.filter((f) => f !== 'intent')) multipart.set(f, new Blob([NUL]), `a\u0001.png`)
      seen.push((await expectRefusedWithoutWrite(`${file} files everywhere`, post(multipart))).status)
    }
    // JSON to a signed-in form action is a 415, never handled as a form (public ones may answer their
    // auth or a bad link first, and a provider's webhook, e.g. Lob's JSON, its missing signature: 403).
    const isWebhook = (file: string) => file.startsWith('webhooks.')
    for (const [file, seen] of Object.entries(statuses)) if (!isPublic(file) && !isWebhook(file)) expect(seen[0], file).toBe(415)
    for (const [file, seen] of Object.entries(statuses)) if (isWebhook(file)) expect([403, 415], file).toContain(seen[0])
  })
})
