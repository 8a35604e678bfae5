import { eq, sql } from 'drizzle-orm'
import { createEmailConnector } from '../../connectors/email/index'
import { insertContact } from '../../db/queries/contacts'
import { defineCustomField } from '../../core/contacts.server'
import { listMembers } from '../../db/queries/workspaces'
import { emailSettings } from '../../db/schema'
import { dripRunnerDeps, runDripPass } from '../../core/drips/runner.server'
import { linkIn, startEmailApp, type EmailTestApp } from '../email/setup'
import { fuzzPayloads } from '../fuzz'

/**
 * The drip API and the whole journey through the built app: signup → confirm → drip (triggered by
 * the form) → click → one-click unsubscribe → the next step is not sent. Plus fuzzed payloads that
 * must never produce a 500 or a partial write.
 */
let t: EmailTestApp
const email = createEmailConnector({ allowPrivateNetworkHosts: true })
beforeAll(async () => {
  t = await startEmailApp()
})
afterAll(async () => {
  email.close()
  await t?.close()
})
const db = () => t.app.services.database.db
const run = () => runDripPass(dripRunnerDeps(t.app.services, { email }))
const HOUR = 3_600_000

const welcome = (formId: string) => ({
  name: 'Welcome series',
  trigger: { kind: 'form', formId },
  goals: ['purchase'],
  steps: [
    { subject: 'Welcome, {{ first_name | "friend" }}', markdown: 'Start with [the guide](https://docs.brand.test/guide).' },
    { subject: 'Day two', markdown: 'More tips', delay: 'P1D' },
  ],
})

describe('drips API', () => {
  it('creates (paused), refuses activation without a postal address (422 naming the field), activates, lists with counts', async () => {
    const created = await t.api('POST', '/api/v1/drips', welcome(t.formId))
    expect(created.status).toBe(201)
    const drip = await created.json()
    expect(drip).toMatchObject({ status: 'paused', steps: [{ position: 0, subject: 'Welcome, {{ first_name | "friend" }}' }, { position: 1 }] })
    await db().update(emailSettings).set({ postalAddress: '' }).where(eq(emailSettings.workspaceId, t.workspaceId))
    const refused = await t.api('POST', `/api/v1/drips/${drip.id}/activate`)
    expect(refused.status).toBe(422)
    expect((await refused.json()).error).toMatchObject({ field: 'postalAddress' })
    await db().update(emailSettings).set({ postalAddress: 'Brand Inc.\n1 Main St, Springfield' }).where(eq(emailSettings.workspaceId, t.workspaceId))
    const activated = await t.api('POST', `/api/v1/drips/${drip.id}/activate`)
    expect(activated.status).toBe(200)
    expect((await activated.json()).status).toBe('active')
    const list = await (await t.api('GET', '/api/v1/drips')).json()
    expect(list.drips.map((d: { id: string }) => d.id)).toContain(drip.id)
    expect((await t.api('GET', '/api/v1/drips/00000000-0000-4000-8000-000000000000')).status).toBe(404)
    expect((await t.api('GET', '/api/v1/drips/not-a-uuid')).status).toBe(404)
  })

  it('journey: signup → confirm → drip → click → unsubscribe → no next step', async () => {
    const [drip] = (await (await t.api('GET', '/api/v1/drips')).json()).drips
    const before = t.smtp.messages.length
    await fetch(`${t.app.url}/f/${t.formId}`, { method: 'POST', body: new URLSearchParams({ email: 'journey@example.com', name: 'Jo Journey' }) })
    const [confirmMail] = (await t.smtp.waitForMessages(before + 1)).slice(before)
    const confirmUrl = linkIn(confirmMail!.parsed.text!, `${t.app.url}/f/confirm/`)
    expect((await fetch(confirmUrl, { method: 'POST', body: new URLSearchParams() })).status).toBe(200)
    const enrollments = await (await t.api('GET', `/api/v1/drips/${drip.id}/enrollments`)).json()
    expect(enrollments.enrollments).toHaveLength(1)
    expect(enrollments.enrollments[0]).toMatchObject({ status: 'active', stepPosition: 0, source: `form:${t.formId}` })

    expect((await run()).sent).toBe(1)
    const [welcomeMail] = (await t.smtp.waitForMessages(before + 2)).slice(before + 1)
    expect(welcomeMail!.parsed.subject).toBe('Welcome, Jo')
    const click = linkIn(welcomeMail!.parsed.html as string, `${t.app.url}/t/c/`)
    const clicked = await fetch(click, { redirect: 'manual' })
    expect(clicked.status).toBe(302)
    expect(clicked.headers.get('location')).toBe('https://docs.brand.test/guide')
    const view = await (await t.api('GET', `/api/v1/drips/${drip.id}`)).json()
    // The pixel was never loaded: the click implies the open (issue 17).
    expect(view.steps[0].counts).toMatchObject({ sent: 1, delivered: 1, opened: 1, clicked: 1 })
    expect(view.funnel[0]).toMatchObject({ reached: 1, sent: 1 })

    const unsubscribe = linkIn(welcomeMail!.parsed.text!, `${t.app.url}/u/`)
    expect((await fetch(unsubscribe, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click' })).status).toBe(200)
    t.clock.advance(25 * HOUR)
    const count = t.smtp.messages.length
    const report = await run()
    expect(report.sent).toBe(0)
    expect(t.smtp.messages.length).toBe(count)
    const after = await (await t.api('GET', `/api/v1/drips/${drip.id}`)).json()
    expect(after.totals).toMatchObject({ enrolled: 1, unsubscribed: 1, sent: 1 })
    expect(after.steps[0].counts.unsubscribed).toBe(1)
  })

  it('lists each drip with the totals of its page, the sends of the last 7 days and draft or not (API and the Drips page)', async () => {
    const [journey] = (await (await t.api('GET', '/api/v1/drips')).json()).drips
    const page = await (await t.api('GET', `/api/v1/drips/${journey.id}`)).json()
    expect(journey).toMatchObject({ status: 'active', draft: false, stepCount: 2, totals: { ...page.totals, sentLast7Days: 1 } })
    const draft = await (await t.api('POST', '/api/v1/drips', { ...welcome(t.formId), name: 'Not yet' })).json()
    const listed = async () => new Map<string, { draft: boolean; totals: Record<string, number> }>((await (await t.api('GET', '/api/v1/drips')).json()).drips.map((d: { id: string }) => [d.id, d]))
    expect((await listed()).get(draft.id)).toMatchObject({ draft: true, totals: { enrolled: 0, sent: 0, sentLast7Days: 0 } })
    const html = await (await t.browser.get('/app/drips')).text()
    for (const text of ['Draft', 'Active', 'Goal reached', 'Completed', 'Sent, last 7 days', 'Not yet']) expect(html).toContain(text)
    // A send 8 days ago counts in the totals, not in the last 7 days.
    await db().execute(sql`UPDATE deliveries SET published_at = published_at - interval '8 days' WHERE sequence_id = ${journey.id}`)
    expect((await listed()).get(journey.id)!.totals).toMatchObject({ sent: 1, sentLast7Days: 0 })
    await db().execute(sql`UPDATE deliveries SET published_at = published_at + interval '8 days' WHERE sequence_id = ${journey.id}`)
    expect((await t.api('DELETE', `/api/v1/drips/${draft.id}`)).status).toBe(204)
  })

  it('behaviour triggers through the API: 400 naming the trigger field; a PATCH changing lifecycle_stage enrolls (decision 096)', async () => {
    await defineCustomField(t.app.services, { workspaceId: t.workspaceId, key: 'lifecycle_stage', label: 'Lifecycle stage', type: 'text' })
    const bad = async (triggers: unknown[]) => {
      const r = await t.api('POST', '/api/v1/drips', { name: 'Stage', triggers, steps: [{ subject: 's', markdown: 'm' }] })
      return { status: r.status, field: (await r.json()).error?.field }
    }
    expect(await bad([{ kind: 'field_changed', field: 'stage' }])).toEqual({ status: 400, field: 'triggers.0.field' })
    expect(await bad([{ kind: 'field_changed', field: 'lifecycle_stage', to: 4 }])).toEqual({ status: 400, field: 'triggers.0.to' })
    expect(await bad([{ kind: 'email_activity', activity: 'opened', times: 2 }])).toEqual({ status: 400, field: 'triggers.0.times' })
    const created = await (await t.api('POST', '/api/v1/drips', { name: 'Customers', triggers: [{ kind: 'field_changed', field: 'lifecycle_stage', to: 'customer' }, { kind: 'email_activity', activity: 'soft_bounced', times: 3 }], steps: [{ subject: 'Welcome, customer', markdown: 'm', delay: 'P1D' }] })).json()
    expect((await t.api('POST', `/api/v1/drips/${created.id}/activate`)).status).toBe(200)
    const contact = await insertContact(db(), { workspaceId: t.workspaceId, email: 'stage@example.com', at: t.app.services.clock.now() })
    const patched = await t.api('PATCH', `/api/v1/contacts/${contact.id}`, { fields: { lifecycle_stage: 'customer' } })
    expect(patched.status).toBe(200)
    const enrollments = (await (await t.api('GET', `/api/v1/drips/${created.id}/enrollments`)).json()).enrollments as Array<{ contactId: string; source: string }>
    expect(enrollments).toMatchObject([{ contactId: contact.id, source: 'field_changed:lifecycle_stage:customer' }])
    // The builder renders each trigger's and step's own fields (wait-until, notify).
    const [owner] = await listMembers(db(), { workspaceId: t.workspaceId })
    const steps = [
      { subject: 'Hi', markdown: 'm' },
      { kind: 'action', action: { type: 'wait_until', until: { kind: 'event', event: 'purchase' }, timeout: 'P3D' } },
      { kind: 'action', action: { type: 'notify', userId: owner!.userId, subject: 'Lead {{ contact.email }}', text: 'Call them' } },
    ]
    const waits = await t.api('POST', '/api/v1/drips', { name: 'Waits', triggers: [{ kind: 'field_changed', field: 'lifecycle_stage' }], steps })
    expect(waits.status).toBe(201)
    const html = await (await t.browser.get(`/app/drips/${(await waits.json()).id}`)).text()
    for (const name of ['triggers.0.field', 'triggers.0.to', 'steps.1.actionEvent', 'steps.1.actionTimeoutAmount', 'steps.2.actionUserId', 'steps.2.actionSubject', 'steps.2.actionText']) expect(html).toContain(`name="${name}"`)
  })

  it('POST /drips/{id}/enrollments: by id or email, idempotent, 4xx naming the field; events enroll and goals end', async () => {
    const created = await (
      await t.api('POST', '/api/v1/drips', { name: 'Cart', reentry: 'every_time', goals: ['purchase'], trigger: { kind: 'event', event: 'cart_abandoned' }, steps: [{ subject: 'Your cart', markdown: 'x', delay: 'PT1H' }] })
    ).json()
    await t.api('POST', `/api/v1/drips/${created.id}/activate`)
    const contact = await insertContact(db(), { workspaceId: t.workspaceId, email: 'api@example.com', at: t.clock.now() })
    const path = `/api/v1/drips/${created.id}/enrollments`
    const first = await t.api('POST', path, { contactId: contact.id, idempotencyKey: 'abc' })
    expect(first.status).toBe(201)
    const again = await t.api('POST', path, { contactId: contact.id, idempotencyKey: 'abc' })
    expect(again.status).toBe(200)
    expect((await again.json()).enrollment.id).toBe((await first.json()).enrollment.id)
    expect((await t.api('POST', path, { email: 'API@example.com', idempotencyKey: 'def' })).status).toBe(201)
    // An unsubscribed contact is not enrolled (it would end silently): 409 naming the field, nothing written.
    await insertContact(db(), { workspaceId: t.workspaceId, email: 'gone@example.com', status: 'unsubscribed', at: t.clock.now() })
    const gone = await t.api('POST', path, { email: 'gone@example.com' })
    expect(gone.status).toBe(409)
    expect((await gone.json()).error).toMatchObject({ field: 'email', code: 'contact_suppressed', message: expect.stringContaining('unsubscribed') })
    expect(((await (await t.api('GET', path)).json()).enrollments as unknown[]).length).toBe(2)
    const unknown = await t.api('POST', path, { email: 'nobody@example.com' })
    expect(unknown.status).toBe(404)
    expect((await unknown.json()).error.field).toBe('email')
    const both = await t.api('POST', path, { email: 'api@example.com', contactId: contact.id })
    expect(both.status).toBe(400)
    // One code for bad input on every endpoint (issue 17): drips said `invalid_input`, contacts `invalid_request`.
    expect((await both.json()).error).toMatchObject({ field: 'contactId', code: 'invalid_request' })
    const extra = await t.api('POST', path, { email: 'api@example.com', color: 'red' })
    expect((await extra.json()).error.field).toBe('color')

    const event = await t.api('POST', '/api/v1/events', { email: 'shopper@example.com', type: 'cart_abandoned', eventId: 'cart-1' })
    expect(event.status).toBe(201)
    expect((await t.api('POST', '/api/v1/events', { email: 'shopper@example.com', type: 'cart_abandoned', eventId: 'cart-1' })).status).toBe(200)
    let list = (await (await t.api('GET', path)).json()).enrollments as Array<{ source: string; status: string }>
    expect(list.filter((e) => e.source === 'event:cart_abandoned')).toHaveLength(1)
    await t.api('POST', '/api/v1/events', { email: 'shopper@example.com', type: 'purchase' })
    list = (await (await t.api('GET', path)).json()).enrollments
    expect(list.find((e) => e.source === 'event:cart_abandoned')).toMatchObject({ status: 'goal_reached' })
  })

  it('fuzzed drip and enrollment payloads never produce a 500 or a partial write', async () => {
    const count = async () => Number(((await db().execute(sql`SELECT (SELECT count(*) FROM sequences) + (SELECT count(*) FROM sequence_steps) + (SELECT count(*) FROM enrollments) AS n`)) as unknown as Array<{ n: number }>)[0]!.n)
    const [drip] = (await (await t.api('GET', '/api/v1/drips')).json()).drips
    const values: unknown[] = [null, 0, -1, Number.MAX_VALUE, 'x', '', '\u0000', '\ud800', 'a'.repeat(5000), [], {}, true, 'P1D', 'PT-1H', '25:00', '09:00', 'Europe/Berlin', 'Mars/Base', { kind: 'email' }, { goto: 99 }, 'skip']
    const { rnd, mutate } = fuzzPayloads({ seed: 42, values, maxDepth: 3, replaceChance: 0.3 })
    const base = welcome(t.formId)
    for (let i = 0; i < 150; i++) {
      const before = await count()
      const body = mutate(base)
      const r = await t.api('POST', '/api/v1/drips', rnd() < 0.1 ? '{"name":' : body)
      expect(r.status, JSON.stringify(body)).not.toBe(500)
      if (r.status !== 201) {
        expect(r.status).toBeGreaterThanOrEqual(400)
        expect(r.status).toBeLessThan(500)
        expect(await count()).toBe(before)
      }
      const e = await t.api('POST', `/api/v1/drips/${drip.id}/enrollments`, mutate({ email: 'api@example.com', contactId: drip.id, idempotencyKey: 'k' }))
      expect(e.status).not.toBe(500)
    }
  })

  it('an active drip’s builder shows how many contacts wait for each step, from the loader (no badge once paused)', async () => {
    const drip = await (await t.api('POST', '/api/v1/drips', { ...welcome(t.formId), name: 'Waiting room' })).json()
    expect((await t.api('POST', `/api/v1/drips/${drip.id}/activate`)).status).toBe(200)
    const contacts = await Promise.all(['wait1@example.com', 'wait2@example.com'].map((e) => insertContact(db(), { workspaceId: t.workspaceId, email: e, at: t.clock.now() })))
    for (const c of contacts) expect((await t.api('POST', `/api/v1/drips/${drip.id}/enrollments`, { contactId: c.id })).status).toBe(201)
    // The second contact got step 1 already: it waits for step 2.
    await db().execute(sql`UPDATE enrollments SET step_position = 1 WHERE sequence_id = ${drip.id} AND contact_id = ${contacts[1]!.id}`)
    const page = async () => (await t.browser.get(`/app/drips/${drip.id}`)).text()
    let html = await page()
    expect(html).toContain('1 waiting for step 1')
    expect(html).toContain('1 waiting for step 2')
    expect((await t.api('DELETE', `/api/v1/drips/${drip.id}/enrollments/${contacts[0]!.id}`)).status).toBe(200)
    html = await page()
    expect(html).toContain('0 waiting for step 1')
    expect(html).toContain('1 waiting for step 2')
    await t.api('POST', `/api/v1/drips/${drip.id}/pause`)
    expect(await page()).not.toContain('waiting for step')
    expect((await t.api('DELETE', `/api/v1/drips/${drip.id}`)).status).toBe(204)
  })
})
