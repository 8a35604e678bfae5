import { randomBytes } from 'node:crypto'
import http from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { Webhook } from 'standardwebhooks'
import { faultQueue, type FaultRule } from './faults'

/**
 * A loopback webhook receiver written the way the Standard Webhooks spec asks receivers to be
 * (standardwebhooks.com): it verifies `webhook-signature` over `<webhook-id>.<webhook-timestamp>.<body>`
 * with the shared secret (refusing a bad signature or a timestamp over 5 minutes off with 401), and
 * treats `webhook-id` as an idempotency key (a repeat is answered with the post it already made, and
 * makes nothing). Posts are answered `{ id, url }`. Faults: 429 with `Retry-After` as an HTTP date, 503,
 * a reset connection, each optionally after acting on the event.
 */

export type WebhookFault = { kind: 'rate-limit'; resetAt?: Date } | { kind: 'unavailable'; apply?: boolean } | { kind: 'reset'; apply?: boolean }

export type ReceivedEvent = { webhookId: string; type: string; data: Record<string, unknown>; postId: string }

export type WebhookReceiver = {
  url: string
  secret: string
  events: ReceivedEvent[]
  counters: { postsCreated: number; refusedSignatures: number; repeats: number }
  injectFault(rule: FaultRule<WebhookFault>): void
  close(): Promise<void>
}

export async function startWebhookReceiver(options: { secret?: string; path?: string } = {}): Promise<WebhookReceiver> {
  const secret = options.secret ?? `whsec_${randomBytes(24).toString('base64')}`
  const verifier = secret.startsWith('whsec_') ? new Webhook(secret) : new Webhook(secret, { format: 'raw' })
  const path = options.path ?? '/hooks/trickle'
  const events: ReceivedEvent[] = []
  const byWebhookId = new Map<string, ReceivedEvent>()
  const counters = { postsCreated: 0, refusedSignatures: 0, repeats: 0 }
  const faults = faultQueue<WebhookFault>()
  const sockets = new Set<Socket>()
  let next = 0
  let baseUrl = ''

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const send = (status: number, body?: unknown, headers: Record<string, string> = {}) =>
        res.writeHead(status, { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers }).end(body === undefined ? undefined : JSON.stringify(body))
      if (req.method !== 'POST' || new URL(req.url ?? '/', 'http://loopback').pathname !== path) return send(404, { error: 'not found' })
      const raw = Buffer.concat(chunks).toString('utf8')
      let event: { type: string; data: Record<string, unknown> }
      try {
        event = verifier.verify(raw, req.headers as Record<string, string>) as typeof event
      } catch (error) {
        counters.refusedSignatures++
        return send(401, { error: `signature refused: ${(error as Error).message}` })
      }
      const webhookId = String(req.headers['webhook-id'])
      const fault = event.type === 'post.published' ? faults.take('POST', path) : null
      if (fault?.kind === 'rate-limit') {
        const resetAt = fault.resetAt ?? new Date(Date.now() + 60_000)
        return send(429, { error: 'slow down' }, { 'retry-after': resetAt.toUTCString() })
      }
      if (fault && !fault.apply) return fault.kind === 'reset' ? void req.socket.destroy() : send(503, { error: 'unavailable' })
      let stored = byWebhookId.get(webhookId)
      if (stored) counters.repeats++
      else {
        stored = { webhookId, type: event.type, data: event.data, postId: `post-${++next}` }
        byWebhookId.set(webhookId, stored)
        events.push(stored)
        if (event.type === 'post.published') counters.postsCreated++
      }
      if (fault?.kind === 'reset') return void req.socket.destroy()
      if (fault?.kind === 'unavailable') return send(503, { error: 'unavailable' })
      send(200, event.type === 'post.published' ? { id: stored.postId, url: `${baseUrl}/posts/${stored.postId}` } : { ok: true })
    })
  })
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    url: `${baseUrl}${path}`,
    secret,
    events,
    counters,
    injectFault: (rule) => faults.inject(rule),
    close: async () => {
      for (const socket of sockets) socket.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
