import { randomBytes } from 'node:crypto'
import http from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { faultQueue, type FaultRule } from './faults'

/**
 * A loopback HTTP server that speaks the parts of Slack's Web API and OAuth v2 Trickle uses
 * (api.slack.com/methods): the consent page (`GET /oauth/v2/authorize`, which "picks" a channel for the
 * incoming-webhook scope and redirects back with a code), `oauth.v2.access`, `chat.postMessage` (with
 * `thread_ts` and message metadata), `conversations.history` (top-level messages, newest first, paged by
 * cursor, metadata only with `include_all_metadata`), `conversations.replies`, `chat.delete`. Answers are
 * HTTP 200 `{ ok: false, error }` for API errors (invalid_auth, channel_not_found, msg_too_long, no_text,
 * invalid_code), 429 with `Retry-After` (whole seconds) when rate limited.
 */

export type SlackFault = { kind: 'rate-limit'; resetAt?: Date } | { kind: 'unavailable'; apply?: boolean } | { kind: 'reset'; apply?: boolean }

export type SlackMessage = { ts: string; channel: string; text: string; threadTs?: string; metadata?: { event_type: string; event_payload: Record<string, unknown> } }

export type SlackApiServer = {
  url: string
  apiUrl: string
  authorizeUrl: string
  clientId: string
  clientSecret: string
  team: { id: string; name: string }
  channel: { id: string; name: string }
  messages: SlackMessage[]
  counters: { postsCreated: number; tokenExchanges: number }
  /** A bot token as if the app had been installed. */
  issueToken(): string
  injectFault(rule: FaultRule<SlackFault>): void
  close(): Promise<void>
}

export async function startSlackApiServer(): Promise<SlackApiServer> {
  const clientId = `${Date.now()}.${randomBytes(4).readUInt32BE()}`
  const clientSecret = randomBytes(16).toString('hex')
  const team = { id: 'T0TRICKLE', name: 'Trickle Team' }
  const channel = { id: 'C0LAUNCHES', name: '#launches' }
  const codes = new Map<string, { redirectUri: string; used: boolean }>()
  const tokens = new Set<string>()
  const messages: SlackMessage[] = []
  const counters = { postsCreated: 0, tokenExchanges: 0 }
  const faults = faultQueue<SlackFault>()
  const sockets = new Set<Socket>()
  let clockTs = Math.floor(Date.now() / 1000) * 1_000_000
  const nextTs = () => {
    clockTs = Math.max(clockTs + 1, Date.now() * 1000)
    return `${Math.floor(clockTs / 1_000_000)}.${String(clockTs % 1_000_000).padStart(6, '0')}`
  }
  const issueToken = () => {
    const token = `xoxb-${randomBytes(12).toString('hex')}`
    tokens.add(token)
    return token
  }

  const messageJson = (m: SlackMessage, withMetadata: boolean) => ({
    type: 'message',
    subtype: 'bot_message',
    ts: m.ts,
    text: m.text,
    bot_id: 'B0TRICKLE',
    ...(m.threadTs ? { thread_ts: m.threadTs } : {}),
    ...(withMetadata && m.metadata ? { metadata: m.metadata } : {}),
  })

  function api(method: string, fields: Record<string, string>, token: string | undefined): Record<string, unknown> {
    if (method === 'oauth.v2.access') {
      counters.tokenExchanges++
      if (fields.client_id !== clientId || fields.client_secret !== clientSecret) return { ok: false, error: 'invalid_client_id' }
      const pending = codes.get(fields.code ?? '')
      if (!pending || pending.used || pending.redirectUri !== fields.redirect_uri) return { ok: false, error: 'invalid_code' }
      pending.used = true
      return {
        ok: true,
        access_token: issueToken(),
        token_type: 'bot',
        scope: 'chat:write,chat:write.public,incoming-webhook,channels:history,groups:history',
        bot_user_id: 'U0TRICKLEBOT',
        app_id: 'A0TRICKLE',
        team,
        enterprise: null,
        incoming_webhook: { channel: channel.name, channel_id: channel.id, configuration_url: 'https://trickle.slack.com/services/B0', url: 'https://hooks.slack.com/services/T/B/x' },
      }
    }
    if (!token) return { ok: false, error: 'not_authed' }
    if (!tokens.has(token)) return { ok: false, error: 'invalid_auth' }
    if (fields.channel !== channel.id) return { ok: false, error: 'channel_not_found' }
    if (method === 'chat.postMessage') {
      const text = fields.text ?? ''
      if (!text.trim()) return { ok: false, error: 'no_text' }
      if (text.length > 40_000) return { ok: false, error: 'msg_too_long' }
      if (fields.thread_ts && !messages.some((m) => m.ts === fields.thread_ts && !m.threadTs)) return { ok: false, error: 'thread_not_found' }
      const metadata = fields.metadata ? (JSON.parse(fields.metadata) as SlackMessage['metadata']) : undefined
      const message: SlackMessage = { ts: nextTs(), channel: channel.id, text, threadTs: fields.thread_ts || undefined, metadata }
      messages.push(message)
      counters.postsCreated++
      return { ok: true, channel: channel.id, ts: message.ts, message: messageJson(message, true) }
    }
    const withMetadata = fields.include_all_metadata === 'true'
    if (method === 'conversations.history') {
      const oldest = Number(fields.oldest ?? 0)
      const top = messages.filter((m) => !m.threadTs && Number(m.ts) >= oldest).reverse()
      const limit = Math.min(Number(fields.limit ?? 100), 200)
      const start = Number(fields.cursor ? Buffer.from(fields.cursor, 'base64').toString() : 0)
      const page = top.slice(start, start + limit)
      const more = start + limit < top.length
      return { ok: true, messages: page.map((m) => messageJson(m, withMetadata)), has_more: more, response_metadata: { next_cursor: more ? Buffer.from(String(start + limit)).toString('base64') : '' } }
    }
    if (method === 'conversations.replies') {
      const parent = messages.find((m) => m.ts === fields.ts && !m.threadTs)
      if (!parent) return { ok: false, error: 'thread_not_found' }
      return { ok: true, messages: [parent, ...messages.filter((m) => m.threadTs === parent.ts)].map((m) => messageJson(m, withMetadata)), has_more: false }
    }
    if (method === 'chat.delete') {
      const index = messages.findIndex((m) => m.ts === fields.ts)
      if (index < 0) return { ok: false, error: 'message_not_found' }
      messages.splice(index, 1)
      return { ok: true, channel: channel.id, ts: fields.ts }
    }
    return { ok: false, error: 'unknown_method' }
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://loopback')
      const json = (status: number, body: unknown, headers: Record<string, string> = {}) => res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers }).end(JSON.stringify(body))
      if (req.method === 'GET' && url.pathname === '/oauth/v2/authorize') {
        const redirectUri = url.searchParams.get('redirect_uri') ?? ''
        if (url.searchParams.get('client_id') !== clientId || !redirectUri) return json(400, { ok: false, error: 'invalid_client_id' })
        const code = randomBytes(12).toString('hex')
        codes.set(code, { redirectUri, used: false })
        const back = new URL(redirectUri)
        back.searchParams.set('code', code)
        back.searchParams.set('state', url.searchParams.get('state') ?? '')
        return res.writeHead(302, { location: back.toString() }).end()
      }
      const match = /^\/api\/([\w.]+)$/.exec(url.pathname)
      if (req.method !== 'POST' || !match) return json(404, { ok: false, error: 'unknown_method' })
      const method = match[1]!
      const raw = Buffer.concat(chunks).toString('utf8')
      const fields = (req.headers['content-type'] ?? '').includes('json') ? (JSON.parse(raw || '{}') as Record<string, string>) : Object.fromEntries(new URLSearchParams(raw))
      const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? fields.token
      const fault = method === 'chat.postMessage' ? faults.take('POST', `/api/${method}`) : null
      if (fault?.kind === 'rate-limit') {
        const resetAt = fault.resetAt ?? new Date(Date.now() + 30_000)
        return json(429, { ok: false, error: 'ratelimited' }, { 'retry-after': String(Math.max(1, Math.ceil((resetAt.getTime() - Date.now()) / 1000))) })
      }
      const unavailable = () => res.writeHead(503, { 'content-type': 'text/html' }).end('<html><body>Service Unavailable</body></html>')
      if (fault && !fault.apply) return fault.kind === 'reset' ? void req.socket.destroy() : unavailable()
      const answer = api(method, fields, token)
      if (fault?.kind === 'reset') return void req.socket.destroy()
      if (fault?.kind === 'unavailable') return unavailable()
      json(200, answer)
    })
  })
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    url: base,
    apiUrl: `${base}/api/`,
    authorizeUrl: `${base}/oauth/v2/authorize`,
    clientId,
    clientSecret,
    team,
    channel,
    messages,
    counters,
    issueToken,
    injectFault: (rule) => faults.inject(rule),
    close: async () => {
      for (const socket of sockets) socket.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
