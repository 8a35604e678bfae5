import fc from 'fast-check'
import { eq, sql } from 'drizzle-orm'
import { getEmailSettings, insertFieldDefinition, saveEmailSettings } from '../../db/queries/contacts'
import { consentRecords, contactEvents, contacts } from '../../db/schema'
import { sendToContact } from '../../core/email.server'
import { startEmailApp, type EmailTestApp } from './setup'

let t: EmailTestApp
beforeAll(async () => {
  t = await startEmailApp()
  const db = t.app.services.database.db
  const settings = (await getEmailSettings(db, { workspaceId: t.workspaceId }))!
  await saveEmailSettings(db, {
    ...settings,
    scoreRules: [
      { on: 'opened', points: 1 },
      { on: 'clicked', points: 2 },
      { on: 'event', name: 'demo_booked', points: 10 },
    ],
    scoreHalfLifeDays: 30,
    at: t.clock.now(),
  })
  await insertFieldDefinition(db, { workspaceId: t.workspaceId, key: 'plan', label: 'Plan', type: 'text' })
  await insertFieldDefinition(db, { workspaceId: t.workspaceId, key: 'seats', label: 'Seats', type: 'number' })
  await insertFieldDefinition(db, { workspaceId: t.workspaceId, key: 'renewal', label: 'Renewal', type: 'date' })
})
afterAll(async () => {
  await t?.close()
})

async function counts() {
  const db = t.app.services.database.db
  const one = async (table: typeof contacts | typeof contactEvents | typeof consentRecords) =>
    (await db.select({ n: sql<number>`count(*)::int` }).from(table).where(eq(table.workspaceId, t.workspaceId)))[0]!.n
  return { contacts: await one(contacts), events: await one(contactEvents), consents: await one(consentRecords) }
}

describe('POST /api/v1/events', () => {
  it('is idempotent by eventId and applies lead-score rules, with decay over time', async () => {
    const body = { email: 'Lead@Example.com', type: 'demo_booked', name: 'Lead Person', properties: { plan: 'team' }, eventId: 'crm-123' }
    const first = await t.api('POST', '/api/v1/events', body)
    expect(first.status).toBe(201)
    const recorded = await first.json()
    expect(recorded).toMatchObject({ type: 'demo_booked', duplicate: false, scoreDelta: 10 })
    const again = await t.api('POST', '/api/v1/events', { ...body, properties: { plan: 'other' } })
    expect(again.status).toBe(200)
    expect(await again.json()).toMatchObject({ id: recorded.id, duplicate: true, scoreDelta: 10 })

    const contact = await (await t.api('GET', `/api/v1/contacts/${recorded.contactId}`)).json()
    expect(contact).toMatchObject({ email: 'lead@example.com', name: 'Lead Person', status: 'subscribed', leadScore: 10 })

    // Without an eventId every post counts; an event without a rule scores nothing.
    expect((await (await t.api('POST', '/api/v1/events', { email: 'lead@example.com', type: 'purchase' })).json()).scoreDelta).toBe(0)
    t.clock.advance(30 * 86_400_000)
    try {
      expect((await (await t.api('GET', `/api/v1/contacts/${recorded.contactId}`)).json()).leadScore).toBe(5)
      await t.api('POST', '/api/v1/events', { email: 'lead@example.com', type: 'demo_booked', eventId: 'crm-124' })
      expect((await (await t.api('GET', `/api/v1/contacts/${recorded.contactId}`)).json()).leadScore).toBe(15)
    } finally {
      t.clock.set(new Date(t.clock.now().getTime() - 30 * 86_400_000))
    }
  })

  it('names the bad field', async () => {
    const response = await t.api('POST', '/api/v1/events', { email: 'x@example.com', type: 'has space' })
    expect(response.status).toBe(400)
    expect((await response.json()).error.field).toBe('type')
    const unknown = await t.api('POST', '/api/v1/events', { email: 'x@example.com', type: 'a', extra: 1 })
    expect((await unknown.json()).error.field).toBe('extra')
  })
})

describe('/api/v1/contacts', () => {
  it('creates, reads, searches, updates (typed custom fields) and deletes', async () => {
    const created = await t.api('POST', '/api/v1/contacts', { email: 'Crud@Example.com', name: 'Crud', fields: { plan: 'pro', seats: 3 }, tags: ['vip'] })
    expect(created.status).toBe(201)
    const contact = await created.json()
    expect(contact).toMatchObject({ email: 'crud@example.com', fields: { plan: 'pro', seats: 3 }, tags: ['vip'], status: 'subscribed', leadScore: 0 })
    expect((await t.api('POST', '/api/v1/contacts', { email: 'crud@example.com' })).status).toBe(409)
    // A pasted address with surrounding spaces is trimmed, not refused (issue 17).
    const spaced = await t.api('POST', '/api/v1/contacts', { email: '  Spaced@Example.com \t' })
    expect(spaced.status).toBe(201)
    expect((await spaced.json()).email).toBe('spaced@example.com')

    const badField = await t.api('PATCH', `/api/v1/contacts/${contact.id}`, { fields: { seats: 'many' } })
    expect(badField.status).toBe(400)
    expect((await badField.json()).error.field).toBe('fields.seats')
    const unknownField = await t.api('PATCH', `/api/v1/contacts/${contact.id}`, { fields: { color: 'red' } })
    expect((await unknownField.json()).error.field).toBe('fields.color')

    const patched = await t.api('PATCH', `/api/v1/contacts/${contact.id}`, { fields: { renewal: '2027-01-31' }, status: 'unsubscribed' })
    expect(patched.status).toBe(200)
    expect(await patched.json()).toMatchObject({ fields: { plan: 'pro', seats: 3, renewal: '2027-01-31' }, status: 'unsubscribed' })
    expect((await (await t.api('PATCH', `/api/v1/contacts/${contact.id}`, { status: 'subscribed' })).json()).status).toBe('subscribed')

    const list = await (await t.api('GET', '/api/v1/contacts?search=crud')).json()
    expect(list.contacts.map((c: { email: string }) => c.email)).toEqual(['crud@example.com'])
    expect((await t.api('DELETE', `/api/v1/contacts/${contact.id}`)).status).toBe(204)
    expect((await t.api('GET', `/api/v1/contacts/${contact.id}`)).status).toBe(404)
    expect((await t.api('GET', '/api/v1/contacts/not-a-uuid')).status).toBe(404)
  })
})

describe('fuzzed payloads', () => {
  // Mostly valid values (so the deep paths run), with hostile ones mixed in.
  const emailish = fc.oneof({ arbitrary: fc.stringMatching(/^[a-z0-9]{1,10}@[a-z]{1,8}\.(io|com)$/), weight: 6 }, fc.emailAddress(), fc.string({ maxLength: 30 }), fc.constant('a\u0000@x.io'), fc.constant(''))
  const textish = fc.oneof(fc.string({ maxLength: 40 }), fc.string({ unit: 'binary', maxLength: 20 }), fc.constant('\ud800'), fc.constant('x\u0000y'))
  const json = fc.jsonValue({ maxDepth: 3 })
  const eventPayload = fc.oneof(
    { arbitrary: fc.record({ email: emailish, type: fc.oneof({ arbitrary: fc.constantFrom('purchase', 'demo_booked', 'cart_abandoned'), weight: 6 }, textish), name: textish, properties: fc.oneof(fc.dictionary(textish, json, { maxKeys: 4 }), json, fc.constantFrom({ note: 'a\u0000b' }, { '\ud800': 1 }, { deep: ['\udc00x'] })), eventId: textish }, { requiredKeys: ['email', 'type'] }), weight: 6 },
    json,
  )
  const contactPayload = fc.oneof(
    fc.record(
      {
        email: emailish,
        name: fc.oneof(textish, fc.constant(null)),
        timezone: fc.oneof(fc.constantFrom('Europe/Berlin', 'Mars/Base', 'UTC'), textish),
        fields: fc.oneof(fc.dictionary(fc.constantFrom('plan', 'seats', 'renewal', 'nope'), fc.oneof(textish, fc.integer(), fc.double(), fc.constant(null), fc.constantFrom('2026-02-30', '2026-02-28'))), json),
        tags: fc.oneof(fc.array(textish, { maxLength: 5 }), json),
        status: fc.oneof(fc.constantFrom('subscribed', 'unsubscribed', 'bounced'), textish),
      },
      { requiredKeys: [] },
    ),
    json,
  )

  it('events: never a 5xx, never a partial write', async () => {
    await fc.assert(
      fc.asyncProperty(eventPayload, async (payload) => {
        const before = await counts()
        const response = await t.api('POST', '/api/v1/events', payload)
        expect(response.status, JSON.stringify(payload)).toBeLessThan(500)
        const after = await counts()
        if (response.status >= 400) expect(after).toEqual(before)
        else {
          const body = await response.json()
          expect(after.events - before.events).toBe(body.duplicate ? 0 : 1)
          expect(after.contacts - before.contacts).toBe(after.consents - before.consents)
        }
      }),
      { numRuns: 100 },
    )
  })

  it('contacts: never a 5xx, never a partial write', async () => {
    await fc.assert(
      fc.asyncProperty(contactPayload, async (payload) => {
        const before = await counts()
        const response = await t.api('POST', '/api/v1/contacts', payload)
        expect(response.status, JSON.stringify(payload)).toBeLessThan(500)
        const after = await counts()
        if (response.status >= 400) expect(after).toEqual(before)
        else expect(after).toEqual({ ...before, contacts: before.contacts + 1, consents: before.consents + 1 })
      }),
      { numRuns: 60 },
    )
  })

  it('raw bodies and content types never give a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 200 }), fc.constantFrom('application/json', 'text/plain', 'message/delivery-status', 'multipart/report'), fc.constantFrom('/api/v1/events', '/api/v1/contacts', '/api/v1/dsn'), async (body, type, path) => {
        const response = await t.api('POST', path, body, { contentType: type })
        expect(response.status).toBeLessThan(500)
      }),
      { numRuns: 60 },
    )
  })
})

describe('/api/v1/dsn with ARF spam complaints (RFC 5965)', () => {
  const TYPE = 'multipart/report; report-type=feedback-report; boundary="arf"'
  const report = (feedback: string[], original?: string) =>
    ['--arf', 'Content-Type: text/plain', '', 'An abuse report.', '--arf', 'Content-Type: message/feedback-report', '', ...feedback, '', ...(original ? ['--arf', 'Content-Type: message/rfc822', '', original] : []), '--arf--'].join('\r\n')

  it('a complaint about a sent email: complained, suppressed, counted once, never mailed again', async () => {
    const contact = await (await t.api('POST', '/api/v1/contacts', { email: 'annoyed@example.com' })).json()
    const send = (key: string) => sendToContact(t.app.services, { workspaceId: t.workspaceId, contactId: contact.id, purpose: 'marketing', idempotencyKey: key, template: { subject: 'News', markdown: 'Hello' } })
    await send('arf-1')
    const received = t.smtp.messages.length
    const arf = report(['Feedback-Type: abuse', 'User-Agent: Yahoo!-Mail-Feedback/2.0', 'Version: 1'], t.smtp.messages.at(-1)!.raw.replaceAll('annoyed@example.com', 'redacted@example.com'))
    const first = await t.api('POST', '/api/v1/dsn', arf, { contentType: TYPE })
    expect(first.status).toBe(200)
    expect(await first.json()).toEqual({ suppressed: ['annoyed@example.com'], ignored: [], complaint: { contactId: contact.id, stepId: null, duplicate: false } })
    expect(await (await t.api('POST', '/api/v1/dsn', arf, { contentType: TYPE })).json()).toMatchObject({ complaint: { duplicate: true } })
    expect(await (await t.api('GET', `/api/v1/contacts/${contact.id}`)).json()).toMatchObject({ status: 'complained' })
    const complaints = await t.app.services.database.db.select().from(contactEvents).where(eq(contactEvents.contactId, contact.id))
    expect(complaints.filter((e) => e.type === 'complained')).toHaveLength(1)
    await expect(send('arf-2')).rejects.toThrow(/complained/)
    expect(t.smtp.messages).toHaveLength(received)
  })

  it('a malformed report is a 400 naming what is missing; a report naming nobody of the workspace a 422', async () => {
    const cases: Array<[string, number, string]> = [
      [report(['Version: 1', 'Original-Rcpt-To: <a@example.com>']), 400, 'Feedback-Type'],
      [['--arf', 'Content-Type: text/plain', '', 'hello', '--arf--'].join('\r\n'), 400, 'message/feedback-report'],
      [report(['Feedback-Type: abuse', 'Original-Rcpt-To: <redacted@example.com>']), 400, 'Original-Rcpt-To'],
      [report(['Feedback-Type: abuse'], 'From: news@brand.test\r\nList-Unsubscribe: <https://elsewhere.example/u/forged>\r\n\r\nHi'), 422, 'Original-Rcpt-To'],
    ]
    for (const [body, status, field] of cases) {
      const response = await t.api('POST', '/api/v1/dsn', body, { contentType: TYPE })
      expect([response.status, (await response.json()).error]).toEqual([status, expect.objectContaining({ field })])
    }
  })

  it('the contact API sets complained; such a contact cannot be resubscribed', async () => {
    const contact = await (await t.api('POST', '/api/v1/contacts', { email: 'api-complaint@example.com' })).json()
    const patched = await t.api('PATCH', `/api/v1/contacts/${contact.id}`, { status: 'complained' })
    expect([patched.status, (await patched.json()).status]).toEqual([200, 'complained'])
    const back = await t.api('PATCH', `/api/v1/contacts/${contact.id}`, { status: 'subscribed' })
    expect([back.status, (await back.json()).error]).toEqual([409, expect.objectContaining({ field: 'status' })])
    expect((await t.api('POST', '/api/v1/contacts', { email: 'new@example.com', status: 'complained' })).status).toBe(400)
  })
})
