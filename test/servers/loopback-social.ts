import { randomUUID } from 'node:crypto'
import http from 'node:http'
import type { AddressInfo, Socket } from 'node:net'

/**
 * The loopback social network connectors/loopback speaks (see its header for the API). It never
 * deduplicates: every POST /posts it applies is a post, so tests count duplicates by idempotency key.
 */

export type LoopbackPost = { id: string; url: string; text: string; idempotencyKey: string; accessToken: string; createdAt: Date }

export type LoopbackFault =
  /** Answer `status`; with `apply`, the post is made first (e.g. applied, then 503). */
  | { kind: 'status'; status: number; body?: Record<string, unknown>; headers?: Record<string, string>; apply?: boolean }
  /** Apply the post (or not), then reset the connection instead of answering. */
  | { kind: 'reset'; apply: boolean }

/** A POST /posts the server holds (applied or not) until the test lets it go. */
export type HeldRequest = { idempotencyKey: string; applied: boolean; answer(): void; drop(): void }

export type LoopbackSocialServer = {
  url: string
  posts: LoopbackPost[]
  /** Every POST /posts received, answered or not. */
  postRequests: number
  lookups: number
  /** Access tokens accepted (any non-empty token when empty). */
  validTokens: Set<string>
  /** The next `times` POST /posts (optionally only for one idempotency key) get this fault. */
  injectFault(rule: LoopbackFault & { times?: number; idempotencyKey?: string }): void
  /** Hold POST /posts requests whose key `match` accepts; `apply` decides whether the post is made first. */
  holdPosts(match: (idempotencyKey: string) => { apply: boolean } | null, onHeld: (held: HeldRequest) => void): void
  /** Posts per idempotency key. */
  countsByKey(): Map<string, number>
  close(): Promise<void>
}

export async function startLoopbackSocialServer(): Promise<LoopbackSocialServer> {
  const posts: LoopbackPost[] = []
  const faults: Array<LoopbackFault & { times: number; idempotencyKey?: string }> = []
  const sockets = new Set<Socket>()
  const refreshTokens = new Map<string, boolean>()
  let hold: { match: (key: string) => { apply: boolean } | null; onHeld: (held: HeldRequest) => void } | undefined
  let nextId = 1

  const state: LoopbackSocialServer = {
    url: '',
    posts,
    postRequests: 0,
    lookups: 0,
    validTokens: new Set(),
    injectFault(rule) {
      faults.push({ ...rule, times: rule.times ?? 1 })
    },
    holdPosts(match, onHeld) {
      hold = { match, onHeld }
    },
    countsByKey() {
      const counts = new Map<string, number>()
      for (const post of posts) counts.set(post.idempotencyKey, (counts.get(post.idempotencyKey) ?? 0) + 1)
      return counts
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resolve())
      }),
  }

  function send(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
    res.writeHead(status, { 'content-type': 'application/json', ...headers })
    res.end(JSON.stringify(body))
  }

  function authorized(req: http.IncomingMessage): string | null {
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1]
    if (!token) return null
    if (state.validTokens.size > 0 && !state.validTokens.has(token)) return null
    return token
  }

  function apply(text: string, idempotencyKey: string, accessToken: string): LoopbackPost {
    const id = String(nextId++)
    const post = { id, url: `${state.url}/posts/${id}`, text, idempotencyKey, accessToken, createdAt: new Date() }
    posts.push(post)
    return post
  }

  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    const raw = Buffer.concat(chunks).toString('utf8')
    const url = new URL(req.url ?? '/', 'http://localhost')

    if (req.method === 'POST' && url.pathname === '/oauth/token') {
      const { refreshToken } = JSON.parse(raw || '{}') as { refreshToken?: string }
      if (!refreshToken || refreshTokens.get(refreshToken) === true) return send(res, 400, { error: 'invalid_grant' })
      refreshTokens.set(refreshToken, true)
      const accessToken = `at-${randomUUID()}`
      const next = `rt-${randomUUID()}`
      refreshTokens.set(next, false)
      state.validTokens.add(accessToken)
      return send(res, 200, { accessToken, refreshToken: next, expiresIn: 7200 })
    }

    const token = authorized(req)
    if (!token) return send(res, 401, { error: 'unauthorized' })

    if (req.method === 'GET' && url.pathname === '/posts') {
      state.lookups++
      const since = new Date(url.searchParams.get('since') ?? 0)
      const found = posts.filter((p) => p.createdAt >= since).map((p) => ({ ...p, createdAt: p.createdAt.toISOString(), accessToken: undefined }))
      return send(res, 200, { posts: found })
    }

    if (req.method === 'POST' && url.pathname === '/posts') {
      state.postRequests++
      let body: { text?: unknown; idempotencyKey?: unknown }
      try {
        body = JSON.parse(raw) as typeof body
      } catch {
        return send(res, 400, { error: 'invalid_json' })
      }
      if (typeof body.text !== 'string' || !body.text) return send(res, 400, { error: 'invalid_request', message: 'text: required' })
      if (typeof body.idempotencyKey !== 'string') return send(res, 400, { error: 'invalid_request', message: 'idempotencyKey: required' })
      const key = body.idempotencyKey
      const faultIndex = faults.findIndex((f) => !f.idempotencyKey || f.idempotencyKey === key)
      if (faultIndex >= 0) {
        const fault = faults[faultIndex]!
        if (--fault.times <= 0) faults.splice(faultIndex, 1)
        if (fault.kind === 'status') {
          if (fault.apply) apply(body.text, key, token)
          return send(res, fault.status, fault.body ?? { error: `status_${fault.status}` }, fault.headers)
        }
        if (fault.apply) apply(body.text, key, token)
        req.socket.destroy()
        return
      }
      const held = hold?.match(key)
      if (held && hold) {
        const post = held.apply ? apply(body.text, key, token) : undefined
        hold.onHeld({
          idempotencyKey: key,
          applied: held.apply,
          answer: () => {
            if (res.writableEnded || res.destroyed) return
            if (post) send(res, 201, { id: post.id, url: post.url })
            else send(res, 503, { error: 'unavailable' })
          },
          drop: () => req.socket.destroy(),
        })
        return
      }
      const post = apply(body.text, key, token)
      return send(res, 201, { id: post.id, url: post.url })
    }
    send(res, 404, { error: 'not_found' })
  })
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return state
}

/** Register a refresh token the server accepts once (for tests that start connected). */
export function issueLoopbackTokens(server: LoopbackSocialServer): { accessToken: string; refreshToken: string } {
  const accessToken = `at-${randomUUID()}`
  server.validTokens.add(accessToken)
  const refreshToken = `rt-${randomUUID()}`
  // The token endpoint accepts any unknown refresh token once (it records it as used).
  return { accessToken, refreshToken }
}
