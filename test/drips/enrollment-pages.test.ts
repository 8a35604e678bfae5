import { createEmailConnector } from '../../connectors/email/index'
import { insertContact } from '../../db/queries/contacts'
import { insertSegment } from '../../db/queries/segments'
import { workspaces } from '../../db/schema'
import { dripRunnerDeps, runDripPass } from '../../core/drips/runner.server'
import { defineBulkEnroll } from '../../jobs/bulk-enroll'
import { csrfTokenOf } from '../app-server'
import { startEmailApp, type EmailTestApp } from '../email/setup'

/**
 * Enrollment from the UI through the built app (decision 074): a CSV enrolled from the drip's enroll
 * page by the worker's job with its progress page, the contact page's Drips section (enroll, where it
 * stands, remove), `DELETE /api/v1/drips/{id}/enrollments/{contactId}` and the calendar's drip emails.
 */
let t: EmailTestApp
let dripId: string
const email = createEmailConnector({ allowPrivateNetworkHosts: true })
beforeAll(async () => {
  t = await startEmailApp({ worker: (agenda, services) => defineBulkEnroll(agenda, services) })
  const created = await t.api('POST', '/api/v1/drips', {
    name: 'Onboarding',
    steps: [
      { subject: 'Welcome', markdown: 'Hello' },
      { subject: 'Tips', markdown: 'Tips', delay: 'P1D' },
    ],
  })
  dripId = (await created.json()).id
  expect((await t.api('POST', `/api/v1/drips/${dripId}/activate`)).status).toBe(200)
})
afterAll(async () => {
  email.close()
  await t?.close()
})
const db = () => t.app.services.database.db
const contact = (address: string, status: 'subscribed' | 'unsubscribed' = 'subscribed') => insertContact(db(), { workspaceId: t.workspaceId, email: address, status, at: t.clock.now() })
const run = () => runDripPass(dripRunnerDeps(t.app.services, { email }))

/** Upload through the real page (multipart + CSRF), then poll the progress page until it settles. */
async function enrollCsv(csv: string) {
  const form = new FormData()
  form.set('csrf', csrfTokenOf(await (await t.browser.get(`/app/drips/${dripId}/enroll`)).text()))
  form.set('from', 'csv')
  form.set('file', new Blob([csv], { type: 'text/csv' }), 'people.csv')
  return t.browser.request(`/app/drips/${dripId}/enroll`, { method: 'POST', body: form })
}

describe('the enroll page', () => {
  it('enrolls a CSV in a background job and shows its progress and counts; refuses bad input naming the field', async () => {
    for (const address of ['csv1@pages.test', 'csv2@pages.test']) await contact(address)
    await contact('csv-gone@pages.test', 'unsubscribed')
    const posted = await enrollCsv('email\ncsv1@pages.test\ncsv2@pages.test\ncsv-gone@pages.test\nnobody@pages.test\n')
    expect(posted.status).toBe(302)
    const progress = posted.headers.get('location')!
    expect(progress).toMatch(new RegExp(`^/app/drips/${dripId}/enroll/[0-9a-f-]{36}$`))
    let html = ''
    for (let i = 0; i < 100 && !/data-status="(done|failed)"/.test(html); i++) {
      if (i > 0) await new Promise((r) => setTimeout(r, 100))
      html = await (await t.browser.get(progress)).text()
    }
    expect(html).toContain('data-status="done"')
    expect(html).toContain('aria-valuenow="100"')
    for (const line of ['Enrolled: <!-- -->2', 'Already in the drip: <!-- -->0', 'mailable (unsubscribed, bounced, unconfirmed or suppressed): <!-- -->1', 'Invalid rows: <!-- -->1']) expect(html).toContain(line)
    expect(html).toMatch(/<td[^>]*>5<\/td><td[^>]*>no contact with the address nobody@pages.test/)
    const enrollments = (await (await t.api('GET', `/api/v1/drips/${dripId}/enrollments`)).json()).enrollments
    expect(enrollments).toHaveLength(2)
    // The run is listed on the enroll page.
    expect(await (await t.browser.get(`/app/drips/${dripId}/enroll`)).text()).toContain(`href="${progress}"`)

    const broken = await enrollCsv('email\n"open')
    expect(broken.status).toBe(400)
    expect(await broken.text()).toContain('line 2: a quoted field is not closed')
    const [ws] = await db().insert(workspaces).values({ name: 'Elsewhere' }).returning()
    const theirs = await insertSegment(db(), { workspaceId: ws!.id, name: 'Theirs', rule: { match: 'all', conditions: [] }, at: t.clock.now() })
    const foreign = await t.browser.submit(`/app/drips/${dripId}/enroll`, { from: 'segment', segmentId: theirs.id })
    expect(foreign.status).toBe(404)
    expect(await foreign.text()).toContain('no such segment')
    expect((await t.browser.get(`/app/drips/00000000-0000-4000-8000-000000000000/enroll`)).status).toBe(404)
    expect((await t.browser.get(`${progress.replace(dripId, '00000000-0000-4000-8000-000000000000')}`)).status).toBe(404)
  })
})

describe('the contact page', () => {
  it('enrolls the contact, shows where it stands, removes it; the runner sends nothing more', async () => {
    const person = await contact('page@pages.test')
    const page = `/app/contacts/${person.id}`
    expect(await (await t.browser.get(page)).text()).toContain('Not in any drip.')
    expect((await t.browser.submit(page, { intent: 'enroll', dripId })).status).toBe(302)
    const html = await (await t.browser.get(page)).text()
    expect(html).toContain('data-testid="contact-drips"')
    expect(html).toContain('Next: step 1 of 2')
    expect(html).toContain('2026-11-02 09:00 UTC') // enrolled at, and step 1 due at once
    expect((await run()).sent).toBeGreaterThanOrEqual(1)
    expect(await (await t.browser.get(page)).text()).toContain('Next: step 2 of 2')

    expect((await t.browser.submit(page, { intent: 'remove', dripId })).status).toBe(302)
    const [ended] = (await (await t.api('GET', `/api/v1/drips/${dripId}/enrollments`)).json()).enrollments.filter((e: { contactId: string }) => e.contactId === person.id)
    expect(ended).toMatchObject({ status: 'exited', endReason: 'removed by owner@brand.test', nextDueAt: null })
    expect(await (await t.browser.get(page)).text()).toContain('1 of 2 steps passed')
    t.clock.advance(2 * 86_400_000)
    await run()
    expect(t.smtp.messages.filter((m) => m.envelope.to.includes('page@pages.test'))).toHaveLength(1)

    const unknown = await t.browser.submit(page, { intent: 'enroll', dripId: '00000000-0000-4000-8000-000000000000' })
    expect(unknown.status).toBe(404)
    expect(await unknown.text()).toContain('No such drip in this workspace')
    expect((await t.browser.submit(page, { intent: 'enroll', dripId: 'nope' })).status).toBe(400)
    expect((await t.browser.submit(page, { intent: 'enroll', dripId }, { csrf: null })).status).toBe(403)
  })
})

describe('DELETE /api/v1/drips/{id}/enrollments/{contactId}', () => {
  it('ends the enrollment as exited with the reason; 404/400 naming the field; in the OpenAPI document', async () => {
    const person = await contact('api-rm@pages.test')
    expect((await t.api('POST', `/api/v1/drips/${dripId}/enrollments`, { contactId: person.id })).status).toBe(201)
    const path = `/api/v1/drips/${dripId}/enrollments/${person.id}`
    const removed = await t.api('DELETE', `${path}?reason=${encodeURIComponent('asked by email')}`)
    expect(removed.status).toBe(200)
    expect((await removed.json()).enrollments).toEqual([expect.objectContaining({ contactId: person.id, status: 'exited', endReason: 'removed by the API: asked by email' })])
    const before = t.smtp.messages.length
    await run()
    expect(t.smtp.messages.slice(before).filter((m) => m.envelope.to.includes('api-rm@pages.test'))).toEqual([])

    const never = await contact('api-never@pages.test')
    const refusals: Array<[string, number, string | undefined]> = [
      [`/api/v1/drips/${dripId}/enrollments/${never.id}`, 404, 'contactId'],
      [`/api/v1/drips/${dripId}/enrollments/not-a-uuid`, 404, 'contactId'],
      [`/api/v1/drips/00000000-0000-4000-8000-000000000000/enrollments/${person.id}`, 404, 'dripId'],
      [`${path}?reason=${'x'.repeat(201)}`, 400, 'reason'],
    ]
    for (const [url, status, field] of refusals) {
      const response = await t.api('DELETE', url)
      expect([url, response.status]).toEqual([url, status])
      expect((await response.json()).error.field).toBe(field)
    }
    expect((await t.api('GET', path)).status).toBe(405)
    const openapi = await (await t.api('GET', '/api/v1/openapi.json')).json()
    expect(openapi.paths['/drips/{dripId}/enrollments/{contactId}'].delete.operationId).toBe('removeFromDrip')
  })
})

describe('the calendar’s drip emails', () => {
  it('answers the visible range with the drips behind each day; 400 naming the field', async () => {
    const person = await contact('calendar@pages.test')
    expect((await t.api('POST', `/api/v1/drips/${dripId}/enrollments`, { contactId: person.id })).status).toBe(201)
    const today = t.clock.now().toISOString().slice(0, 10)
    const response = await t.browser.get(`/app/calendar/emails?from=${today}&to=${today}&tz=UTC`)
    expect(response.status).toBe(200)
    expect((await response.json()).days).toEqual([{ date: today, count: 1, drips: [{ id: dripId, name: 'Onboarding', count: 1 }] }])
    const bad = await t.browser.get('/app/calendar/emails?from=2026-11-01&to=2027-11-01&tz=UTC')
    expect(bad.status).toBe(400)
    expect((await bad.json()).field).toBe('to')
  })
})
