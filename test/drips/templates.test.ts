import { count, eq } from 'drizzle-orm'
import { createEmailConnector } from '../../connectors/email/index'
import { insertContact, insertFieldDefinition } from '../../db/queries/contacts'
import { contactEvents, deliveries, enrollments, sequenceSteps } from '../../db/schema'
import { dripRunnerDeps, runDripPass } from '../../core/drips/runner.server'
import { signUpAs } from '../app-server'
import { startEmailApp, type EmailTestApp } from '../email/setup'

/**
 * Step templates in Liquid (decision 075) through the built app: what saving and activating refuse (the
 * field, the line and the bad name), that a stored step in the earlier syntax renders as before, the
 * editor's live preview and its test send to the signed-in user.
 */
let t: EmailTestApp
const email = createEmailConnector({ allowPrivateNetworkHosts: true })
beforeAll(async () => {
  t = await startEmailApp({ worker: false })
  await insertFieldDefinition(db(), { workspaceId: t.workspaceId, key: 'plan', label: 'Plan', type: 'text' })
  await insertContact(db(), { workspaceId: t.workspaceId, email: 'pro@example.com', name: 'Pat <b>Pro</b>', fields: { plan: 'pro' }, at: t.clock.now() } as Parameters<typeof insertContact>[1])
})
afterAll(async () => {
  email.close()
  await t?.close()
})
const db = () => t.app.services.database.db
const drip = (steps: Array<{ subject: string; markdown: string }>) => ({ name: 'Templates', steps })
const errorOf = async (response: Response) => (await response.json()).error as { field: string; message: string }
/** A form post of the drip editor (with the page's CSRF token) to one of its resource routes. */
const post = (action: string, fields: Record<string, string>, csrf?: null) => t.browser.submit('/app/drips/new', fields, { action, csrf })

describe('Liquid step templates', () => {
  it('saving refuses an unknown variable, field or filter and a syntax error, naming the field, the line and the name', async () => {
    const cases: Array<[{ subject: string; markdown: string }, string, RegExp]> = [
      [{ subject: 'Hi', markdown: 'Hello\n{{ contact.frist_name | default: "friend" }}' }, 'steps.0.markdown', /line 2: unknown merge field “contact\.frist_name”/],
      [{ subject: 'Your {{ contact.fields.plann }}', markdown: 'x' }, 'steps.0.subject', /no contact field “plann”.*contact\.fields\.plan/],
      [{ subject: 'Hi', markdown: '{{ contact.name | shout }}' }, 'steps.0.markdown', /unknown filter “shout”/],
      [{ subject: 'Hi', markdown: 'one\n\n{% if contact.fields.plan == "pro" %}no end' }, 'steps.0.markdown', /line 3: .*not closed/],
      [{ subject: 'Hi', markdown: "{% include 'header' %}" }, 'steps.0.markdown', /include.*not available/],
    ]
    for (const [step, field, message] of cases) {
      const refused = await t.api('POST', '/api/v1/drips', drip([step]))
      expect(refused.status).toBe(400)
      expect(await errorOf(refused)).toMatchObject({ field, message: expect.stringMatching(message) })
    }
    const ok = await t.api('POST', '/api/v1/drips', drip([{ subject: 'Hi {{ contact.first_name | default: "friend" }}', markdown: '{% if contact.fields.plan == "pro" %}Pro{% endif %}' }]))
    expect(ok.status).toBe(201)
  })

  it('activation refuses a stored step whose template names an unknown variable (422 naming the field)', async () => {
    const created = await (await t.api('POST', '/api/v1/drips', drip([{ subject: 'Hi', markdown: 'fine' }, { subject: 'Two', markdown: 'fine' }]))).json()
    // Stored before the check existed (or edited in the database): only activation can catch it now.
    await db()
      .update(sequenceSteps)
      .set({ content: { parts: [{ text: 'x' }], email: { subject: 'Two', markdown: 'Hi {{ contact.frist_name }}' } } })
      .where(eq(sequenceSteps.id, created.steps[1].id))
    const refused = await t.api('POST', `/api/v1/drips/${created.id}/activate`)
    expect(refused.status).toBe(422)
    expect(await errorOf(refused)).toMatchObject({ field: 'steps.1.markdown', message: expect.stringContaining('contact.frist_name') })
  })

  it('a stored step in the earlier syntax renders as its Liquid equivalent, and the runner sends it', async () => {
    const legacy = { subject: 'Hi {{ first_name | "friend" }}', markdown: '**{{ name }}** on {{ plan | "free" }} [go](https://example.com/?p={{ plan }})' }
    const liquid = { subject: 'Hi {{ contact.first_name | default: "friend" }}', markdown: '**{{ contact.name }}** on {{ contact.fields.plan | default: "free" }} [go](https://example.com/?p={{ contact.fields.plan }})' }
    const [a, b] = await Promise.all([legacy, liquid].map(async (template) => (await post('/app/drips/preview', { ...template, contact: 'pro@example.com' })).json()))
    expect(a).toMatchObject({ ok: true, subject: 'Hi Pat', contact: { email: 'pro@example.com', sample: false } })
    expect(a.html).toContain('<strong>Pat &lt;b&gt;Pro&lt;/b&gt;</strong> on pro <a href="https://example.com/?p=pro">go</a>')
    expect([a.subject, a.html, a.text]).toEqual([b.subject, b.html, b.text])

    const created = await (await t.api('POST', '/api/v1/drips', drip([legacy]))).json()
    expect((await t.api('POST', `/api/v1/drips/${created.id}/activate`)).status).toBe(200)
    expect((await t.api('POST', `/api/v1/drips/${created.id}/enrollments`, { email: 'pro@example.com' })).status).toBe(201)
    const before = t.smtp.messages.length
    expect((await runDripPass(dripRunnerDeps(t.app.services, { email }))).sent).toBe(1)
    const [sent] = (await t.smtp.waitForMessages(before + 1)).slice(before)
    expect(sent!.parsed.subject).toBe('Hi Pat')
    expect(sent!.parsed.html).toContain('<strong>Pat &lt;b&gt;Pro&lt;/b&gt;</strong> on pro')
  })

  it('the live preview renders for a made-up contact with the workspace’s fields, and names problems under their field', async () => {
    const sample = await (await post('/app/drips/preview', { subject: 'For {{ contact.first_name }}', markdown: 'Plan: {{ contact.fields.plan }}', contact: '' })).json()
    expect(sample).toMatchObject({ ok: true, subject: 'For Jane', contact: { name: 'Jane Doe', sample: true } })
    expect(sample.text).toContain('Plan: Sample plan')
    expect(sample.html).toContain('Brand Inc.<br>1 Main St, Springfield')
    const bad = await post('/app/drips/preview', { subject: 'Hi {{ contact.nmae }}', markdown: 'x\n{{ contact.fields.company }}', contact: 'nobody@example.com' })
    expect(bad.status).toBe(400)
    expect((await bad.json()).errors).toEqual({
      subject: expect.stringMatching(/^line 1: unknown merge field “contact\.nmae”/),
      markdown: expect.stringMatching(/^line 2: no contact field “company”/),
      contact: 'no contact with the email nobody@example.com in this workspace',
    })
    expect((await post('/app/drips/preview', { subject: 's', markdown: 'm' }, null)).status).toBe(403)
  })

  it('test send: to the signed-in user through the workspace’s sender, "[Test]", nothing enrolled or recorded; CSRF; 10 a minute; no sender → 422', async () => {
    const rows = async () =>
      Promise.all([contactEvents, enrollments, deliveries].map(async (table) => (await db().select({ n: count() }).from(table).where(eq(table.workspaceId, t.workspaceId)))[0]!.n))
    const before = { rows: await rows(), messages: t.smtp.messages.length }
    const template = { subject: 'Welcome, {{ contact.first_name }}', markdown: '{% if contact.fields.plan == "pro" %}Thanks for going **Pro**{% endif %} [docs](https://docs.brand.test/)', contact: 'pro@example.com' }
    const response = await post('/app/drips/test-send', template)
    expect(response.status).toBe(200)
    expect(await response.json()).toMatchObject({ ok: true, to: 'owner@brand.test' })
    const [message] = (await t.smtp.waitForMessages(before.messages + 1)).slice(before.messages)
    expect(message!.envelope.to).toEqual(['owner@brand.test'])
    expect(message!.parsed.subject).toBe('[Test] Welcome, Pat')
    expect(message!.parsed.html).toContain('Thanks for going <strong>Pro</strong>')
    // Links as written (no click tracking), no open pixel, and nothing written for the contact or the drip.
    expect(message!.parsed.html).toContain('href="https://docs.brand.test/"')
    expect(message!.parsed.html).not.toContain('/t/o/')
    expect(await rows()).toEqual(before.rows)

    expect((await post('/app/drips/test-send', template, null)).status).toBe(403)
    const invalid = await post('/app/drips/test-send', { ...template, markdown: '{{ contact.frist_name }}' })
    expect(invalid.status).toBe(400)
    expect((await invalid.json()).errors.markdown).toContain('contact.frist_name')
    // Ten a minute per user: nine more go out, the eleventh is refused.
    for (let i = 0; i < 9; i++) expect((await post('/app/drips/test-send', template)).status).toBe(200)
    const limited = await post('/app/drips/test-send', template)
    expect(limited.status).toBe(429)
    expect((await limited.json()).errors.form).toMatch(/Too many test emails/)
    expect(t.smtp.messages.length).toBe(before.messages + 10)

    // A workspace without a sender.
    const other = await signUpAs(t.app, { email: 'solo@other.test' })
    const unconfigured = await other.submit('/app/drips/new', { subject: 'Hi', markdown: 'x' }, { action: '/app/drips/test-send' })
    expect(unconfigured.status).toBe(422)
    expect((await unconfigured.json()).errors.sender).toBe('Set up the email sender first')
  })
})
