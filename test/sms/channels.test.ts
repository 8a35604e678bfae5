import { eq } from 'drizzle-orm'
import { createSmsConnector, type SmsConnector } from '../../connectors/sms/index'
import { listEnrollments } from '../../db/queries/enrollments'
import { contacts, deliveries } from '../../db/schema'
import { enrollContact } from '../../core/drips.server'
import { createContactFromApi, updateContactFromApi } from '../../core/contacts.server'
import { unsubscribeContact } from '../../core/email.server'
import { handleInboundSms, saveSmsSettings, smsWebhookUrls } from '../../core/sms.server'
import { startDripHarness, type DripHarness } from '../drips/harness'
import { startTwilioApiServer, type TwilioApiServer } from '../servers/twilio-api'

/** Channel-aware suppression (decision 096): email's unsubscribe and bounce close email only; STOP closes SMS only; a complaint closes every channel. */

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

const DAY = 24 * 3_600_000
const drain = () => h.drain({ sms })
const emailsTo = (address: string) => h.smtp.messages.filter((m) => m.envelope.to.includes(address)).map((m) => m.parsed.subject)
const textsTo = (phone: string) => twilio.messages.filter((m) => m.to === phone).map((m) => m.body)
const PHONE = '+14155552671'

async function texter(email: string) {
  const c = await createContactFromApi(h.services, { workspaceId: h.workspaceId, input: { email, name: 'Ada Lovelace', timezone: 'Europe/Berlin', phone: '+1 415 555 2671', smsConsent: { source: 'form:checkout', text: 'Text me. Reply STOP to stop.' } } })
  return c.id
}
const stepStates = async (dripId: string, stepIds: string[]) => {
  const rows = await h.database.db.select().from(deliveries).where(eq(deliveries.sequenceId, dripId))
  return stepIds.map((id) => rows.filter((d) => d.stepId === id).map((d) => [d.state, d.lastError ?? null])[0] ?? null)
}

describe('channel-aware suppression', () => {
  it('an email unsubscribe skips the later email steps with the reason and the texts still go; an email-only remainder ends as before', async () => {
    const drip = await h.activeDrip({
      steps: [
        { subject: 'One', markdown: 'one' },
        { kind: 'sms', text: 'Text one' },
        { subject: 'Two', markdown: 'two', delay: 'P1D' },
        { kind: 'sms', text: 'Text two', delay: 'P1D' },
      ],
    })
    const emailOnly = await h.activeDrip({ name: 'Email only', steps: [{ subject: 'Only', markdown: 'x', delay: 'P1D' }] })
    const ada = await texter('ada@example.com')
    await enrollContact(h.services, { workspaceId: h.workspaceId, dripId: drip.id, input: { contactId: ada } })
    await enrollContact(h.services, { workspaceId: h.workspaceId, dripId: emailOnly.id, input: { contactId: ada } })
    expect(await drain()).toBe(2)
    await unsubscribeContact(h.services, { claims: { workspaceId: h.workspaceId, contactId: ada }, source: 'unsubscribe link' })
    h.clock.advance(DAY)
    await drain()
    h.clock.advance(DAY)
    await drain()
    expect(emailsTo('ada@example.com')).toEqual(['One'])
    expect(textsTo(PHONE)).toEqual(['Text one', 'Text two'])
    expect(await stepStates(drip.id, drip.steps.map((s) => s.id))).toEqual([
      ['published', null],
      ['published', null],
      ['skipped', 'email: contact unsubscribed'],
      ['published', null],
    ])
    const [inDrip] = await listEnrollments(h.database.db, { workspaceId: h.workspaceId, dripId: drip.id })
    expect(inDrip).toMatchObject({ status: 'completed' })
    const [inEmailOnly] = await listEnrollments(h.database.db, { workspaceId: h.workspaceId, dripId: emailOnly.id })
    expect(inEmailOnly).toMatchObject({ status: 'unsubscribed', endReason: 'suppressed' })
  })

  it('a STOP reply skips the later texts with the reason and the emails still go', async () => {
    const drip = await h.activeDrip({
      steps: [
        { kind: 'sms', text: 'Text one' },
        { subject: 'One', markdown: 'one', delay: 'P1D' },
        { kind: 'sms', text: 'Text two' },
        { subject: 'Two', markdown: 'two', delay: 'P1D' },
      ],
    })
    const ada = await texter('ada@example.com')
    await enrollContact(h.services, { workspaceId: h.workspaceId, dripId: drip.id, input: { contactId: ada } })
    await drain()
    const url = smsWebhookUrls(h.services, h.workspaceId).inboundUrl
    const params = { AccountSid: twilio.accountSid, MessageSid: 'SM'.padEnd(34, '1'), From: PHONE, To: twilio.fromNumber, Body: 'STOP' }
    await handleInboundSms(h.services, { workspaceId: h.workspaceId, url, params, signature: twilio.sign(url, params) })
    for (let d = 0; d < 2; d++) {
      h.clock.advance(DAY)
      await drain()
    }
    expect(textsTo(PHONE)).toEqual(['Text one'])
    expect(emailsTo('ada@example.com')).toEqual(['One', 'Two'])
    expect((await stepStates(drip.id, drip.steps.map((s) => s.id))).map((s) => s?.[0])).toEqual(['published', 'published', 'skipped', 'published'])
    expect((await stepStates(drip.id, [drip.steps[2]!.id]))[0]![1]).toBe('opted out of SMS')
    const [c] = await h.database.db.select().from(contacts).where(eq(contacts.id, ada))
    expect(c!.status).toBe('subscribed')
  })

  it('a complaint closes every channel: texts are skipped too; a drip of actions it triggers still runs for the complained contact', async () => {
    const welcome = await h.activeDrip({ steps: [{ kind: 'sms', text: 'Welcome text', delay: 'P1D' }] })
    const onComplaint = await h.activeDrip({
      name: 'On complaint',
      triggers: [{ kind: 'email_activity', activity: 'complained' }],
      steps: [{ kind: 'sms', text: 'Sorry', delay: 'P1D' }, { kind: 'action', action: { type: 'add_tag', tag: 'complained' } }],
    })
    const ada = await texter('ada@example.com')
    await enrollContact(h.services, { workspaceId: h.workspaceId, dripId: welcome.id, input: { contactId: ada } })
    await updateContactFromApi(h.services, { workspaceId: h.workspaceId, contactId: ada, input: { status: 'complained' } })
    h.clock.advance(DAY)
    await drain()
    expect(textsTo(PHONE)).toEqual([])
    expect(await listEnrollments(h.database.db, { workspaceId: h.workspaceId, dripId: welcome.id })).toMatchObject([{ status: 'unsubscribed', endReason: 'spam complaint' }])
    expect(await stepStates(onComplaint.id, onComplaint.steps.map((s) => s.id))).toEqual([['skipped', 'contact complained (spam)'], ['published', null]])
    expect(await listEnrollments(h.database.db, { workspaceId: h.workspaceId, dripId: onComplaint.id })).toMatchObject([{ status: 'completed' }])
    const [c] = await h.database.db.select().from(contacts).where(eq(contacts.id, ada))
    expect(c!.tags).toEqual(['complained'])
  })
})
