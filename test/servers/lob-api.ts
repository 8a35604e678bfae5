import { randomBytes } from 'node:crypto'
import http from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { faultQueue, type FaultRule } from './faults'

/**
 * A loopback HTTP server that speaks the part of Lob's API Trickle uses (docs/decisions/082-direct-mail-step.md),
 * modelled on Lob's docs: `POST /v1/postcards` and `/v1/letters` (JSON, HTTP basic auth with the API key as
 * user) honouring `Idempotency-Key` (the same key returns the first piece) and answering pieces in the shape
 * the SDK's models insist on (ids `psc_`/`ltr_` + 16 characters, signed lob-assets.com URLs), `POST /v1/us_verifications`
 * (deliverability), errors as `{ error: { message, status_code, code } }`, 429 with X-Rate-Limit-Reset.
 */

export type LobFault = { kind: 'rate-limit'; resetAt?: Date } | { kind: 'unavailable'; apply?: boolean } | { kind: 'reset'; apply?: boolean }
export type LobPiece = { id: string; piece: 'postcard' | 'letter'; to: Record<string, unknown>; from: Record<string, unknown>; body: Record<string, unknown>; idempotencyKey: string | null; createdAt: Date }

export type LobApiServer = {
  url: string
  apiKey: string
  pieces: LobPiece[]
  /** ZIP codes whose addresses verify as `undeliverable`. */
  undeliverableZips: Set<string>
  counters: { created: number; replays: number; verifications: number }
  injectFault(rule: FaultRule<LobFault>): void
  close(): Promise<void>
}

export async function startLobApiServer(options: { apiKey?: string } = {}): Promise<LobApiServer> {
  const apiKey = options.apiKey ?? `test_${randomBytes(12).toString('hex')}`
  const pieces: LobPiece[] = []
  const byKey = new Map<string, LobPiece>()
  const undeliverableZips = new Set<string>()
  const counters = { created: 0, replays: 0, verifications: 0 }
  const faults = faultQueue<LobFault>()
  const sockets = new Set<Socket>()
  const reply = (res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'Content-Type': 'application/json', ...headers })
    res.end(JSON.stringify(body))
  }
  const error = (res: http.ServerResponse, status: number, code: string, message: string, headers: Record<string, string> = {}) => reply(res, status, { error: { message, status_code: status, code } }, headers)
  const resource = (p: LobPiece) => ({ id: p.id, object: p.piece, to: p.to, from: p.from, url: `https://lob-assets.com/${p.piece}s/${p.id}.pdf?expires=${Math.floor(p.createdAt.getTime() / 1000) + 86_400}&signature=${randomBytes(12).toString('hex')}`, merge_variables: p.body.merge_variables ?? null, date_created: p.createdAt.toISOString(), expected_delivery_date: '2026-12-12', carrier: 'USPS' })

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const path = new URL(req.url ?? '/', 'http://localhost').pathname
      const auth = /^Basic (.+)$/.exec(req.headers.authorization ?? '')
      const user = auth ? Buffer.from(auth[1]!, 'base64').toString().split(':')[0] : undefined
      if (user !== apiKey) return error(res, 401, 'unauthorized', 'Your API key is not valid. Please sign up on lob.com to get a valid api key.')
      let body: Record<string, unknown>
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>
      } catch {
        return error(res, 422, 'invalid', 'body is not JSON')
      }
      if (req.method === 'POST' && path === '/v1/us_verifications') {
        counters.verifications++
        const zip = String(body.zip_code ?? '')
        const deliverability = undeliverableZips.has(zip) ? 'undeliverable' : 'deliverable'
        return reply(res, 200, { id: `us_ver_${randomBytes(8).toString('hex')}`, primary_line: String(body.primary_line ?? '').toUpperCase(), secondary_line: String(body.secondary_line ?? '').toUpperCase(), last_line: '', deliverability, components: { city: String(body.city ?? '').toUpperCase(), state: String(body.state ?? ''), zip_code: zip.slice(0, 5) }, object: 'us_verification' })
      }
      const kind = req.method === 'POST' && path === '/v1/postcards' ? 'postcard' : req.method === 'POST' && path === '/v1/letters' ? 'letter' : null
      if (!kind) return error(res, 404, 'not_found', 'route not found')
      const key = (req.headers['idempotency-key'] as string | undefined) ?? null
      const known = key ? byKey.get(`${kind}:${key}`) : undefined
      if (known) {
        counters.replays++
        return reply(res, 200, resource(known))
      }
      const fault = faults.take('POST', path)
      if (fault?.kind === 'rate-limit') return error(res, 429, 'rate_limit_exceeded', 'Rate limit exceeded', { 'X-Rate-Limit-Reset': String(Math.floor((fault.resetAt ?? new Date(Date.now() + 60_000)).getTime() / 1000)) })
      const to = body.to as Record<string, unknown> | undefined
      if (!to?.address_line1) return error(res, 422, 'invalid', 'to.address_line1 is required')
      if (kind === 'postcard' && (!body.front || !body.back)) return error(res, 422, 'invalid', 'front and back are required')
      if (kind === 'letter' && !body.file) return error(res, 422, 'invalid', 'file is required')
      const create = () => {
        const p: LobPiece = { id: `${kind === 'postcard' ? 'psc' : 'ltr'}_${randomBytes(8).toString('hex')}`, piece: kind, to, from: body.from as Record<string, unknown>, body, idempotencyKey: key, createdAt: new Date() }
        pieces.push(p)
        if (key) byKey.set(`${kind}:${key}`, p)
        counters.created++
        return p
      }
      if (fault?.kind === 'unavailable') {
        if (fault.apply) create()
        return error(res, 503, 'service_unavailable', 'Service Unavailable')
      }
      if (fault?.kind === 'reset') {
        if (fault.apply) create()
        return req.socket.destroy()
      }
      reply(res, 200, resource(create()))
    })
  })
  server.on('connection', (s) => {
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
    apiKey,
    pieces,
    undeliverableZips,
    counters,
    injectFault: (rule) => faults.inject(rule),
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      }),
  }
}
