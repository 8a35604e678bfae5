import { createHash, randomBytes } from 'node:crypto'
import http from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { mastodonLength } from '../../connectors/mastodon/index'
import { delayedAnswers, faultQueue, type CommonFault, type FaultRule } from './faults'
import type { AppliedFault, HeldPost } from './x-api'

/**
 * A loopback HTTP server that speaks the parts of the Mastodon API Trickle uses: app registration,
 * OAuth (authorize redirect, token with PKCE S256), verify_credentials, instance, media, statuses with
 * Idempotency-Key (remembered for an hour), account statuses, delete. Faults and counters for tests.
 */

export type MastodonFault =
  | { kind: 'rate-limit'; resetAt?: Date }
  /** 503; with `apply`, the request is applied first (the status exists). `slow`: applied, answered after `ms`. */
  | CommonFault
  | { kind: 'reset'; apply?: boolean }
  | { kind: 'hang' }

export type MastodonFaultRule = FaultRule<MastodonFault>
export type MastodonStatus = { id: string; accountId: string; text: string; createdAt: Date; inReplyTo: string | null; mediaIds: string[]; visibility: string; counts?: MastodonCounts }
/** The counts a status reports (all zero until a test sets them). */
export type MastodonCounts = { favourites_count: number; reblogs_count: number; replies_count: number }

/** An uploaded attachment; a video is processed after the upload (`processing` polls left, then `outcome`). */
export type MastodonMedia = { bytes: Buffer; mimeType: string; description?: string; processing?: { polls: number; outcome: 'ready' | 'failed' } }
/** How one video upload's processing goes: `polls` answers of 206 (url null), then ready (200 with url) or failed (422). */
export type MastodonVideoScript = { polls: number; outcome: 'ready' | 'failed' }

export type MastodonApiServer = {
  url: string
  account: { id: string; username: string; display_name: string }
  statuses: MastodonStatus[]
  media: Map<string, MastodonMedia>
  counters: { postsCreated: number; idempotentReplays: number; appsRegistered: number; unauthorized: number }
  injectFault(rule: MastodonFaultRule): void
  /** The faults applied to `POST /api/v1/statuses` so far, with the text of the status each one hit. */
  faultsApplied: AppliedFault[]
  /**
   * Hold matching `POST /api/v1/statuses` requests (by their text): the status is created first when
   * `apply`, then `onHeld` gets the request, which never answers unless the test drops its connection.
   */
  holdPosts(match: (text: string) => { apply: boolean } | null, onHeld: (held: HeldPost) => void): void
  /** A token as if the user had authorized an app. */
  issueToken(): string
  /** How the next video uploads are processed, one script each; without one: 2 polls, then ready. */
  scriptVideoProcessing(...scripts: MastodonVideoScript[]): void
  /** How many `GET /api/v1/media/:id` were answered. */
  mediaChecks(): number
  close(): Promise<void>
}

type Reply = { status: number; body?: unknown; headers?: Record<string, string> }

const html = (text: string) =>
  `<p>${text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;').replace(/\n/g, '<br />')}</p>`

export async function startMastodonApiServer(
  options: {
    maxCharacters?: number
    /** How long an Idempotency-Key is remembered (Mastodon: an hour); 0 = a resend arriving after that. */
    idempotencyKeyTtlMs?: number
    /** The instance's `configuration.media_attachments.video_size_limit` (Mastodon's default: 40 MB). */
    videoSizeLimit?: number
    /** `configuration.media_attachments.image_size_limit` (default 16 MB) and `statuses.max_media_attachments` (default 4). */
    imageSizeLimit?: number
    maxMediaAttachments?: number
  } = {},
): Promise<MastodonApiServer> {
  const maxCharacters = options.maxCharacters ?? 500
  const idempotencyKeyTtlMs = options.idempotencyKeyTtlMs ?? 3600_000
  const account = { id: '109000000000000001', username: 'trickle', display_name: 'Trickle Test' }
  const apps = new Map<string, { secret: string; redirectUris: string[] }>()
  const codes = new Map<string, { clientId: string; redirectUri: string; challenge: string; used: boolean }>()
  const tokens = new Set<string>()
  const statuses: MastodonStatus[] = []
  const media = new Map<string, MastodonMedia>()
  const videoSizeLimit = options.videoSizeLimit ?? 40 * 1024 * 1024
  const videoScripts: MastodonVideoScript[] = []
  let mediaChecks = 0
  const mediaJson = (id: string, item: MastodonMedia) => {
    const video = item.mimeType.startsWith('video/')
    const ready = !item.processing || (item.processing.polls <= 0 && item.processing.outcome === 'ready')
    return { id, type: video ? 'video' : 'image', url: ready ? `${baseUrl}/system/media/${id}` : null, preview_url: null, description: item.description ?? null }
  }
  const idempotency = new Map<string, { statusId: string; at: number }>()
  const faults = faultQueue<MastodonFault>()
  const delayed = delayedAnswers()
  const counters = { postsCreated: 0, idempotentReplays: 0, appsRegistered: 0, unauthorized: 0 }
  const sockets = new Set<Socket>()
  const faultsApplied: AppliedFault[] = []
  let hold: { match: (text: string) => { apply: boolean } | null; onHeld: (held: HeldPost) => void } | undefined
  let nextId = 110_000_000_000_000_000n
  const newId = () => (nextId += 1n).toString()
  const random = (prefix: string) => `${prefix}${randomBytes(18).toString('base64url')}`
  let baseUrl = ''

  const error = (status: number, message: string, extra: Record<string, string> = {}): Reply => ({ status, body: { error: message, ...extra } })
  const statusJson = (s: MastodonStatus) => ({
    id: s.id,
    created_at: s.createdAt.toISOString(),
    in_reply_to_id: s.inReplyTo,
    visibility: s.visibility,
    url: `${baseUrl}/@${account.username}/${s.id}`,
    content: html(s.text),
    media_attachments: s.mediaIds.map((id) => mediaJson(id, media.get(id)!)),
    favourites_count: s.counts?.favourites_count ?? 0,
    reblogs_count: s.counts?.reblogs_count ?? 0,
    replies_count: s.counts?.replies_count ?? 0,
    account,
  })

  async function route(req: http.IncomingMessage, url: URL, raw: Buffer): Promise<Reply> {
    const method = req.method ?? 'GET'
    const path = url.pathname
    const type = req.headers['content-type'] ?? ''
    const fields = (): Record<string, string> => (type.includes('json') ? JSON.parse(raw.toString('utf8') || '{}') : Object.fromEntries(new URLSearchParams(raw.toString('utf8'))))
    if (method === 'POST' && path === '/api/v1/apps') {
      const body = fields()
      if (!body.client_name || !body.redirect_uris) return error(422, 'Validation failed: client_name and redirect_uris are required')
      const clientId = random('cid-')
      apps.set(clientId, { secret: random('cs-'), redirectUris: String(body.redirect_uris).split(/\s+/) })
      counters.appsRegistered++
      return { status: 200, body: { id: newId(), name: body.client_name, client_id: clientId, client_secret: apps.get(clientId)!.secret } }
    }
    if (method === 'GET' && path === '/oauth/authorize') {
      const q = url.searchParams
      const app = apps.get(q.get('client_id') ?? '')
      const redirectUri = q.get('redirect_uri') ?? ''
      if (!app || !app.redirectUris.includes(redirectUri)) return error(400, 'invalid client or redirect_uri')
      const back = new URL(redirectUri)
      back.searchParams.set('state', q.get('state') ?? '')
      if (q.get('code_challenge_method') !== 'S256' || !q.get('code_challenge')) {
        back.searchParams.set('error', 'invalid_request')
        return { status: 302, headers: { location: back.toString() } }
      }
      const code = random('code-')
      codes.set(code, { clientId: q.get('client_id')!, redirectUri, challenge: q.get('code_challenge')!, used: false })
      back.searchParams.set('code', code)
      return { status: 302, headers: { location: back.toString() } }
    }
    if (method === 'POST' && path === '/oauth/token') {
      const body = fields()
      const app = apps.get(body.client_id ?? '')
      if (!app || app.secret !== body.client_secret) return { status: 401, body: { error: 'invalid_client', error_description: 'Client authentication failed' } }
      const pending = codes.get(body.code ?? '')
      const verified = pending && createHash('sha256').update(body.code_verifier ?? '').digest('base64url') === pending.challenge
      if (!pending || pending.used || pending.clientId !== body.client_id || pending.redirectUri !== body.redirect_uri || !verified) {
        if (pending) pending.used = true
        return { status: 400, body: { error: 'invalid_grant', error_description: 'The provided authorization grant is invalid' } }
      }
      pending.used = true
      const token = random('tok-')
      tokens.add(token)
      return { status: 200, body: { access_token: token, token_type: 'Bearer', scope: body.scope, created_at: Math.floor(Date.now() / 1000) } }
    }
    if (method === 'GET' && path === '/api/v2/instance') {
      return {
        status: 200,
        body: {
          domain: url.host,
          configuration: {
            statuses: { max_characters: maxCharacters, max_media_attachments: options.maxMediaAttachments ?? 4, characters_reserved_per_url: 23 },
            media_attachments: { supported_mime_types: ['image/jpeg', 'image/png', 'image/gif', 'image/webp', 'video/mp4', 'video/quicktime'], image_size_limit: options.imageSizeLimit ?? 16 * 1024 * 1024, video_size_limit: videoSizeLimit },
          },
        },
      }
    }
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1]
    if (!bearer || !tokens.has(bearer)) {
      counters.unauthorized++
      return error(401, 'The access token is invalid')
    }
    if (method === 'GET' && path === '/api/v1/accounts/verify_credentials') return { status: 200, body: { ...account, acct: account.username } }
    if (method === 'POST' && path === '/api/v2/media') {
      const form = await new Response(new Uint8Array(raw), { headers: { 'content-type': type } }).formData()
      const file = form.get('file')
      if (!file || typeof file === 'string') return error(422, 'Validation failed: File is missing')
      const id = newId()
      const description = form.get('description')
      const item: MastodonMedia = { bytes: Buffer.from(await file.arrayBuffer()), mimeType: file.type, description: typeof description === 'string' ? description : undefined }
      if (file.type.startsWith('video/')) {
        if (item.bytes.length > videoSizeLimit) return error(422, `Validation failed: File file size must be less than ${videoSizeLimit} Bytes`)
        // Videos are processed after the upload: 202 with a null url until it is done (POST /api/v2/media).
        item.processing = { ...(videoScripts.shift() ?? { polls: 2, outcome: 'ready' }) }
        media.set(id, item)
        return { status: 202, body: mediaJson(id, item) }
      }
      media.set(id, item)
      return { status: 200, body: mediaJson(id, item) }
    }
    const mediaMatch = /^\/api\/v1\/media\/(\d+)$/.exec(path)
    if (method === 'GET' && mediaMatch) {
      const item = media.get(mediaMatch[1]!)
      if (!item) return error(404, 'Record not found')
      mediaChecks++
      if (item.processing && item.processing.polls > 0) {
        const body = mediaJson(mediaMatch[1]!, item)
        item.processing.polls--
        return { status: 206, body }
      }
      if (item.processing?.outcome === 'failed') return error(422, 'Validation failed: File could not be processed')
      return { status: 200, body: mediaJson(mediaMatch[1]!, item) }
    }
    if (method === 'POST' && path === '/api/v1/statuses') {
      const key = req.headers['idempotency-key']
      const remembered = typeof key === 'string' ? idempotency.get(`${bearer}:${key}`) : undefined
      if (remembered && Date.now() - remembered.at < idempotencyKeyTtlMs) {
        counters.idempotentReplays++
        return { status: 200, body: statusJson(statuses.find((s) => s.id === remembered.statusId)!) }
      }
      const body = JSON.parse(raw.toString('utf8') || '{}') as { status?: string; media_ids?: string[]; in_reply_to_id?: string; visibility?: string }
      const text = body.status ?? ''
      if (!text && !body.media_ids?.length) return error(422, "Validation failed: Text can't be blank")
      if (mastodonLength(text) > maxCharacters) return error(422, `Validation failed: Text character limit of ${maxCharacters} exceeded`)
      if (body.in_reply_to_id && !statuses.some((s) => s.id === body.in_reply_to_id)) return error(404, 'Record not found')
      for (const id of body.media_ids ?? []) {
        const item = media.get(id)
        if (!item) return error(422, `Validation failed: media ${id} not found`)
        if (item.processing && (item.processing.polls > 0 || item.processing.outcome !== 'ready')) return error(422, 'Cannot attach files that have not finished processing. Try again in a moment!')
      }
      const status: MastodonStatus = {
        id: newId(),
        accountId: account.id,
        text,
        createdAt: new Date(),
        inReplyTo: body.in_reply_to_id ?? null,
        mediaIds: body.media_ids ?? [],
        visibility: body.visibility ?? 'public',
      }
      statuses.push(status)
      counters.postsCreated++
      if (typeof key === 'string') idempotency.set(`${bearer}:${key}`, { statusId: status.id, at: Date.now() })
      return { status: 200, body: statusJson(status) }
    }
    const deleteMatch = /^\/api\/v1\/statuses\/(\d+)$/.exec(path)
    if (method === 'GET' && deleteMatch) {
      const found = statuses.find((s) => s.id === deleteMatch[1])
      return found ? { status: 200, body: statusJson(found) } : error(404, 'Record not found')
    }
    if (method === 'DELETE' && deleteMatch) {
      const index = statuses.findIndex((s) => s.id === deleteMatch[1])
      if (index < 0) return error(404, 'Record not found')
      const [removed] = statuses.splice(index, 1)
      return { status: 200, body: statusJson(removed!) }
    }
    const listMatch = /^\/api\/v1\/accounts\/(\d+)\/statuses$/.exec(path)
    if (method === 'GET' && listMatch) {
      const limit = Math.min(40, Number(url.searchParams.get('limit') ?? 20))
      const maxId = url.searchParams.get('max_id')
      const mine = statuses.filter((s) => s.accountId === listMatch[1] && (!maxId || BigInt(s.id) < BigInt(maxId))).reverse()
      return { status: 200, body: mine.slice(0, limit).map(statusJson) }
    }
    return error(404, `${method} ${path} is not served by the test Mastodon API`)
  }


  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', async () => {
      const url = new URL(req.url ?? '/', 'http://localhost')
      const raw = Buffer.concat(chunks)
      const send = (reply: Reply) => {
        res.writeHead(reply.status, { ...(reply.body === undefined ? {} : { 'content-type': 'application/json; charset=utf-8' }), ...reply.headers })
        res.end(reply.body === undefined ? undefined : JSON.stringify(reply.body))
      }
      const isCreate = req.method === 'POST' && url.pathname === '/api/v1/statuses'
      const textOf = () => String(JSON.parse(raw.toString('utf8') || '{}').status ?? '')
      try {
        // A held request does not use up an injected fault.
        if (hold && isCreate) {
          const text = textOf()
          const held = hold.match(text)
          if (held) {
            const applied = held.apply && (await route(req, url, raw)).status === 200
            hold.onHeld({ text, applied, drop: () => req.socket.destroy() })
            return
          }
        }
        const fault = faults.take(req.method ?? 'GET', url.pathname)
        if (fault && isCreate) faultsApplied.push({ kind: fault.kind, apply: 'apply' in fault ? fault.apply : undefined, ms: 'ms' in fault ? fault.ms : undefined, text: textOf(), at: Date.now() })
        if (fault?.kind === 'hang') return
        if (fault?.kind === 'reset') {
          if (fault.apply) await route(req, url, raw)
          req.socket.destroy()
          return
        }
        if (fault?.kind === 'unavailable') {
          if (fault.apply) await route(req, url, raw)
          return send({ status: 503, body: { error: 'Service Unavailable' } })
        }
        if (fault?.kind === 'slow') {
          const reply = await route(req, url, raw)
          return delayed.after(fault.ms, () => {
            if (!res.destroyed) send(reply)
          })
        }
        if (fault?.kind === 'rate-limit') {
          const resetAt = fault.resetAt ?? new Date(Date.now() + 300_000)
          return send({
            status: 429,
            headers: { 'x-ratelimit-limit': '300', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': resetAt.toISOString() },
            body: { error: 'Too many requests' },
          })
        }
        send(await route(req, url, raw))
      } catch (e) {
        send({ status: 500, body: { error: String(e) } })
      }
    })
  })
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`

  return {
    url: baseUrl,
    account,
    statuses,
    media,
    counters,
    injectFault: (rule) => faults.inject(rule),
    faultsApplied,
    holdPosts: (match, onHeld) => {
      hold = { match, onHeld }
    },
    scriptVideoProcessing: (...scripts) => {
      videoScripts.push(...scripts)
    },
    mediaChecks: () => mediaChecks,
    issueToken: () => {
      const token = random('tok-')
      tokens.add(token)
      return token
    },
    close: async () => {
      delayed.clear()
      for (const socket of sockets) socket.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
