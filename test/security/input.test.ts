import http from 'node:http'
import { eq } from 'drizzle-orm'
import { insertSignupForm } from '../../db/queries/contacts'
import { loadSegmentRules } from '../../db/queries/drips'
import { insertSegment } from '../../db/queries/segments'
import { seriesTimings, workspaces } from '../../db/schema'
import { fixedClock } from '../../domain/clock'
import { csrfTokenOf, signUpAs, startTestApp, TestBrowser, type TestApp } from '../app-server'
import { connectTestAccount, createApiToken, workspaceIdOf } from '../series/setup'

/** Issue 16, findings 5 and 9: malformed input gets a 4xx naming the field, never a 500. */

const clock = fixedClock(new Date('2026-12-06T10:00:00Z'))
let app: TestApp
let owner: TestBrowser
let token: string
let workspaceId: string
let accountId: string
beforeAll(async () => {
  app = await startTestApp({ clock })
  owner = await signUpAs(app, { email: 'input-owner@example.com', workspaceName: 'Inputs' })
  token = await createApiToken(owner)
  workspaceId = await workspaceIdOf(app, token)
  accountId = await connectTestAccount(app, { workspaceId, clock })
})
afterAll(async () => {
  await app?.close()
})

function api(method: string, path: string, body?: unknown, bearer = token) {
  return fetch(`${app.url}/api/v1${path}`, {
    method,
    headers: { Authorization: `Bearer ${bearer}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
}

async function csrfOf(browser: TestBrowser, page: string) {
  return csrfTokenOf(await (await browser.get(page)).text())
}

/** A raw request (fetch refuses TRACE): status, headers and body. */
function raw(method: string, path: string): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const request = http.request(`${app.url}${path}`, { method }, (response) => {
      let body = ''
      response.setEncoding('utf8')
      response.on('data', (chunk: string) => (body += chunk))
      response.on('end', () => resolve({ status: response.statusCode!, headers: response.headers, body }))
    })
    request.on('error', reject)
    request.end()
  })
}

const workspaceName = async () => (await app.services.database.db.select().from(workspaces).where(eq(workspaces.id, workspaceId)))[0]!.name

describe('form bodies', () => {
  it('answers 415 for JSON posted to a form action or /login, and 400 for a broken multipart body', async () => {
    const json = await owner.request('/app/settings/workspace', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"name":"x"}' })
    expect(json.status).toBe(415)
    expect(await json.text()).toContain('application/x-www-form-urlencoded')
    const login = await new TestBrowser(app.url).request('/login', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' })
    expect(login.status).toBe(415)
    const broken = await owner.request('/app/settings/workspace', { method: 'POST', headers: { 'Content-Type': 'multipart/form-data; boundary=xyz' }, body: '--xyz\r\nContent-Disposition: form-data; name="name"\r\n\r\nunfinished' })
    expect(broken.status).toBe(400)
    const none = await owner.request('/app/settings/workspace', { method: 'POST', body: 'name=x' })
    expect(none.status).toBe(415)
    expect(await workspaceName()).toBe('Inputs')
  })

  it('refuses a NUL or other control character in a form field with a 400 naming the field', async () => {
    const csrf = await csrfOf(owner, '/app/settings/workspace')
    const workspace = await owner.post('/app/settings/workspace', { csrf, name: 'Acme\u0000', timezone: 'UTC' })
    expect(workspace.status).toBe(400)
    expect(await workspace.text()).toMatch(/name must not contain control characters/)
    expect((await owner.post('/app/settings/workspace', { csrf, name: 'Ac\u0007me', timezone: 'UTC' })).status).toBe(400)
    expect(await workspaceName()).toBe('Inputs')

    const tokenName = await owner.post('/app/settings/tokens', { csrf, intent: 'create', name: 'ci\u0000' })
    expect(tokenName.status).toBe(400)
    expect(await tokenName.text()).toContain('name must not contain control characters')

    const tags = await owner.post('/app/contacts/forms', { csrf, intent: 'create-form', name: 'Newsletter', consentText: 'Yes', tags: 'news,\u0000vip' })
    expect(tags.status).toBe(400)
    expect(await tags.text()).toContain('tags must not contain control characters')

    const visitor = new TestBrowser(app.url)
    const loginCsrf = await csrfOf(visitor, '/login')
    const login = await visitor.post('/login', { csrf: loginCsrf, email: 'input-owner@example.com\u0000', password: 'whatever it is' })
    expect(login.status).toBe(400)
    expect(await login.text()).toContain('email must not contain control characters')
  })

  it('refuses a control character in a search query parameter (page and API) with a 400 naming it', async () => {
    const page = await owner.get('/app/contacts?q=%00')
    expect(page.status).toBe(400)
    expect(await page.text()).toContain('The query parameter &quot;q&quot; must not contain control characters')
    const listed = await api('GET', '/contacts?search=%00')
    expect(listed.status).toBe(400)
    expect((await listed.json()).error.field).toBe('search')
    expect((await owner.get('/app/contacts?q=ann')).status).toBe(200)
  })

  it('refuses NUL anywhere in a JSON body with a 400 naming the field, tabs and newlines in text pass', async () => {
    const workspace = await api('PATCH', '/workspace', { name: 'A\u0000B' })
    expect(workspace.status).toBe(400)
    expect((await workspace.json()).error).toMatchObject({ code: 'invalid_request', field: 'name' })
    const series = await api('POST', '/series', { name: 'Launch\u0000', posts: ['hi'], accountIds: [accountId], rule: 'FREQ=DAILY;COUNT=1', start: '2027-01-01T09:00', timezone: 'UTC' })
    expect(series.status).toBe(400)
    expect((await series.json()).error.field).toBe('name')
    const post = await api('POST', '/series', { name: 'Tabs', posts: ['line one\n\tline two\u0001'], accountIds: [accountId], rule: 'FREQ=DAILY;COUNT=1', start: '2027-01-01T09:00', timezone: 'UTC' })
    expect((await post.json()).error.field).toBe('posts.0')
    const fine = await api('POST', '/series', { name: 'Tabs', posts: ['line one\n\tline two'], accountIds: [accountId], rule: 'FREQ=DAILY;COUNT=1', start: '2027-01-01T09:00', timezone: 'UTC' })
    expect(fine.status).toBe(201)
  })
})

describe('series timing', () => {
  it('refuses a rule that yields no dates (400 naming rule), and a stored one does not break a PUT', async () => {
    const body = { name: 'Old', posts: ['hi'], accountIds: [accountId], rule: 'FREQ=DAILY;UNTIL=19000101T000000Z', start: '2027-01-01T09:00', timezone: 'UTC' }
    const refused = await api('POST', '/series', body)
    expect(refused.status).toBe(400)
    expect((await refused.json()).error.field).toBe('rule')

    // A series saved before the check: its stored rule yields nothing.
    const created = await api('POST', '/series', { ...body, rule: 'FREQ=DAILY;COUNT=1' })
    expect(created.status).toBe(201)
    const { id } = await created.json()
    await app.services.database.db.update(seriesTimings).set({ rule: 'FREQ=DAILY;UNTIL=19000101T000000Z' }).where(eq(seriesTimings.sequenceId, id))
    const put = await api('PUT', `/series/${id}`, { ...body, rule: 'FREQ=DAILY;COUNT=2' })
    expect(put.status).toBe(200)
    expect((await put.json()).rule).toBe('FREQ=DAILY;COUNT=2')
  })
})

describe('the HTTP edge', () => {
  it('answers a form post from a foreign Origin with 403, and a same-origin one normally', async () => {
    const csrf = await csrfOf(owner, '/app/settings/workspace')
    const foreign = await owner.request('/app/settings/workspace', { method: 'POST', headers: { Origin: 'https://evil.example' }, body: new URLSearchParams({ csrf, name: 'Evil', timezone: 'UTC' }) })
    expect(foreign.status).toBe(403)
    expect((await owner.request('/app/settings/workspace', { method: 'POST', headers: { Origin: 'null' }, body: new URLSearchParams({ csrf, name: 'Evil', timezone: 'UTC' }) })).status).toBe(403)
    expect(await workspaceName()).toBe('Inputs')
    const same = await owner.request('/app/settings/workspace', { method: 'POST', headers: { Origin: app.url }, body: new URLSearchParams({ csrf, name: 'Inputs', timezone: 'UTC' }) })
    expect(same.status).toBe(200)
    // The public signup form takes plain HTML posts from customers' sites (double opt-in protects it).
    const form = await insertSignupForm(app.services.database.db, { workspaceId, name: 'Embedded', consentText: 'Yes' })
    const embedded = await fetch(`${app.url}/f/${form.id}`, { method: 'POST', headers: { Origin: 'https://customer.example' }, body: new URLSearchParams({ email: 'not-an-email' }) })
    expect(embedded.status).toBe(400)
    expect(await embedded.text()).toContain('email')
  })

  it('answers TRACE with 405 and errors without stack traces or paths', async () => {
    const trace = await raw('TRACE', '/')
    expect(trace.status).toBe(405)
    expect(trace.headers.allow).toContain('GET')
    const badPath = await raw('GET', '/%E0%A4%A')
    expect(badPath.status).toBe(400)
    for (const answer of [trace, badPath]) expect(answer.body).not.toMatch(/ at |\/work\/|node_modules|Error:/)
  })
})

describe('workspace scoping', () => {
  it("refuses a drip that names another workspace's signup form or segment (400 naming the field)", async () => {
    const other = await signUpAs(app, { email: 'other-input@example.com', workspaceName: 'Other' })
    const otherWorkspaceId = await workspaceIdOf(app, await createApiToken(other))
    const db = app.services.database.db
    const foreignForm = await insertSignupForm(db, { workspaceId: otherWorkspaceId, name: 'Theirs', consentText: 'Yes' })
    const ownForm = await insertSignupForm(db, { workspaceId, name: 'Ours', consentText: 'Yes' })
    const foreignSegment = await insertSegment(db, { workspaceId: otherWorkspaceId, name: 'Their VIPs', rule: { match: 'all', conditions: [] }, at: clock.now() })
    const drip = (trigger: unknown, condition?: unknown) => ({ name: 'Welcome', trigger, steps: [{ subject: 'Hi', markdown: 'Hello', ...(condition ? { condition } : {}) }] })

    const byForm = await api('POST', '/drips', drip({ kind: 'form', formId: foreignForm.id }))
    expect(byForm.status).toBe(400)
    expect((await byForm.json()).error.field).toBe('triggers.0.formId')
    const bySegment = await api('POST', '/drips', drip({ kind: 'segment', segmentId: foreignSegment.id }))
    expect((await bySegment.json()).error.field).toBe('triggers.0.segmentId')
    const byCondition = await api('POST', '/drips', drip({ kind: 'manual' }, { kind: 'segment', segmentId: foreignSegment.id }))
    expect((await byCondition.json()).error.field).toBe('steps.0.condition.segmentId')
    expect((await api('POST', '/drips', drip({ kind: 'form', formId: ownForm.id }))).status).toBe(201)

    // The runner's segment lookup answers only within the drip's own workspace.
    expect((await loadSegmentRules(db, { refs: [{ workspaceId, segmentId: foreignSegment.id }] })).size).toBe(0)
    expect((await loadSegmentRules(db, { refs: [{ workspaceId: otherWorkspaceId, segmentId: foreignSegment.id }] })).size).toBe(1)
  })
})

describe('/healthz', () => {
  it('tells the public only whether it is up; the detail needs an owner', async () => {
    const open = await fetch(`${app.url}/healthz`)
    expect(open.status).toBe(200)
    expect(await open.json()).toEqual({ ok: true })
    expect((await fetch(`${app.url}/healthz?detail`)).status).toBe(401)
    expect((await fetch(`${app.url}/healthz?detail`, { headers: { Authorization: 'Bearer trk_nope' } })).status).toBe(401)
    const detail = await (await fetch(`${app.url}/healthz?detail`, { headers: { Authorization: `Bearer ${token}` } })).json()
    expect(detail).toMatchObject({ ok: true, db: { ok: true }, jobStore: { ok: true }, worker: { ok: false } })
    expect(await (await owner.get('/healthz?detail')).json()).toMatchObject({ db: { ok: true } })
  })
})
