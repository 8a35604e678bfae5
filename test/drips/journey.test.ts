import { and, eq } from 'drizzle-orm'
import { createMailConnector, type MailConnector } from '../../connectors/mail/index'
import { createSmsConnector, type SmsConnector } from '../../connectors/sms/index'
import { listEnrollments } from '../../db/queries/enrollments'
import { contacts, deliveries, scoreChanges, smsSuppressions } from '../../db/schema'
import { enrollContact } from '../../core/drips.server'
import { createContactFromApi } from '../../core/contacts.server'
import { recordTrackedActivity } from '../../core/email.server'
import { verifyEmailToken } from '../../core/email-links.server'
import { saveMailSettings } from '../../core/mail.server'
import { handleInboundSms, saveSmsSettings, smsWebhookUrls } from '../../core/sms.server'
import { startDripHarness, type DripHarness } from './harness'
import { startLobApiServer, type LobApiServer } from '../servers/lob-api'
import { startTwilioApiServer, type TwilioApiServer } from '../servers/twilio-api'

/**
 * Issue 19's journey, on one runner, through the real twilio and Lob clients against their loopback
 * servers and nodemailer against a loopback smtp-server: a contact clicks email 1 → an action adds
 * 2 points and a tag → an SMS goes out → a STOP reply stops texts but not email → email 2 bounces hard
 * (550 at RCPT TO) → a bounce-triggered drip sends a postcard.
 */

let h: DripHarness
let twilio: TwilioApiServer
let lob: LobApiServer
let sms: SmsConnector
let mail: MailConnector
beforeEach(async () => {
  h = await startDripHarness()
  ;[twilio, lob] = await Promise.all([startTwilioApiServer(), startLobApiServer()])
  sms = createSmsConnector({ apiBaseUrl: twilio.url })
  mail = createMailConnector({ apiBaseUrl: lob.url })
  await saveSmsSettings(h.services, { workspaceId: h.workspaceId, input: { accountSid: twilio.accountSid, authToken: twilio.authToken, fromNumber: twilio.fromNumber } })
  await saveMailSettings(h.services, { workspaceId: h.workspaceId, input: { apiKey: lob.apiKey, webhookSecret: 'whsec_loopback_0123456789', returnAddress: { name: 'Brand Inc', line1: '1 Main St', city: 'Springfield', state: 'IL', zip: '62701' }, postcardPrice: 0.7 } })
})
afterEach(async () => {
  await Promise.all([twilio?.close(), lob?.close()])
  await h?.close()
})

const DAY = 24 * 3_600_000
const PHONE = '+14155552671'
const drain = () => h.drain({ sms, mail })

describe('the drip journey across channels (issue 19)', () => {
  it('click → score +2 and a tag → SMS → STOP stops texts only → hard bounce on email 2 → postcard', async () => {
    const journey = await h.activeDrip({
      name: 'Journey',
      steps: [
        { subject: 'Email 1', markdown: 'Hi {{ contact.first_name }}, see [the offer](https://brand.test/offer).' },
        { kind: 'action', action: { type: 'score', points: 2 }, delay: 'P1D', condition: { kind: 'email', activity: 'clicked', step: 0 } },
        { kind: 'action', action: { type: 'add_tag', tag: 'clicked-offer' } },
        { kind: 'sms', text: 'Thanks for looking, {{ contact.first_name }}! Reply STOP to stop.' },
        { kind: 'sms', text: 'Last chance for the offer', delay: 'P1D' },
        { subject: 'Email 2', markdown: 'Still interested?' },
      ],
    })
    const postcard = await h.activeDrip({
      name: 'Bounced: send a postcard',
      triggers: [{ kind: 'email_activity', activity: 'bounced', dripId: journey.id, step: 5 }],
      steps: [{ kind: 'mail', mail: { piece: 'postcard', front: '<h1>Hello {{ contact.first_name }}</h1>', back: '<p>We could not reach you by email.</p>' } }],
    })
    const ada = await createContactFromApi(h.services, {
      workspaceId: h.workspaceId,
      input: {
        email: 'ada@example.com',
        name: 'Ada Lovelace',
        timezone: 'Europe/Berlin',
        phone: '+1 415 555 2671',
        smsConsent: { source: 'form:checkout', text: 'Text me offers. Reply STOP to stop.' },
        postalAddress: { name: 'Ada Lovelace', line1: '185 Berry St', city: 'San Francisco', state: 'CA', zip: '94107' },
      },
    })
    await enrollContact(h.services, { workspaceId: h.workspaceId, dripId: journey.id, input: { contactId: ada.id } })

    // Day 0: email 1. The contact clicks its tracked link.
    expect(await drain()).toBe(1)
    const [email1] = h.sentTo('ada@example.com')
    expect(email1!.parsed.subject).toBe('Email 1')
    const token = /\/t\/c\/([^"]+)"/.exec(email1!.parsed.html as string)![1]!.replace(/&amp;/g, '&')
    const claims = verifyEmailToken(h.services, 'click', token)!
    expect(claims.url).toBe('https://brand.test/offer')
    await recordTrackedActivity(h.services, { claims, type: 'clicked' })

    // Day 1: the click condition holds → +2 points and a tag, then the first text.
    h.clock.advance(DAY)
    await drain()
    let [contact] = await h.database.db.select().from(contacts).where(eq(contacts.id, ada.id))
    expect(contact!.leadScore).toBe(2)
    expect(contact!.tags).toEqual(['clicked-offer'])
    expect(await h.database.db.select({ points: scoreChanges.points }).from(scoreChanges).where(eq(scoreChanges.contactId, ada.id))).toEqual([{ points: 2 }])
    expect(twilio.messages.map((m) => [m.to, m.body])).toEqual([[PHONE, 'Thanks for looking, Ada! Reply STOP to stop.']])

    // A STOP reply: texts stop, email does not.
    const url = smsWebhookUrls(h.services, h.workspaceId).inboundUrl
    const params = { AccountSid: twilio.accountSid, MessageSid: 'SM'.padEnd(34, '7'), From: PHONE, To: twilio.fromNumber, Body: 'STOP' }
    await handleInboundSms(h.services, { workspaceId: h.workspaceId, url, params, signature: twilio.sign(url, params) })
    expect(await h.database.db.select({ phone: smsSuppressions.phone }).from(smsSuppressions).where(eq(smsSuppressions.workspaceId, h.workspaceId))).toEqual([{ phone: PHONE }])

    // Day 2: the second text is skipped; email 2 is refused at RCPT TO (a hard bounce) → the postcard drip.
    h.smtp.rejected.add('ada@example.com')
    h.clock.advance(DAY)
    await drain()
    expect(twilio.messages).toHaveLength(1)
    const step = (i: number) => journey.steps[i]!.id
    const rows = await h.database.db.select().from(deliveries).where(eq(deliveries.sequenceId, journey.id))
    const of = (i: number) => rows.find((d) => d.stepId === step(i))
    expect(of(4)).toMatchObject({ state: 'skipped', lastError: 'opted out of SMS' })
    expect(of(5)).toMatchObject({ state: 'failed' })
    ;[contact] = await h.database.db.select().from(contacts).where(eq(contacts.id, ada.id))
    expect(contact!.status).toBe('bounced')
    expect(await listEnrollments(h.database.db, { workspaceId: h.workspaceId, dripId: postcard.id })).toMatchObject([{ contactId: ada.id, status: 'completed', source: `email_activity:bounced:${journey.id}:5:*` }])
    expect(lob.pieces).toHaveLength(1)
    expect(lob.pieces[0]!.body.front).toBe('<h1>Hello Ada</h1>')
    expect(lob.pieces[0]!.to).toMatchObject({ address_line1: '185 Berry St', address_zip: '94107' })
    const [card] = await h.database.db.select().from(deliveries).where(and(eq(deliveries.sequenceId, postcard.id), eq(deliveries.stepId, postcard.steps[0]!.id)))
    expect(card).toMatchObject({ state: 'published', remoteId: lob.pieces[0]!.id })
    // Email 1 is the only email that arrived.
    expect(h.sentTo('ada@example.com').map((m) => m.parsed.subject)).toEqual(['Email 1'])
  })
})
