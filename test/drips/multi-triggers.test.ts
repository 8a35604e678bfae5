import { randomUUID } from 'node:crypto'
import { and, eq } from 'drizzle-orm'
import { createEmailConnector } from '../../connectors/email/index'
import { findContactByEmail, insertContact, insertFieldDefinition, updateContact } from '../../db/queries/contacts'
import { insertSegment } from '../../db/queries/segments'
import { customFieldDefinitions, segments } from '../../db/schema'
import { dripRunnerDeps, runDripPass } from '../../core/drips/runner.server'
import { runDripTriggers } from '../../core/drips/triggers.server'
import { linkIn, startEmailApp, type EmailTestApp } from '../email/setup'

/**
 * Several triggers per drip through the built app (decision 071): one welcome series entered by a
 * signup form, an API event or a segment; the old single `trigger`; references checked at save and at
 * activation; the timeline preview's API and the builder's resource route.
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
const step = { subject: 'Welcome', markdown: 'Hello' }
const vipRule = { match: 'all' as const, conditions: [{ kind: 'tag' as const, tag: 'vip', has: true }] }

async function signUpAndConfirm(address: string) {
  const before = t.smtp.messages.length
  await fetch(`${t.app.url}/f/${t.formId}`, { method: 'POST', body: new URLSearchParams({ email: address, name: 'Form Person' }) })
  const [mail] = (await t.smtp.waitForMessages(before + 1)).slice(before)
  expect((await fetch(linkIn(mail!.parsed.text!, `${t.app.url}/f/confirm/`), { method: 'POST', body: new URLSearchParams() })).status).toBe(200)
}

describe('several triggers per drip', () => {
  it('a form, an event and a segment trigger each enroll into the same drip, once per contact, with the trigger as source', async () => {
    const seg = await insertSegment(db(), { workspaceId: t.workspaceId, name: 'VIPs', rule: vipRule, at: t.clock.now() })
    const triggers = [
      { kind: 'form', formId: t.formId },
      { kind: 'event', event: 'trial_started' },
      { kind: 'segment', segmentId: seg.id },
    ]
    const created = await t.api('POST', '/api/v1/drips', { name: 'Welcome series', triggers, steps: [step] })
    expect(created.status).toBe(201)
    const drip = await created.json()
    expect(drip.settings).toMatchObject({ triggers, reentry: 'once_ever' })
    expect((await t.api('POST', `/api/v1/drips/${drip.id}/activate`)).status).toBe(200)

    await signUpAndConfirm('form@example.com')
    expect((await t.api('POST', '/api/v1/events', { email: 'event@example.com', type: 'trial_started' })).status).toBe(201)
    await insertContact(db(), { workspaceId: t.workspaceId, email: 'vip@example.com', tags: ['vip'], at: t.clock.now() })
    expect(await runDripTriggers({ db: db(), clock: t.clock })).toMatchObject({ segment: 1 })
    // The form's subscriber then fires the other two triggers as well: still one enrollment.
    expect((await t.api('POST', '/api/v1/events', { email: 'form@example.com', type: 'trial_started' })).status).toBe(201)
    const formContact = (await findContactByEmail(db(), { workspaceId: t.workspaceId, email: 'form@example.com' }))!
    await updateContact(db(), { workspaceId: t.workspaceId, contactId: formContact.id, patch: { tags: [...formContact.tags, 'vip'] }, at: t.clock.now() })
    t.clock.advance(60_000)
    expect(await runDripTriggers({ db: db(), clock: t.clock })).toMatchObject({ segment: 0 })

    const { enrollments } = await (await t.api('GET', `/api/v1/drips/${drip.id}/enrollments`)).json()
    const addressOf = new Map<string, string>()
    for (const address of ['form@example.com', 'event@example.com', 'vip@example.com']) addressOf.set((await findContactByEmail(db(), { workspaceId: t.workspaceId, email: address }))!.id, address)
    expect(enrollments.map((e: { contactId: string; source: string }) => [addressOf.get(e.contactId), e.source]).sort()).toEqual([
      ['event@example.com', 'event:trial_started'],
      ['form@example.com', `form:${t.formId}`],
      ['vip@example.com', `segment:${seg.id}`],
    ])
    expect((await runDripPass(dripRunnerDeps(t.app.services, { email }))).sent).toBe(3)
    const welcomes = t.smtp.messages.filter((m) => m.parsed.subject === 'Welcome').map((m) => m.envelope.to[0]).sort()
    expect(welcomes).toEqual(['event@example.com', 'form@example.com', 'vip@example.com'])
    const listed = (await (await t.api('GET', '/api/v1/drips')).json()).drips.find((d: { id: string }) => d.id === drip.id)
    expect(listed).toMatchObject({ settings: { triggers }, totals: { enrolled: 3 } })
    // The drip list names every trigger; the drip's page counts the enrollments of each (and the API's).
    const list = await (await t.browser.get('/app/drips')).text()
    expect(list).toContain('Signup form “Newsletter”')
    expect(list).toContain('Event “trial_started”')
    expect(list).toContain('Enters segment “VIPs”')
    await insertContact(db(), { workspaceId: t.workspaceId, email: 'by-hand@example.com', at: t.clock.now() })
    expect((await t.api('POST', `/api/v1/drips/${drip.id}/enrollments`, { email: 'by-hand@example.com' })).status).toBe(201)
    const page = (await (await t.browser.get(`/app/drips/${drip.id}`)).text()).replace(/<!-- -->/g, '')
    for (const line of ['Signup form “Newsletter”', 'Event “trial_started”', 'Enters segment “VIPs”', 'Added by hand, CSV or API']) expect(page).toContain(`${line}: <strong>1</strong>`)
  })

  it('takes the single `trigger` of earlier clients; refuses a missing form, segment or date field at create (400) and at activation (422) naming triggers.N', async () => {
    const legacy = await t.api('POST', '/api/v1/drips', { name: 'Legacy', trigger: { kind: 'event', event: 'signup' }, steps: [step] })
    expect(legacy.status).toBe(201)
    const legacyDrip = await legacy.json()
    expect(legacyDrip.settings.triggers).toEqual([{ kind: 'event', event: 'signup' }])
    const put = await t.api('PUT', `/api/v1/drips/${legacyDrip.id}`, { name: 'Legacy', trigger: { kind: 'form', formId: t.formId }, steps: [step] })
    expect((await put.json()).settings.triggers).toEqual([{ kind: 'form', formId: t.formId }])

    const refused = async (body: object, field: string) => {
      const r = await t.api('POST', '/api/v1/drips', { name: 'Refused', steps: [step], ...body })
      expect(r.status, field).toBe(400)
      expect((await r.json()).error, field).toMatchObject({ field, code: 'invalid_request' })
    }
    const event = { kind: 'event', event: 'signup' }
    await refused({ triggers: [event, { kind: 'segment', segmentId: randomUUID() }] }, 'triggers.1.segmentId')
    await refused({ triggers: [{ kind: 'form', formId: randomUUID() }, event] }, 'triggers.0.formId')
    await refused({ triggers: [event, { kind: 'date', field: 'birthday', time: '09:00' }] }, 'triggers.1.field')
    await refused({ triggers: [event, event] }, 'triggers.1')
    await refused({ triggers: [event, { kind: 'manual' }] }, 'triggers.1.kind')
    await refused({ triggers: [event], trigger: event }, 'trigger')
    expect((await (await t.api('GET', '/api/v1/drips')).json()).drips.filter((d: { name: string }) => d.name === 'Refused')).toEqual([])

    // A date field and a segment deleted after the save: activation is refused naming the trigger.
    await insertFieldDefinition(db(), { workspaceId: t.workspaceId, key: 'birthday', label: 'Birthday', type: 'date' })
    const seg = await insertSegment(db(), { workspaceId: t.workspaceId, name: 'Soon gone', rule: vipRule, at: t.clock.now() })
    const drip = await (await t.api('POST', '/api/v1/drips', { name: 'Birthday', triggers: [event, { kind: 'date', field: 'birthday', time: '09:00' }, { kind: 'segment', segmentId: seg.id }], steps: [step] })).json()
    await db().delete(customFieldDefinitions).where(and(eq(customFieldDefinitions.workspaceId, t.workspaceId), eq(customFieldDefinitions.key, 'birthday')))
    await db().delete(segments).where(eq(segments.id, seg.id))
    const activate = await t.api('POST', `/api/v1/drips/${drip.id}/activate`)
    expect(activate.status).toBe(422)
    expect((await activate.json()).error).toMatchObject({ field: 'triggers.1.field', code: 'not_activatable' })
    const page = await (await t.browser.get(`/app/drips/${drip.id}`)).text()
    expect(page).toContain('trigger 2: no contact field “birthday”')
    expect(page).toContain('trigger 3 names a segment that is not in this workspace')
  })

  it('previews the timeline: POST /api/v1/drips/preview-timeline and the builder’s /app/drips/timeline', async () => {
    const body = { timezone: 'UTC', window: { days: ['MO', 'TU', 'WE', 'TH', 'FR'], start: '09:00', end: '17:00' }, steps: [{ delay: 'P0D' }, { delay: 'P1D' }], zone: 'Asia/Tokyo', enrolledAt: '2026-11-06T07:30:00Z' }
    const r = await t.api('POST', '/api/v1/drips/preview-timeline', body)
    expect(r.status).toBe(200)
    // Friday 16:30 in Tokyo: step 1 at once, step 2 a day later is Saturday, so Monday 09:00.
    expect((await r.json()).steps.map((s: { local: string; at: string }) => [s.local, s.at])).toEqual([
      ['2026-11-06T16:30', '2026-11-06T07:30:00.000Z'],
      ['2026-11-09T09:00', '2026-11-09T00:00:00.000Z'],
    ])
    const bad = await t.api('POST', '/api/v1/drips/preview-timeline', { ...body, zone: 'Mars/Base' })
    expect(bad.status).toBe(400)
    expect((await bad.json()).error).toMatchObject({ field: 'zone', code: 'invalid_request' })
    const doc = await (await t.api('GET', '/api/v1/openapi.json')).json()
    expect(doc.paths['/drips/preview-timeline'].post.operationId).toBe('previewDripTimeline')
    expect(Object.keys(doc.components.schemas.DripInput.properties)).toEqual(expect.arrayContaining(['triggers', 'trigger']))

    // The builder posts its unsaved fields (blank subjects and all) with the CSRF token.
    const fields = { zone: 'America/New_York', email: '', timezone: 'UTC', stepCount: '2', 'steps.0.delayAmount': '0', 'steps.0.delayUnit': 'days', 'steps.1.delayAmount': '2', 'steps.1.delayUnit': 'hours', 'steps.1.after': 'enrollment' }
    const form = await t.browser.submit('/app/drips/new', fields, { action: '/app/drips/timeline' })
    expect(form.status).toBe(200)
    const preview = await form.json()
    expect(preview).toMatchObject({ ok: true, timeline: { zone: 'America/New_York', steps: [{ offset: '-05:00' }, { offset: '-05:00' }] } })
    const [first, second] = preview.timeline.steps as Array<{ local: string; at: string }>
    expect([first!.local, first!.at]).toEqual([preview.timeline.local, t.clock.now().toISOString()])
    expect(Date.parse(second!.at) - Date.parse(first!.at)).toBe(2 * 3_600_000)
    const unknown = await t.browser.submit('/app/drips/new', { ...fields, email: 'nobody@example.com' }, { action: '/app/drips/timeline' })
    expect(unknown.status).toBe(400)
    expect(await unknown.json()).toMatchObject({ ok: false, field: 'email' })
    expect((await t.browser.submit('/app/drips/new', fields, { action: '/app/drips/timeline', csrf: 'forged' })).status).toBe(403)
  })
})
