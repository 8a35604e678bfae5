import { and, eq } from 'drizzle-orm'
import { createSmsConnector, type SmsConnector } from '../../connectors/sms/index'
import { listEnrollments } from '../../db/queries/enrollments'
import { contactEvents, deliveries, smsSuppressions } from '../../db/schema'
import { activateDrip, createDrip, enrollContact, getDrip, type DripInput } from '../../core/drips.server'
import { createContactFromApi, updateContactFromApi } from '../../core/contacts.server'
import { applySmsStatusCallback, handleInboundSms, saveSmsSettings, smsWebhookUrls, WebhookSignatureError } from '../../core/sms.server'
import { InputError } from '../../core/errors'
import { startDripHarness, T0, type DripHarness } from '../drips/harness'
import { startTwilioApiServer, type TwilioApiServer } from '../servers/twilio-api'

let h: DripHarness
let twilio: TwilioApiServer
let sms: SmsConnector
beforeEach(async () => {
  h = await startDripHarness()
  twilio = await startTwilioApiServer()
  sms = createSmsConnector({ apiBaseUrl: twilio.url })
  await saveSmsSettings(h.services, { workspaceId: h.workspaceId, input: { accountSid: twilio.accountSid, authToken: twilio.authToken, fromNumber: twilio.fromNumber } })
})
afterEach(async () => {
  await twilio?.close()
  await h?.close()
})

const drain = () => h.drain({ sms })
const emailsTo = (address: string) => h.smtp.messages.filter((m) => m.envelope.to.includes(address)).map((m) => m.parsed.subject)
const textsTo = (phone: string) => twilio.messages.filter((m) => m.to === phone).map((m) => m.body)

async function makeDrip(input: Partial<DripInput> & Pick<DripInput, 'steps'>) {
  const drip = await createDrip(h.services, { workspaceId: h.workspaceId, input: { name: 'Journey', ...input } })
  await activateDrip(h.services, { workspaceId: h.workspaceId, dripId: drip.id })
  return drip
}

async function texter(email: string, args: { phone?: string | null; consent?: boolean; timezone?: string } = {}) {
  const contact = await createContactFromApi(h.services, {
    workspaceId: h.workspaceId,
    input: { email, name: 'Ada Lovelace', timezone: args.timezone ?? 'Europe/Berlin', phone: args.phone === undefined ? '+1 415 555 2671' : args.phone, ...(args.consent === false || args.phone === null ? {} : { smsConsent: { source: 'form:checkout', text: 'Text me offers. Reply STOP to stop.' } }) },
  })
  return contact.id
}

async function smsDeliveries(dripId: string) {
  const view = await getDrip(h.services, { workspaceId: h.workspaceId, dripId })
  const smsSteps = new Set(view.steps.filter((s) => s.kind === 'sms').map((s) => s.id))
  return (await h.database.db.select().from(deliveries).where(eq(deliveries.sequenceId, dripId))).filter((d) => smsSteps.has(d.stepId))
}

const statusCallback = (params: Record<string, string>, signature?: string) => {
  const url = smsWebhookUrls(h.services, h.workspaceId).statusUrl
  return applySmsStatusCallback(h.services, { workspaceId: h.workspaceId, url, params, signature: signature ?? twilio.sign(url, params) })
}
const inbound = (from: string, body: string) => {
  const url = smsWebhookUrls(h.services, h.workspaceId).inboundUrl
  const params = { AccountSid: twilio.accountSid, MessageSid: `SM${Math.random().toString(16).slice(2).padEnd(32, '0')}`, From: from, To: twilio.fromNumber, Body: body }
  return handleInboundSms(h.services, { workspaceId: h.workspaceId, url, params, signature: twilio.sign(url, params) })
}

describe('the SMS step on the drip runner', () => {
  it('enroll → email → SMS at the loopback Twilio server (merge fields, status callback URL) → callbacks → delivered', async () => {
    const drip = await makeDrip({ steps: [{ subject: 'Welcome', markdown: 'Hi' }, { kind: 'sms', text: 'Hi {{ contact.first_name }}, 20% off today' }] })
    const contactId = await texter('ada@example.com')
    await enrollContact(h.services, { workspaceId: h.workspaceId, dripId: drip.id, input: { contactId } })
    expect(await drain()).toBe(2)
    expect(emailsTo('ada@example.com')).toEqual(['Welcome'])
    expect(textsTo('+14155552671')).toEqual(['Hi Ada, 20% off today'])
    const message = twilio.messages[0]!
    expect(message.statusCallback).toBe(`http://127.0.0.1:9/webhooks/twilio/${h.workspaceId}/status`)
    const [d] = await smsDeliveries(drip.id)
    expect(d).toMatchObject({ state: 'published', remoteId: message.sid, providerStatus: null })
    // The same analytics rows as an email: a `sent` event for the step.
    const sent = await h.database.db.select().from(contactEvents).where(and(eq(contactEvents.contactId, contactId), eq(contactEvents.type, 'sent')))
    expect(sent).toHaveLength(2)

    const params = (status: string) => ({ AccountSid: twilio.accountSid, MessageSid: message.sid, MessageStatus: status, To: message.to, From: twilio.fromNumber })
    expect(await statusCallback(params('queued'))).toEqual({ applied: true })
    expect(await statusCallback(params('sent'))).toEqual({ applied: true })
    expect(await statusCallback(params('delivered'))).toEqual({ applied: true })
    // A late `sent` changes nothing.
    expect(await statusCallback(params('sent'))).toEqual({ applied: false })
    expect((await smsDeliveries(drip.id))[0]).toMatchObject({ state: 'published', providerStatus: 'delivered', lastError: null })
    const [e] = await listEnrollments(h.database.db, { workspaceId: h.workspaceId, dripId: drip.id })
    expect(e!.status).toBe('completed')
  })

  it('refuses a status callback with a wrong signature, and records undelivered with its error code', async () => {
    const drip = await makeDrip({ steps: [{ kind: 'sms', text: 'Hello' }] })
    await enrollContact(h.services, { workspaceId: h.workspaceId, dripId: drip.id, input: { contactId: await texter('ada@example.com') } })
    await drain()
    const message = twilio.messages[0]!
    const params = { AccountSid: twilio.accountSid, MessageSid: message.sid, MessageStatus: 'delivered', To: message.to }
    await expect(statusCallback(params, 'bm90IGEgc2lnbmF0dXJl')).rejects.toBeInstanceOf(WebhookSignatureError)
    await expect(statusCallback({ ...params, MessageStatus: 'read-by-aliens' })).rejects.toBeInstanceOf(InputError)
    expect(await statusCallback({ ...params, MessageStatus: 'undelivered', ErrorCode: '30003' })).toEqual({ applied: true })
    expect((await smsDeliveries(drip.id))[0]).toMatchObject({ providerStatus: 'undelivered', lastError: 'carrier reported undelivered (error 30003)', lastErrorKind: 'sms_undelivered' })
  })

  it('skips contacts without a phone or without SMS consent, with the reason, and goes on to the next email', async () => {
    const drip = await makeDrip({ steps: [{ kind: 'sms', text: 'Hello' }, { subject: 'After', markdown: 'Next' }] })
    const noPhone = await texter('nophone@example.com', { phone: null })
    const noConsent = await texter('noconsent@example.com', { consent: false })
    for (const contactId of [noPhone, noConsent]) await enrollContact(h.services, { workspaceId: h.workspaceId, dripId: drip.id, input: { contactId } })
    await drain()
    expect(twilio.messages).toHaveLength(0)
    expect(emailsTo('nophone@example.com')).toEqual(['After'])
    expect(emailsTo('noconsent@example.com')).toEqual(['After'])
    const reasons = (await smsDeliveries(drip.id)).map((d) => [d.state, d.lastError]).sort()
    expect(reasons).toEqual([['skipped', 'no SMS consent'], ['skipped', 'no phone number']])
  })

  it('a STOP reply suppresses SMS but not email; START lets texts through again; HELP answers', async () => {
    const drip = await makeDrip({ steps: [{ kind: 'sms', text: 'Text one' }, { subject: 'Mail', markdown: 'Still mailed', delay: 'PT1H' }, { kind: 'sms', text: 'Text two', delay: 'PT1H' }, { kind: 'sms', text: 'Text three', delay: 'PT1H' }] })
    const contactId = await texter('ada@example.com')
    await enrollContact(h.services, { workspaceId: h.workspaceId, dripId: drip.id, input: { contactId } })
    await drain()
    expect(textsTo('+14155552671')).toEqual(['Text one'])
    expect(await inbound('+14155552671', ' stop ')).toMatchObject({ kind: 'stop', contacts: 1 })
    h.clock.advance(3_600_000)
    await drain()
    expect(emailsTo('ada@example.com')).toEqual(['Mail'])
    h.clock.advance(3_600_000)
    await drain()
    expect(textsTo('+14155552671')).toEqual(['Text one'])
    const skipped = (await smsDeliveries(drip.id)).filter((d) => d.state === 'skipped')
    expect(skipped.map((d) => d.lastError)).toEqual(['opted out of SMS'])
    expect(await inbound('+14155552671', 'HELP')).toMatchObject({ kind: 'help', reply: expect.stringContaining('STOP') })
    expect(await inbound('+14155552671', 'START')).toMatchObject({ kind: 'start' })
    h.clock.advance(3_600_000)
    await drain()
    expect(textsTo('+14155552671')).toEqual(['Text one', 'Text three'])
    const events = await h.database.db.select({ type: contactEvents.type }).from(contactEvents).where(eq(contactEvents.contactId, contactId))
    expect(events.map((e) => e.type).filter((t) => t.startsWith('sms_'))).toEqual(['sms_opted_out', 'sms_opted_in'])
  })

  it('Twilio 21610 (unsubscribed recipient) fails the step, suppresses the number for SMS only, and the enrollment goes on', async () => {
    twilio.optedOut.add('+14155552671')
    const drip = await makeDrip({ steps: [{ kind: 'sms', text: 'Hello' }, { subject: 'After', markdown: 'Next' }, { kind: 'sms', text: 'Again' }] })
    await enrollContact(h.services, { workspaceId: h.workspaceId, dripId: drip.id, input: { contactId: await texter('ada@example.com') } })
    await drain()
    expect(twilio.counters.refused).toBe(1)
    expect(emailsTo('ada@example.com')).toEqual(['After'])
    const rows = await h.database.db.select().from(smsSuppressions).where(eq(smsSuppressions.workspaceId, h.workspaceId))
    expect(rows.map((r) => [r.phone, r.reason])).toEqual([['+14155552671', 'carrier_opt_out']])
    const states = (await h.database.db.select().from(deliveries).where(eq(deliveries.sequenceId, drip.id))).map((d) => [d.state, d.lastErrorKind ?? d.lastError]).sort()
    expect(states).toEqual([['failed', 'sms_opted_out'], ['published', null], ['skipped', 'skipped']])
  })

  it('a 429 puts the SMS back in the queue and it goes out on a later pass', async () => {
    const drip = await makeDrip({ steps: [{ kind: 'sms', text: 'Hello' }] })
    await enrollContact(h.services, { workspaceId: h.workspaceId, dripId: drip.id, input: { contactId: await texter('ada@example.com') } })
    twilio.injectFault({ kind: 'rate-limit' })
    await drain()
    expect(twilio.messages).toHaveLength(0)
    expect((await smsDeliveries(drip.id))[0]).toMatchObject({ state: 'queued', lastErrorKind: 'rate-limited' })
    h.clock.advance(10 * 60_000)
    await drain()
    expect(textsTo('+14155552671')).toEqual(['Hello'])
    expect((await smsDeliveries(drip.id))[0]).toMatchObject({ state: 'published', attempts: 2 })
  })

  it('keeps SMS out of quiet hours in the contact’s zone (21:00–08:00 by default)', async () => {
    // T0 is 08:00 UTC: midnight in Los Angeles.
    const drip = await makeDrip({ steps: [{ kind: 'sms', text: 'Good morning' }] })
    await enrollContact(h.services, { workspaceId: h.workspaceId, dripId: drip.id, input: { contactId: await texter('la@example.com', { timezone: 'America/Los_Angeles' }) } })
    await drain()
    expect(twilio.messages).toHaveLength(0)
    const [e] = await listEnrollments(h.database.db, { workspaceId: h.workspaceId, dripId: drip.id })
    expect(e!.nextDueAt!.toISOString()).toBe('2026-11-02T16:00:00.000Z')
    h.clock.set(new Date('2026-11-02T16:00:00Z'))
    await drain()
    expect(textsTo('+14155552671')).toEqual(['Good morning'])
    expect(T0.toISOString()).toBe('2026-11-02T08:00:00.000Z')
  })

  it('an sms_reply trigger enrolls the contact who texts its keyword', async () => {
    const drip = await makeDrip({ triggers: [{ kind: 'sms_reply', keyword: 'demo' }], steps: [{ subject: 'Your demo', markdown: 'Book a slot' }] })
    await texter('ada@example.com')
    expect(await inbound('+14155552671', 'DEMO')).toMatchObject({ kind: 'reply', enrolled: 1 })
    expect(await inbound('+14155552671', 'something else')).toMatchObject({ kind: 'reply', enrolled: 0 })
    await drain()
    expect(emailsTo('ada@example.com')).toEqual(['Your demo'])
    expect((await getDrip(h.services, { workspaceId: h.workspaceId, dripId: drip.id })).settings.triggers).toEqual([{ kind: 'sms_reply', keyword: 'DEMO' }])
  })
})

describe('saving SMS steps, numbers and settings', () => {
  it('refuses an unknown merge field in an SMS text, naming steps.N.text, and saves nothing', async () => {
    const error = await createDrip(h.services, { workspaceId: h.workspaceId, input: { name: 'Bad', steps: [{ subject: 'A', markdown: 'B' }, { kind: 'sms', text: 'Hi {{ contact.frist_name }}' }] } }).catch((e: unknown) => e)
    expect(error).toMatchObject({ field: 'steps.1.text', status: 400 })
    expect((error as Error).message).toContain('unknown merge field “contact.frist_name”')
  })

  it('refuses an SMS step without text or with email fields, and a text over 10 segments', async () => {
    const bad = (step: unknown) => createDrip(h.services, { workspaceId: h.workspaceId, input: { name: 'Bad', steps: [step] } }).catch((e: unknown) => e)
    expect(await bad({ kind: 'sms' })).toMatchObject({ field: 'steps.0.text' })
    expect(await bad({ kind: 'sms', text: 'x', subject: 'y' })).toMatchObject({ field: 'steps.0.subject' })
    expect(await bad({ kind: 'sms', text: '✓'.repeat(671) })).toMatchObject({ field: 'steps.0.text', message: expect.stringContaining('10 SMS segments') })
  })

  it('refuses a bad phone number naming `phone`, and nothing is saved', async () => {
    const error = await createContactFromApi(h.services, { workspaceId: h.workspaceId, input: { email: 'x@example.com', phone: '555-12' } }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(InputError)
    expect(error).toMatchObject({ field: 'phone', status: 400 })
    const again = await createContactFromApi(h.services, { workspaceId: h.workspaceId, input: { email: 'x@example.com' } })
    expect(again.phone).toBeNull()
    await expect(updateContactFromApi(h.services, { workspaceId: h.workspaceId, contactId: again.id, input: { smsConsent: { text: 'ok' } } })).rejects.toMatchObject({ field: 'smsConsent' })
    const updated = await updateContactFromApi(h.services, { workspaceId: h.workspaceId, contactId: again.id, input: { phone: '+44 20 7946 0958', smsConsent: { text: 'Yes, text me', source: 'form:x' } } })
    expect(updated).toMatchObject({ phone: '+442079460958', smsConsent: { source: 'form:x', text: 'Yes, text me', at: h.clock.now().toISOString() } })
    // A new number drops the consent given for the old one.
    const moved = await updateContactFromApi(h.services, { workspaceId: h.workspaceId, contactId: again.id, input: { phone: '+1 415 555 2671' } })
    expect(moved).toMatchObject({ phone: '+14155552671', smsConsent: null })
  })

  it('an SMS drip cannot be activated until SMS is set up (422 naming sms)', async () => {
    const h2 = await startDripHarness()
    try {
      const drip = await createDrip(h2.services, { workspaceId: h2.workspaceId, input: { name: 'Texts', steps: [{ kind: 'sms', text: 'Hi' }] } })
      await expect(activateDrip(h2.services, { workspaceId: h2.workspaceId, dripId: drip.id })).rejects.toMatchObject({ field: 'sms', status: 422 })
    } finally {
      await h2.close()
    }
  })

  it('validates the Twilio settings by field and keeps the auth token when it is left empty', async () => {
    const save = (input: Record<string, unknown>) => saveSmsSettings(h.services, { workspaceId: h.workspaceId, input }).catch((e: unknown) => e)
    expect(await save({ accountSid: 'nope' })).toMatchObject({ field: 'accountSid' })
    expect(await save({ accountSid: twilio.accountSid, fromNumber: 'abc' })).toMatchObject({ field: 'fromNumber' })
    expect(await save({ accountSid: twilio.accountSid, fromNumber: '+15005550006', pricePerSegment: -1 })).toMatchObject({ field: 'pricePerSegment' })
    const kept = await save({ accountSid: twilio.accountSid, authToken: '', fromNumber: '+1 500 555 0006', pricePerSegment: '0.01' })
    expect(kept).toMatchObject({ configured: true, accountSid: twilio.accountSid, fromNumber: '+15005550006', pricePerSegment: 0.01 })
    expect(JSON.stringify(kept)).not.toContain(twilio.authToken)
  })
})
