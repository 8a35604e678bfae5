import { signUpAs, startTestApp, type TestApp } from '../app-server'

let app: TestApp
let token: string
beforeAll(async () => {
  app = await startTestApp()
  const browser = await signUpAs(app, { email: 'planner@example.com', workspaceName: 'Planners' })
  const page = await browser.submit('/app/settings/tokens', { intent: 'create', name: 'preview' })
  token = /trk_[A-Za-z0-9_-]+/.exec(await page.text())![0]
})
afterAll(async () => {
  await app?.close()
})

function preview(body: unknown, bearer: string | null = token) {
  return fetch(`${app.url}/api/v1/recurrence/preview`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...(bearer ? { Authorization: `Bearer ${bearer}` } : {}) },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  })
}

describe('POST /api/v1/recurrence/preview', () => {
  it('describes the rule and keeps 09:00 Berlin across the March change', async () => {
    const response = await preview({ rule: 'FREQ=WEEKLY;BYDAY=TU,TH;COUNT=10', start: '2026-03-20T09:00', timezone: 'Europe/Berlin', limit: 50 })
    expect(response.status).toBe(200)
    const body = await response.json()
    expect(body.text).toMatch(/Tuesday and Thursday/)
    expect(body.text).toMatch(/9:00/)
    expect(body.occurrences).toHaveLength(10)
    expect(body.occurrences.every((o: { local: string }) => o.local.endsWith('T09:00'))).toBe(true)
    // 2026-03-24 is before the change (UTC+1), 2026-03-31 after it (UTC+2).
    expect(body.occurrences[0]).toEqual({ at: '2026-03-24T08:00:00.000Z', local: '2026-03-24T09:00' })
    expect(body.occurrences[2]).toEqual({ at: '2026-03-31T07:00:00.000Z', local: '2026-03-31T09:00' })
  })

  it('honours the limit', async () => {
    const body = await (await preview({ rule: 'FREQ=DAILY;COUNT=100', start: '2026-01-01T12:00', timezone: 'UTC', limit: 3 })).json()
    expect(body.occurrences.map((o: { local: string }) => o.local)).toEqual(['2026-01-01T12:00', '2026-01-02T12:00', '2026-01-03T12:00'])
  })

  it.each([
    [{ rule: 'FREQ=WEEKLY;BYDAY=XX;COUNT=2', start: '2026-03-20T09:00', timezone: 'Europe/Berlin' }, 'rule'],
    [{ rule: 'FREQ=WEEKLY;COUNT=2', start: '2026-03-20T09:00', timezone: 'Mars/Olympus' }, 'timezone'],
    [{ rule: 'FREQ=WEEKLY;COUNT=2', start: '20 March', timezone: 'UTC' }, 'start'],
    [{ rule: 'FREQ=WEEKLY', start: '2026-03-20T09:00', timezone: 'UTC' }, 'rule'],
    [{ rule: 'FREQ=SECONDLY;COUNT=5', start: '2026-03-20T09:00', timezone: 'UTC' }, 'rule'],
    [{ rule: 'FREQ=DAILY;COUNT=5', start: '2026-03-20T09:00', timezone: 'UTC', limit: 100000 }, 'limit'],
  ])('rejects %j with a 400 naming %s', async (body, field) => {
    const response = await preview(body)
    expect(response.status).toBe(400)
    const { error } = await response.json()
    expect(error.code).toBe('invalid_request')
    expect(error.field).toBe(field)
    expect(error.message.length).toBeGreaterThan(10)
  })

  it('answers malformed JSON with 400 and a missing token with 401', async () => {
    expect((await preview('{"rule":')).status).toBe(400)
    expect((await preview({ rule: 'FREQ=DAILY;COUNT=1', start: '2026-01-01T00:00', timezone: 'UTC' }, null)).status).toBe(401)
  })

  it('is described in the OpenAPI document', async () => {
    const doc = await (await fetch(`${app.url}/api/v1/openapi.json`, { headers: { Authorization: `Bearer ${token}` } })).json()
    expect(doc.paths['/recurrence/preview'].post.operationId).toBe('previewRecurrence')
    expect(doc.components.schemas.RecurrencePreviewInput).toBeDefined()
  })
})
