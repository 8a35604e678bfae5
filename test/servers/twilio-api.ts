import { createHmac, randomBytes } from 'node:crypto'
import http from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { faultQueue, type FaultRule } from './faults'

/**
 * A loopback HTTP server that speaks the part of Twilio's REST API Trickle uses (docs/decisions/081-sms-step.md),
 * modelled on Twilio's docs: `POST /2010-04-01/Accounts/{AccountSid}/Messages.json` (form-encoded To, From or
 * MessagingServiceSid, Body, StatusCallback) with HTTP basic auth `AccountSid:AuthToken`; a 201 answer with
 * the Message resource; errors as `{ code, message, more_info, status }` (20003 authenticate, 21211 invalid
 * To, 21610 unsubscribed recipient, 20429 too many requests with Retry-After). It also plays Twilio's side of
 * the webhooks: status callbacks and inbound texts, signed with X-Twilio-Signature (HMAC-SHA1 over the URL
 * and the sorted form fields, computed here independently of the twilio package).
 */

export type TwilioFault =
  /** 429 with `Retry-After` as an HTTP date (default: a minute ahead). */
  | { kind: 'rate-limit'; resetAt?: Date }
  /** 503; with `apply`, the message is created first. */
  | { kind: 'unavailable'; apply?: boolean }
  /** The connection is destroyed before an answer; with `apply`, after the message was created. */
  | { kind: 'reset'; apply?: boolean }

export type TwilioMessage = { sid: string; accountSid: string; to: string; from: string | null; messagingServiceSid: string | null; body: string; statusCallback: string | null; status: string; createdAt: Date }

export type TwilioApiServer = {
  url: string
  accountSid: string
  authToken: string
  fromNumber: string
  messages: TwilioMessage[]
  /** Numbers that answer 21610 (they texted STOP to the sender at the carrier). */
  optedOut: Set<string>
  counters: { created: number; unauthorized: number; refused: number }
  injectFault(rule: FaultRule<TwilioFault>): void
  /** Post the message's status callbacks in order (as Twilio does), signed; resolves to each answer's HTTP status. */
  advance(sid: string, statuses: string[], extra?: { errorCode?: string }): Promise<number[]>
  /** Post an inbound text to `url` (the number's messaging webhook), signed; resolves to the answer. */
  inbound(url: string, args: { from: string; body: string; to?: string; messageSid?: string }): Promise<{ status: number; body: string }>
  /** The signature Twilio would send for this URL and form. */
  sign(url: string, params: Record<string, string>): string
  close(): Promise<void>
}

const hex = (n: number) => randomBytes(n).toString('hex')

export function twilioSignature(authToken: string, url: string, params: Record<string, string>): string {
  const data = url + Object.keys(params).sort().map((k) => k + params[k]).join('')
  return createHmac('sha1', authToken).update(Buffer.from(data, 'utf8')).digest('base64')
}

export async function startTwilioApiServer(options: { accountSid?: string; authToken?: string; fromNumber?: string } = {}): Promise<TwilioApiServer> {
  const accountSid = options.accountSid ?? `AC${hex(16)}`
  const authToken = options.authToken ?? hex(16)
  const fromNumber = options.fromNumber ?? '+15005550006'
  const messages: TwilioMessage[] = []
  const optedOut = new Set<string>()
  const counters = { created: 0, unauthorized: 0, refused: 0 }
  const faults = faultQueue<TwilioFault>()
  const sockets = new Set<Socket>()

  const error = (res: http.ServerResponse, status: number, code: number, message: string, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'Content-Type': 'application/json', ...headers })
    res.end(JSON.stringify({ code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status }))
  }

  const resource = (m: TwilioMessage) => ({
    sid: m.sid,
    account_sid: m.accountSid,
    to: m.to,
    from: m.from,
    messaging_service_sid: m.messagingServiceSid,
    body: m.body,
    status: m.status,
    num_segments: '1',
    direction: 'outbound-api',
    api_version: '2010-04-01',
    date_created: m.createdAt.toUTCString(),
    date_updated: m.createdAt.toUTCString(),
    date_sent: null,
    error_code: null,
    error_message: null,
    price: null,
    price_unit: 'USD',
    uri: `/2010-04-01/Accounts/${m.accountSid}/Messages/${m.sid}.json`,
  })

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://localhost')
      const match = /^\/2010-04-01\/Accounts\/([^/]+)\/Messages\.json$/.exec(url.pathname)
      if (!match || req.method !== 'POST') return error(res, 404, 20404, 'The requested resource was not found')
      const auth = /^Basic (.+)$/.exec(req.headers.authorization ?? '')
      const [user, pass] = auth ? Buffer.from(auth[1]!, 'base64').toString().split(':') : []
      if (user !== accountSid || pass !== authToken || match[1] !== accountSid) {
        counters.unauthorized++
        return error(res, 401, 20003, 'Authenticate')
      }
      const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'))
      const fault = faults.take('POST', url.pathname)
      if (fault?.kind === 'rate-limit') {
        const resetAt = fault.resetAt ?? new Date(Date.now() + 60_000)
        return error(res, 429, 20429, 'Too Many Requests', { 'Retry-After': resetAt.toUTCString() })
      }
      const to = form.get('To') ?? ''
      const body = form.get('Body') ?? ''
      const from = form.get('From')
      const messagingServiceSid = form.get('MessagingServiceSid')
      if (!to) return error(res, 400, 21604, "A 'To' phone number is required.")
      if (!/^\+[1-9]\d{6,14}$/.test(to)) return error(res, 400, 21211, `The 'To' number ${to} is not a valid phone number.`)
      if (!from && !messagingServiceSid) return error(res, 400, 21603, "A 'From' or 'MessagingServiceSid' parameter is required to send a message.")
      if (!body) return error(res, 400, 21602, 'Message body is required.')
      if (body.length > 1600) return error(res, 400, 21617, 'The concatenated message body exceeds the 1600 character limit.')
      if (optedOut.has(to)) {
        counters.refused++
        return error(res, 400, 21610, 'Attempt to send to unsubscribed recipient')
      }
      const create = () => {
        const m: TwilioMessage = { sid: `SM${hex(16)}`, accountSid, to, from, messagingServiceSid, body, statusCallback: form.get('StatusCallback'), status: 'queued', createdAt: new Date() }
        messages.push(m)
        counters.created++
        return m
      }
      if (fault?.kind === 'unavailable') {
        if (fault.apply) create()
        return error(res, 503, 20500, 'Service Unavailable')
      }
      if (fault?.kind === 'reset') {
        if (fault.apply) create()
        return req.socket.destroy()
      }
      const m = create()
      res.writeHead(201, { 'Content-Type': 'application/json' })
      res.end(JSON.stringify(resource(m)))
    })
  })
  server.on('connection', (s) => {
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`

  const post = async (target: string, params: Record<string, string>) => {
    const response = await fetch(target, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'X-Twilio-Signature': twilioSignature(authToken, target, params), 'I-Twilio-Idempotency-Token': hex(8) },
      body: new URLSearchParams(params).toString(),
    })
    return { status: response.status, body: await response.text() }
  }

  return {
    url,
    accountSid,
    authToken,
    fromNumber,
    messages,
    optedOut,
    counters,
    injectFault: (rule) => faults.inject(rule),
    sign: (target, params) => twilioSignature(authToken, target, params),
    async advance(sid, statuses, extra = {}) {
      const m = messages.find((x) => x.sid === sid)
      if (!m?.statusCallback) throw new Error(`no message ${sid} with a StatusCallback`)
      const answers: number[] = []
      for (const status of statuses) {
        m.status = status
        const params: Record<string, string> = { AccountSid: accountSid, ApiVersion: '2010-04-01', MessageSid: sid, SmsSid: sid, MessageStatus: status, SmsStatus: status, To: m.to, From: m.from ?? fromNumber }
        if (extra.errorCode && (status === 'failed' || status === 'undelivered')) params.ErrorCode = extra.errorCode
        answers.push((await post(m.statusCallback, params)).status)
      }
      return answers
    },
    async inbound(target, args) {
      const sid = args.messageSid ?? `SM${hex(16)}`
      return post(target, { AccountSid: accountSid, ApiVersion: '2010-04-01', MessageSid: sid, SmsSid: sid, SmsMessageSid: sid, From: args.from, To: args.to ?? fromNumber, Body: args.body, NumMedia: '0', NumSegments: '1' })
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      }),
  }
}
