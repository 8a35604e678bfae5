import { randomBytes } from 'node:crypto'
import http from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { faultQueue, type FaultRule } from './faults'
import { multipartParts } from './multipart'

/**
 * A loopback HTTP server that speaks the parts of Discord's API (v10) an incoming webhook uses
 * (discord.com/developers/docs/resources/webhook): get the webhook (`GET /webhooks/{id}/{token}`),
 * execute it (`POST …?wait=true` with JSON or multipart `payload_json` + `files[n]`, answering the
 * message; without `wait`, 204), get and delete one of its messages. Every answer carries the route's
 * rate-limit headers (`X-RateLimit-Limit`, `-Remaining`, `-Reset` in epoch seconds, `-Reset-After`,
 * `-Bucket`), a bucket of `bucket.limit` requests per `bucket.windowMs` per webhook (Discord: 5 per 2 s);
 * an empty bucket answers 429 `{ message, retry_after, global: false }`. Errors as Discord words them:
 * 401 `{ code: 50027, message: 'Invalid Webhook Token' }`, 404 `{ code: 10015, message: 'Unknown Webhook' }`,
 * 400 `{ code: 50035, message: 'Invalid Form Body', errors }`.
 */

export type DiscordFault =
  | { kind: 'rate-limit'; resetAt?: Date; global?: boolean }
  /** Cloudflare's HTML 503 page; with `apply`, the message was created first. */
  | { kind: 'unavailable'; apply?: boolean }
  | { kind: 'reset'; apply?: boolean }

export type DiscordMessage = { id: string; webhookId: string; channelId: string; content: string; attachments: Array<{ filename: string; size: number; description?: string }>; allowedMentions: unknown }

export type DiscordApiServer = {
  url: string
  apiBaseUrl: string
  webhook: { id: string; token: string; name: string; channelId: string; guildId: string }
  /** The URL Discord's "Copy Webhook URL" gives, on this server. */
  webhookUrl: string
  messages: DiscordMessage[]
  counters: { postsCreated: number; rateLimited: number }
  injectFault(rule: FaultRule<DiscordFault>): void
  deleteWebhook(): void
  close(): Promise<void>
}

type Reply = { status: number; body?: unknown; headers?: Record<string, string>; raw?: string }

let snowflake = 1_300_000_000_000_000_000n
const nextSnowflake = () => (snowflake += 1n).toString()

export async function startDiscordApiServer(options: { bucket?: { limit: number; windowMs: number } } = {}): Promise<DiscordApiServer> {
  const bucket = options.bucket ?? { limit: 5, windowMs: 2000 }
  const webhook = { id: nextSnowflake(), token: randomBytes(48).toString('base64url'), name: 'Trickle', channelId: nextSnowflake(), guildId: nextSnowflake() }
  let webhookExists = true
  const messages: DiscordMessage[] = []
  const counters = { postsCreated: 0, rateLimited: 0 }
  const faults = faultQueue<DiscordFault>()
  const sockets = new Set<Socket>()
  let window = { start: 0, used: 0 }

  const fail = (status: number, code: number, message: string, extra: Record<string, unknown> = {}): Reply => ({ status, body: { message, code, ...extra } })
  const messageJson = (m: DiscordMessage) => ({
    id: m.id,
    type: 0,
    channel_id: m.channelId,
    webhook_id: m.webhookId,
    author: { id: m.webhookId, username: webhook.name, bot: true },
    content: m.content,
    attachments: m.attachments.map((a, i) => ({ id: `${m.id}${i}`, filename: a.filename, size: a.size, ...(a.description ? { description: a.description } : {}) })),
    timestamp: new Date().toISOString(),
  })

  /** The webhook's bucket: the headers of this answer, or a 429 when it is empty. */
  function take(): { headers: Record<string, string>; limited: Reply | null } {
    const now = Date.now()
    if (now >= window.start + bucket.windowMs) window = { start: now, used: 0 }
    const resetMs = window.start + bucket.windowMs
    const headers = (remaining: number) => ({
      'x-ratelimit-limit': String(bucket.limit),
      'x-ratelimit-remaining': String(remaining),
      'x-ratelimit-reset': String(resetMs / 1000),
      'x-ratelimit-reset-after': ((resetMs - now) / 1000).toFixed(3),
      'x-ratelimit-bucket': `webhook-${webhook.id}`,
    })
    if (window.used >= bucket.limit) {
      counters.rateLimited++
      const after = (resetMs - now) / 1000
      return { headers: {}, limited: { ...fail(429, 0, 'You are being rate limited.', { retry_after: after, global: false }), headers: { ...headers(0), 'retry-after': String(Math.ceil(after)), 'x-ratelimit-scope': 'user' } } }
    }
    window.used++
    return { headers: headers(bucket.limit - window.used), limited: null }
  }

  function execute(req: http.IncomingMessage, raw: Buffer, wait: boolean): Reply {
    const type = req.headers['content-type'] ?? ''
    let payload: { content?: string; allowed_mentions?: unknown; attachments?: Array<{ id: number; filename?: string; description?: string }> }
    const files = new Map<string, { filename: string; size: number }>()
    if (type.startsWith('multipart/form-data')) {
      payload = {}
      for (const part of multipartParts(raw, /boundary=("?)([^";]+)\1/.exec(type)?.[2] ?? '')) {
        if (part.name === 'payload_json') payload = JSON.parse(part.body.toString('utf8'))
        else if (part.filename !== undefined) files.set(part.name, { filename: part.filename, size: part.body.byteLength })
      }
    } else payload = JSON.parse(raw.toString('utf8') || '{}')
    const content = payload.content ?? ''
    if (!content && files.size === 0) return fail(400, 50006, 'Cannot send an empty message')
    if (content.length > 2000) return fail(400, 50035, 'Invalid Form Body', { errors: { content: { _errors: [{ code: 'BASE_TYPE_MAX_LENGTH', message: 'Must be 2000 or fewer in length.' }] } } })
    if (files.size > 10) return fail(400, 50035, 'Invalid Form Body', { errors: { files: { _errors: [{ code: 'BASE_TYPE_MAX_LENGTH', message: 'Must be 10 or fewer in length.' }] } } })
    const attachments = [...files.entries()].map(([name, file]) => {
      const index = Number(/^files\[(\d+)\]$/.exec(name)?.[1])
      const meta = payload.attachments?.find((a) => a.id === index)
      return { filename: meta?.filename ?? file.filename, size: file.size, description: meta?.description }
    })
    const message: DiscordMessage = { id: nextSnowflake(), webhookId: webhook.id, channelId: webhook.channelId, content, attachments, allowedMentions: payload.allowed_mentions }
    messages.push(message)
    counters.postsCreated++
    return wait ? { status: 200, body: messageJson(message) } : { status: 204 }
  }

  function route(req: http.IncomingMessage, url: URL, raw: Buffer): Reply {
    const match = /^\/api\/v10\/webhooks\/(\d+)\/([^/]+)(?:\/messages\/(\d+))?$/.exec(url.pathname)
    if (!match) return fail(404, 0, '404: Not Found')
    const [, id, token, messageId] = match
    if (id !== webhook.id || !webhookExists) return fail(404, 10015, 'Unknown Webhook')
    if (decodeURIComponent(token!) !== webhook.token) return fail(401, 50027, 'Invalid Webhook Token')
    const method = req.method ?? 'GET'
    if (!messageId && method === 'GET') return { status: 200, body: { id: webhook.id, type: 1, name: webhook.name, avatar: null, channel_id: webhook.channelId, guild_id: webhook.guildId, application_id: null, token: webhook.token } }
    if (!messageId && method === 'POST') return execute(req, raw, url.searchParams.get('wait') === 'true')
    const index = messages.findIndex((m) => m.id === messageId)
    if (messageId && index < 0) return fail(404, 10008, 'Unknown Message')
    if (messageId && method === 'GET') return { status: 200, body: messageJson(messages[index]!) }
    if (messageId && method === 'DELETE') {
      messages.splice(index, 1)
      return { status: 204 }
    }
    return fail(405, 0, '405: Method Not Allowed')
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://loopback')
      const send = (reply: Reply) => {
        if (reply.raw !== undefined) return void res.writeHead(reply.status, { 'content-type': 'text/html', ...reply.headers }).end(reply.raw)
        if (reply.body === undefined) return void res.writeHead(reply.status, reply.headers).end()
        res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers }).end(JSON.stringify(reply.body))
      }
      const isExecute = req.method === 'POST' && /^\/api\/v10\/webhooks\/\d+\/[^/]+$/.test(url.pathname)
      const fault = isExecute ? faults.take('POST', '/execute') : null
      if (fault?.kind === 'rate-limit') {
        const resetAt = fault.resetAt ?? new Date(Date.now() + 2000)
        const after = (resetAt.getTime() - Date.now()) / 1000
        counters.rateLimited++
        const headers: Record<string, string> = { 'retry-after': String(Math.ceil(after)) }
        if (fault.global) headers['x-ratelimit-global'] = 'true'
        else Object.assign(headers, { 'x-ratelimit-limit': '5', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(resetAt.getTime() / 1000), 'x-ratelimit-reset-after': after.toFixed(3), 'x-ratelimit-bucket': `webhook-${webhook.id}` })
        return send({ ...fail(429, 0, 'You are being rate limited.', { retry_after: after, global: !!fault.global }), headers })
      }
      const unavailable = { status: 503, raw: '<html><head><title>503 Service Unavailable</title></head><body>cloudflare</body></html>' }
      if (fault && !fault.apply) return fault.kind === 'reset' ? void req.socket.destroy() : send(unavailable)
      const limits = take()
      if (limits.limited) return send(limits.limited)
      let reply: Reply
      try {
        reply = route(req, url, Buffer.concat(chunks))
      } catch (error) {
        reply = fail(400, 50109, `The request body contains invalid JSON. (${(error as Error).message})`)
      }
      if (fault?.kind === 'reset') return void req.socket.destroy()
      if (fault?.kind === 'unavailable') return send(unavailable)
      send({ ...reply, headers: { ...limits.headers, ...reply.headers } })
    })
  })
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  const url = `http://127.0.0.1:${port}`
  return {
    url,
    apiBaseUrl: `${url}/api/v10`,
    webhook,
    webhookUrl: `${url}/api/webhooks/${webhook.id}/${webhook.token}`,
    messages,
    counters,
    injectFault: (rule) => faults.inject(rule),
    deleteWebhook: () => {
      webhookExists = false
    },
    close: async () => {
      for (const socket of sockets) socket.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
