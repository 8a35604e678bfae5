import { eq } from 'drizzle-orm'
import { createEmailConnector } from '../../connectors/email/index'
import { deliveries } from '../../db/schema'
import { dripRunnerDeps, runDripPass } from '../../core/drips/runner.server'
import { startEmailApp, type EmailTestApp } from '../email/setup'
import { startTwilioApiServer, type TwilioApiServer } from '../servers/twilio-api'

/**
 * SMS through the built app (decision 081): the settings page, the contacts and drips API, the runner
 * sending to the loopback Twilio server, and Twilio's webhooks posted by that server to the app's real URLs.
 */
let t: EmailTestApp
let twilio: TwilioApiServer
const email = createEmailConnector({ allowPrivateNetworkHosts: true })
beforeAll(async () => {
  twilio = await startTwilioApiServer()
  t = await startEmailApp({ worker: false, env: { TWILIO_API_BASE_URL: twilio.url } })
})
afterAll(async () => {
  email.close()
  await t?.close()
  await twilio?.close()
})
const run = () => runDripPass(dripRunnerDeps(t.app.services, { email }))
const json = async (r: Response) => (await r.json()) as Record<string, any>

describe('SMS through the app', () => {
  it('Settings → SMS: refuses a bad account SID by field, saves the account, never shows the token', async () => {
    const page = await (await t.browser.get('/app/settings/sms')).text()
    expect(page).toContain('SMS is not set up')
    expect(page).toContain(`/webhooks/twilio/${t.workspaceId}/inbound`)
    const bad = await t.browser.submit('/app/settings/sms', { accountSid: 'AC123', authToken: twilio.authToken, fromNumber: twilio.fromNumber })
    expect(bad.status).toBe(400)
    expect(await bad.text()).toContain('accountSid: must be a Twilio account SID')
    const saved = await t.browser.submit('/app/settings/sms', { accountSid: twilio.accountSid, authToken: twilio.authToken, fromNumber: twilio.fromNumber, pricePerSegment: '0.0079', currency: 'USD', helpText: 'Brand: reply STOP to stop.' })
    expect(saved.status).toBe(200)
    const after = await (await t.browser.get('/app/settings/sms')).text()
    expect(after).not.toContain('SMS is not set up')
    expect(after).not.toContain(twilio.authToken)
  })

  it('contacts API: a bad phone is a 400 naming `phone` and nothing is saved; a good one is stored as E.164 with its SMS consent', async () => {
    const bad = await t.api('POST', '/api/v1/contacts', { email: 'badphone@example.com', phone: '12' })
    expect(bad.status).toBe(400)
    expect((await json(bad)).error).toMatchObject({ field: 'phone' })
    const list = await json(await t.api('GET', '/api/v1/contacts?limit=100'))
    expect(JSON.stringify(list)).not.toContain('badphone@example.com')
    const ok = await t.api('POST', '/api/v1/contacts', { email: 'ada@example.com', name: 'Ada', phone: '+1 (415) 555-2671', smsConsent: { source: 'checkout', text: 'Text me offers' } })
    expect(ok.status).toBe(201)
    expect(await json(ok)).toMatchObject({ phone: '+14155552671', smsConsent: { source: 'checkout', text: 'Text me offers' } })
  })

  it('journey: SMS sent → status callbacks delivered; STOP by text suppresses SMS but not email; HELP answers', async () => {
    const refused = await t.api('POST', '/api/v1/drips', { name: 'Bad', steps: [{ kind: 'sms', text: 'Hi {{ contact.nope }}' }] })
    expect(refused.status).toBe(400)
    expect((await json(refused)).error).toMatchObject({ field: 'steps.0.text' })
    const created = await json(
      await t.api('POST', '/api/v1/drips', {
        name: 'Texts',
        steps: [{ kind: 'sms', text: 'Hi {{ contact.first_name }}!' }, { subject: 'Email', markdown: 'Still mailed', delay: 'PT1H' }, { kind: 'sms', text: 'Second text', delay: 'PT1H' }],
      }),
    )
    expect(created.steps.map((s: { kind: string }) => s.kind)).toEqual(['sms', 'email', 'sms'])
    expect(created.steps[0].settings.quietHours).toEqual({ start: '21:00', end: '08:00' })
    expect((await t.api('POST', `/api/v1/drips/${created.id}/activate`)).status).toBe(200)
    expect((await t.api('POST', `/api/v1/drips/${created.id}/enrollments`, { email: 'ada@example.com' })).status).toBeLessThan(300)
    await run()
    expect(twilio.messages.map((m) => [m.to, m.body])).toEqual([['+14155552671', 'Hi Ada!']])
    const message = twilio.messages[0]!
    expect(message.statusCallback).toBe(`${t.app.url}/webhooks/twilio/${t.workspaceId}/status`)
    // Twilio posts the status changes to the app; the signature is checked with the saved auth token.
    expect(await twilio.advance(message.sid, ['sent', 'delivered'])).toEqual([204, 204])
    const [d] = await t.app.services.database.db.select().from(deliveries).where(eq(deliveries.remoteId, message.sid))
    expect(d).toMatchObject({ state: 'published', providerStatus: 'delivered' })
    const unsigned = await fetch(message.statusCallback!, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ MessageSid: message.sid, MessageStatus: 'failed' }) })
    expect(unsigned.status).toBe(403)

    const inboundUrl = `${t.app.url}/webhooks/twilio/${t.workspaceId}/inbound`
    const stop = await twilio.inbound(inboundUrl, { from: '+14155552671', body: 'STOP' })
    expect(stop.status).toBe(200)
    expect(stop.body).toContain('<Response')
    const help = await twilio.inbound(inboundUrl, { from: '+14155552671', body: 'help' })
    expect(help.body).toContain('<Message>Brand: reply STOP to stop.</Message>')
    t.clock.advance(3_600_000)
    await run()
    t.clock.advance(3_600_000)
    await run()
    expect(twilio.messages).toHaveLength(1)
    expect(t.smtp.messages.filter((m) => m.envelope.to.includes('ada@example.com')).map((m) => m.parsed.subject)).toEqual(['Email'])
    const view = await json(await t.api('GET', `/api/v1/drips/${created.id}`))
    expect(view.steps[2].counts).toMatchObject({ skipped: 1 })
  })
})
