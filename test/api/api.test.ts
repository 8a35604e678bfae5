import fc from 'fast-check'
import { signUpAs, startTestApp, type TestApp } from '../app-server'

let app: TestApp
let token: string
beforeAll(async () => {
  app = await startTestApp()
  const browser = await signUpAs(app, { email: 'api@example.com', workspaceName: 'API team' })
  const page = await browser.submit('/app/settings/tokens', { intent: 'create', name: 'tests' })
  token = /trk_[A-Za-z0-9_-]+/.exec(await page.text())![0]
})
afterAll(async () => {
  await app?.close()
})

function api(path: string, init: RequestInit & { token?: string | null } = {}) {
  const headers = new Headers(init.headers)
  const bearer = init.token === undefined ? token : init.token
  if (bearer) headers.set('Authorization', `Bearer ${bearer}`)
  return fetch(`${app.url}/api/v1${path}`, { ...init, headers })
}

async function expectError(response: Response, status: number, code: string, field?: string) {
  expect(response.status).toBe(status)
  expect(response.headers.get('content-type')).toContain('application/json')
  const body = await response.json()
  expect(body.error.code).toBe(code)
  expect(typeof body.error.message).toBe('string')
  expect(body.error.field).toBe(field)
  return body.error as { code: string; message: string; field?: string }
}

describe('authentication', () => {
  it('answers 401 JSON for a missing, malformed or unknown token', async () => {
    const missing = await api('/me', { token: null })
    expect(missing.headers.get('www-authenticate')).toContain('Bearer')
    expect((await expectError(missing, 401, 'unauthorized')).message).toContain('Authorization: Bearer')
    await expectError(await api('/me', { headers: { Authorization: 'Basic abc' }, token: null }), 401, 'unauthorized')
    await expectError(await api('/me', { token: 'not-a-trickle-token' }), 401, 'unauthorized')
    await expectError(await api('/me', { token: 'trk_unknown' }), 401, 'unauthorized')
  })

  it('records last use, and a revoked token stops working', async () => {
    const browser = await signUpAs(app, { email: 'revoker@example.com' })
    const page = await browser.submit('/app/settings/tokens', { intent: 'create', name: 'short-lived' })
    const shortLived = /trk_[A-Za-z0-9_-]+/.exec(await page.text())![0]
    const me = await (await api('/me', { token: shortLived })).json()
    const listed = await (await api(`/tokens/${me.token.id}`, { token: shortLived })).json()
    expect(listed.lastUsedAt).not.toBeNull()
    expect(JSON.stringify(listed)).not.toContain(shortLived)
    const revoked = await api(`/tokens/${me.token.id}`, { method: 'DELETE', token: shortLived })
    expect(revoked.status).toBe(200)
    expect((await revoked.json()).revokedAt).not.toBeNull()
    await expectError(await api('/me', { token: shortLived }), 401, 'unauthorized')
  })
})

describe('requests', () => {
  it('reads and updates the workspace', async () => {
    expect(await (await api('/workspace')).json()).toMatchObject({ name: 'API team', timezone: 'UTC' })
    const patched = await api('/workspace', { method: 'PATCH', body: JSON.stringify({ timezone: 'Asia/Tokyo', name: ' Renamed ' }) })
    expect(patched.status).toBe(200)
    expect(await patched.json()).toMatchObject({ name: 'Renamed', timezone: 'Asia/Tokyo' })
    const members = await (await api('/members')).json()
    expect(members.members).toEqual([expect.objectContaining({ email: 'api@example.com', role: 'owner' })])
  })

  it.each([
    ['malformed JSON', '{"timezone": ', 'invalid_json', undefined],
    ['an empty body', '', 'invalid_json', undefined],
    ['an array', '[]', 'invalid_request', undefined],
    ['a bad time zone', '{"timezone":"Mars/Olympus_Mons"}', 'invalid_request', 'timezone'],
    ['a wrong type', '{"name":5}', 'invalid_request', 'name'],
    ['an empty name', '{"name":"   "}', 'invalid_request', 'name'],
    ['an unknown field', '{"name":"x","colour":"red"}', 'invalid_request', 'colour'],
    ['nothing to change', '{}', 'invalid_request', undefined],
  ])('rejects %s with a 400 JSON error', async (_case, body, code, field) => {
    const error = await expectError(await api('/workspace', { method: 'PATCH', body }), 400, code, field)
    if (field) expect(error.message).toContain(field)
  })

  it('answers unknown paths, wrong methods, bad ids and huge bodies in the JSON error shape', async () => {
    await expectError(await api('/nope'), 404, 'not_found')
    await expectError(await api('/workspace', { method: 'POST', body: '{}' }), 405, 'method_not_allowed')
    await expectError(await api('/tokens/not-a-uuid'), 404, 'not_found')
    await expectError(await api('/members/00000000-0000-4000-8000-000000000000'), 404, 'not_found')
    await expectError(await api('/workspace', { method: 'PATCH', body: JSON.stringify({ name: 'x'.repeat(2 * 1024 * 1024) }) }), 413, 'body_too_large')
  })

  it('never answers bad input with a 500 (fuzzed bodies and headers)', async () => {
    const bodies = fc.oneof(
      fc.json(),
      fc.string(),
      fc.anything().map((value) => JSON.stringify(value) ?? 'undefined'),
      fc.record({ name: fc.anything(), timezone: fc.anything() }, { requiredKeys: [] }).map((value) => JSON.stringify(value)),
    )
    const contentTypes = fc.constantFrom('application/json', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data')
    await fc.assert(
      fc.asyncProperty(bodies, contentTypes, async (body, contentType) => {
        const response = await api('/workspace', { method: 'PATCH', body, headers: { 'Content-Type': contentType } })
        expect(response.status, body).toBeLessThan(500)
        if (response.status >= 400) expect((await response.json()).error.code).toEqual(expect.any(String))
        else await response.body?.cancel()
      }),
      { numRuns: 60 },
    )
  })
})
