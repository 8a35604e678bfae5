import type TwilioSDK from 'twilio'
import type { RequestOptions } from 'twilio/lib/base/RequestClient'
import type { Clock } from '../../domain/clock'
import { ConnectorError, type ChannelContent, type Connector, type ContentProblem, type Credentials, type PublishArgs, type PublishResult } from '../types'

/**
 * SMS through Twilio's Messages API with the official `twilio` package (docs/decisions/081-sms-step.md).
 * One message to one recipient per publish (`content.sms`); credentials are the workspace's account SID
 * (`extra.accountSid`) and auth token (`accessToken`), with its sender (`extra.from` or
 * `extra.messagingServiceSid`). `apiBaseUrl` points the client at another host that speaks the same API
 * (a loopback server in tests): requests go through twilio's own RequestClient with the URL rewritten.
 *
 * Twilio's Messages API takes no idempotency key: a repeat sends again. The drip runner records each SMS
 * before and after its send, so only a crash between the two repeats one (counted by the crash test).
 */

export type SmsConnectorConfig = {
  /** Default https://api.twilio.com. */
  apiBaseUrl?: string
  /** Per request. Default 15 s. */
  timeoutMs?: number
  /** The services pass theirs (core/clock.ts); alone, a connector reads the wall clock. */
  clock?: Clock
}

export type SmsContent = NonNullable<ChannelContent['sms']>

/** Twilio error codes that refuse the recipient, not the message: never retried. */
const OPTED_OUT = new Set([21610])
const BAD_NUMBER = new Set([21211, 21214, 21217, 21401, 21407, 21408, 21421, 21612, 21614, 30006])

/** Why Twilio refused this recipient (the runner suppresses an opted-out number and skips a bad one), or null. */
export function smsRecipientRefusal(error: unknown): 'opted_out' | 'invalid_number' | null {
  if (!(error instanceof ConnectorError) || !error.detail?.code) return null
  const code = Number(error.detail.code)
  if (OPTED_OUT.has(code)) return 'opted_out'
  if (BAD_NUMBER.has(code)) return 'invalid_number'
  return null
}

/** Credentials of a Twilio account as the vault stores them. */
export function twilioCredentials(args: { accountSid: string; authToken: string; from?: string | null; messagingServiceSid?: string | null }): Credentials {
  const extra: Record<string, string> = { accountSid: args.accountSid }
  if (args.from) extra.from = args.from
  if (args.messagingServiceSid) extra.messagingServiceSid = args.messagingServiceSid
  return { accessToken: args.authToken, extra }
}

type Twilio = typeof TwilioSDK
let sdk: Promise<Twilio> | null = null
const loadSdk = () => (sdk ??= import('twilio').then((m) => (m.default ?? m) as Twilio))

export type SmsConnector = Connector<'sms'>

export function createSmsConnector(config: SmsConnectorConfig = {}): SmsConnector {
  const base = config.apiBaseUrl?.replace(/\/+$/, '')
  const clock = config.clock ?? { now: () => new Date() }
  let httpClient: Promise<InstanceType<Twilio['RequestClient']>> | null = null
  const client = () =>
    (httpClient ??= loadSdk().then((twilio) => {
      // twilio's RequestClient (axios), with the host swapped and 429's Retry-After kept (RestException drops headers).
      class Client extends twilio.RequestClient {
        override async request<T>(opts: RequestOptions<T>) {
          const response = await super.request<T>(base ? { ...opts, uri: opts.uri.replace(/^https:\/\/[^/]+/, base) } : opts)
          if (response.statusCode === 429) {
            const retryAfter = (response.headers as Record<string, string | undefined>)['retry-after']
            throw new ConnectorError('rate-limited', 'Twilio: too many requests (429)', { resetAt: parseRetryAfter(retryAfter, clock.now()), detail: { status: 429, code: '20429' } })
          }
          return response
        }
      }
      return new Client({ timeout: config.timeoutMs ?? 15_000, keepAlive: true })
    }))

  const twilioFor = async (credentials: Credentials) => {
    const accountSid = credentials.extra?.accountSid
    if (!accountSid || !credentials.accessToken) throw new ConnectorError('auth', 'Twilio: the account SID and auth token are not set')
    const [twilio, httpClientInstance] = await Promise.all([loadSdk(), client()])
    try {
      return twilio(accountSid, credentials.accessToken, { httpClient: httpClientInstance, autoRetry: false })
    } catch (error) {
      throw new ConnectorError('auth', `Twilio: ${(error as Error).message}`)
    }
  }

  return {
    kind: 'sms',
    displayName: 'SMS (Twilio)',
    reads: 'sms',
    // One message; Twilio concatenates up to 10 segments (1,600 characters).
    limits: { maxLength: 1600, maxMediaPerPost: 0, maxThreadLength: 1 },
    validate(content): ContentProblem[] {
      const sms = content.sms
      if (!sms) return [{ path: 'sms', message: 'an SMS connector sends a text message (content.sms)' }]
      const problems: ContentProblem[] = []
      if (!/^\+[1-9]\d{6,14}$/.test(sms.to)) problems.push({ path: 'sms.to', message: 'must be an E.164 phone number' })
      if (sms.body.trim() === '') problems.push({ path: 'sms.body', message: 'must not be empty' })
      if (sms.body.length > 1600) problems.push({ path: 'sms.body', message: 'must be at most 1600 characters' })
      return problems
    },
    async prepare() {
      await client()
    },
    async publish(args: PublishArgs): Promise<PublishResult> {
      // A single message: a known one is the message (nothing is sent again).
      if (args.resume?.partIds.length) return { remoteId: args.resume.partIds[0]!, partIds: args.resume.partIds.slice(0, 1) }
      const sms = args.content.sms
      const problems = this.validate(args.content)
      if (!sms || problems.length) throw new ConnectorError('invalid-content', problems.map((p) => `${p.path}: ${p.message}`).join('; '))
      const twilio = await twilioFor(args.credentials)
      const from = args.credentials.extra?.messagingServiceSid ? { messagingServiceSid: args.credentials.extra.messagingServiceSid } : { from: args.credentials.extra?.from ?? '' }
      try {
        const message = await twilio.messages.create({ to: sms.to, body: sms.body, ...from, ...(sms.statusCallback ? { statusCallback: sms.statusCallback } : {}) })
        return { remoteId: message.sid }
      } catch (error) {
        throw toConnectorError(error, clock.now())
      }
    },
  }
}

function parseRetryAfter(value: string | undefined, clockNow: Date): Date {
  const now = clockNow.getTime()
  if (value && /^\d+$/.test(value.trim())) return new Date(now + Number(value) * 1000)
  const at = value ? Date.parse(value) : NaN
  return Number.isFinite(at) ? new Date(at) : new Date(now + 60_000)
}

/** A failed create, in the connector taxonomy: a refusal Twilio answered (4xx) applied nothing; a 5xx, timeout or reset may have. */
function toConnectorError(error: unknown, now: Date): ConnectorError {
  if (error instanceof ConnectorError) return error
  const e = error as { status?: number; code?: number | string; message?: string; moreInfo?: string }
  if (typeof e.status === 'number') {
    const detail = { status: e.status, ...(e.code !== undefined ? { code: String(e.code) } : {}) }
    const message = `Twilio ${e.status}${e.code ? ` (${e.code})` : ''}: ${e.message ?? 'request failed'}`
    if (e.status === 401 || e.status === 403 || e.code === 20003) return new ConnectorError('auth', message, { detail, cause: error })
    if (e.status === 429) return new ConnectorError('rate-limited', message, { detail, resetAt: new Date(now.getTime() + 60_000), cause: error })
    if (e.status >= 500) return new ConnectorError('unknown-outcome', message, { detail, cause: error })
    return new ConnectorError('invalid-content', message, { detail, cause: error })
  }
  // No answer: a refused connection or failed lookup provably sent nothing; a reset or timeout may have.
  const code = (error as { code?: string }).code
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EAI_AGAIN') return new ConnectorError('transient', `Twilio unreachable: ${code}`, { cause: error })
  return new ConnectorError('unknown-outcome', `Twilio: ${(error as Error).message ?? String(error)}`, { cause: error })
}
