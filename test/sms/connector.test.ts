import { randomUUID } from 'node:crypto'
import { createSmsConnector, smsRecipientRefusal, twilioCredentials, type SmsConnector } from '../../connectors/sms/index'
import { ConnectorError, type ChannelContent } from '../../connectors/types'
import { runConnectorContract } from '../contract/connector'
import { startTwilioApiServer, type TwilioApiServer } from '../servers/twilio-api'

const sms = (body: string, to = '+14155552671'): ChannelContent => ({ parts: [], sms: { to, body } })

runConnectorContract('sms (Twilio)', { refresh: false, lookup: false, idempotent: false }, async () => {
  const twilio = await startTwilioApiServer()
  const connector = createSmsConnector({ apiBaseUrl: twilio.url })
  return {
    connector,
    credentials: async () => twilioCredentials({ accountSid: twilio.accountSid, authToken: twilio.authToken, from: twilio.fromNumber }),
    content: (label) => sms(label),
    postsCreated: () => twilio.counters.created,
    failNextPublishWithRateLimit: (resetAt) => twilio.injectFault({ kind: 'rate-limit', resetAt }),
    failNextPublishWithUnavailable: (args) => twilio.injectFault({ kind: 'unavailable', apply: args?.apply }),
    resetNextPublishAfterApplying: () => twilio.injectFault({ kind: 'reset', apply: true }),
    close: () => twilio.close(),
  }
})

describe('SMS connector against the loopback Twilio Messages API', () => {
  let twilio: TwilioApiServer
  let connector: SmsConnector
  beforeAll(async () => {
    twilio = await startTwilioApiServer()
    connector = createSmsConnector({ apiBaseUrl: twilio.url })
  })
  afterAll(async () => {
    await twilio?.close()
  })
  const credentials = () => twilioCredentials({ accountSid: twilio.accountSid, authToken: twilio.authToken, from: twilio.fromNumber })

  it('creates a message with To, From, Body and StatusCallback under basic auth and returns its SID', async () => {
    const result = await connector.publish({ credentials: credentials(), content: { parts: [], sms: { to: '+14155552671', body: 'Hi Ann ✓', statusCallback: 'https://app.test/webhooks/twilio/x/status' } }, idempotencyKey: randomUUID() })
    expect(result.remoteId).toMatch(/^SM[0-9a-f]{32}$/)
    const m = twilio.messages.find((x) => x.sid === result.remoteId)!
    expect(m).toMatchObject({ to: '+14155552671', from: twilio.fromNumber, body: 'Hi Ann ✓', statusCallback: 'https://app.test/webhooks/twilio/x/status' })
  })

  it('sends through a messaging service when one is set', async () => {
    const mg = `MG${'a'.repeat(32)}`
    const result = await connector.publish({ credentials: twilioCredentials({ accountSid: twilio.accountSid, authToken: twilio.authToken, messagingServiceSid: mg }), content: sms('via service'), idempotencyKey: randomUUID() })
    expect(twilio.messages.find((x) => x.sid === result.remoteId)).toMatchObject({ messagingServiceSid: mg, from: null })
  })

  it('21610 (unsubscribed recipient) is a refusal of the recipient: opted_out', async () => {
    twilio.optedOut.add('+14155550100')
    const error = await connector.publish({ credentials: credentials(), content: sms('to an opted-out number', '+14155550100'), idempotencyKey: randomUUID() }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ConnectorError)
    expect(error).toMatchObject({ kind: 'invalid-content', detail: { status: 400, code: '21610' } })
    expect(smsRecipientRefusal(error)).toBe('opted_out')
  })

  it('a 429 is rate-limited until the Retry-After time', async () => {
    const resetAt = new Date(Math.ceil(Date.now() / 1000) * 1000 + 30_000)
    twilio.injectFault({ kind: 'rate-limit', resetAt })
    const error = (await connector.publish({ credentials: credentials(), content: sms('busy'), idempotencyKey: randomUUID() }).catch((e: unknown) => e)) as ConnectorError
    expect(error.kind).toBe('rate-limited')
    expect(error.resetAt?.toISOString()).toBe(resetAt.toISOString())
  })

  it('refuses content without an E.164 number before calling Twilio', async () => {
    expect(connector.validate(sms('hi', '0415 555'))).toEqual([{ path: 'sms.to', message: 'must be an E.164 phone number' }])
    const before = twilio.counters.created + twilio.counters.refused
    await expect(connector.publish({ credentials: credentials(), content: sms('hi', '555'), idempotencyKey: randomUUID() })).rejects.toMatchObject({ kind: 'invalid-content' })
    expect(twilio.counters.created + twilio.counters.refused).toBe(before)
  })

  it('a refused connection is transient (nothing was sent)', async () => {
    const dead = createSmsConnector({ apiBaseUrl: 'http://127.0.0.1:9' })
    await expect(dead.publish({ credentials: credentials(), content: sms('nobody home'), idempotencyKey: randomUUID() })).rejects.toMatchObject({ kind: 'transient' })
  })
})
