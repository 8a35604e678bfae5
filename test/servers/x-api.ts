import { createHash, randomBytes } from 'node:crypto'
import http from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { weightedLength } from '../../connectors/x/text'
import { delayedAnswers, faultQueue, type CommonFault, type FaultRule } from './faults'

/**
 * A loopback HTTP server that speaks the parts of the X API Trickle uses: OAuth 2.0 authorize + token
 * (PKCE S256; rotating single-use refresh tokens whose reuse revokes the whole family), users/me, user
 * timelines, posts (replies, media, duplicate detection), v1.1 chunked media upload. Tests inject faults
 * and read counters.
 *
 * Duplicate detection is on by default, as on the real X: a post whose text equals one of the author's
 * existing posts is refused with 403 "You are not allowed to create a Tweet with duplicate content."
 * (`counters.duplicatesRefused`). `rejectDuplicates: false` turns it off, to show what a resend would do
 * on a network without it (a second post).
 */

export type XApiFault =
  /** 429 with 15-minute window headers, plus the 24-hour user bucket when `userDayResetAt` is given. */
  | { kind: 'rate-limit'; resetAt?: Date; userDayResetAt?: Date }
  /** 503; with `apply`, the request is applied first (the post exists). `slow`: applied, answered after `ms`. */
  | CommonFault
  /** Read the request, apply it when `apply`, then reset the connection instead of answering. */
  | { kind: 'reset'; apply?: boolean }
  /** Never answer (until the server closes). */
  | { kind: 'hang' }
  /** 403 "duplicate content", whatever the text. */
  | { kind: 'duplicate' }

/** A fault for the next `times` (default 1) matching requests, after letting `after` (default 0) through. */
export type XApiFaultRule = FaultRule<XApiFault>

export type XPost = { id: string; authorId: string; text: string; createdAt: Date; inReplyTo?: string; mediaIds: string[]; metrics?: XPublicMetrics }
/** What `GET /2/tweets/:id?tweet.fields=public_metrics` answers for a post (all zero until a test sets them). */
export type XPublicMetrics = { impression_count: number; like_count: number; retweet_count: number; reply_count: number; quote_count: number; bookmark_count: number }
export type XMedia = {
  id: string
  ownerId: string
  mimeType: string
  totalBytes: number
  chunks: Buffer[]
  finalized: boolean
  altText?: string
  /** INIT's `media_category` (`tweet_video` is processed asynchronously after FINALIZE). */
  category?: string
  /** The processing states still to come: FINALIZE answers the first, each STATUS the next; the last one stays. */
  processing?: XProcessingStep[]
  /** The state last reported; a post may use the media only once it is `succeeded` (or never processed). */
  state?: XProcessingStep['state']
}
/** One answer of X's async media processing (`processing_info`). */
export type XProcessingStep =
  | { state: 'pending' | 'in_progress'; checkAfterSecs?: number; progressPercent?: number }
  | { state: 'succeeded' }
  | { state: 'failed'; error?: { code: number; name: string; message: string } }
export type XUser = { id: string; username: string; name: string; subscriptionType?: string }

export type HeldPost = { text: string; applied: boolean; drop(): void }
export type AppliedFault = { kind: string; apply?: boolean; ms?: number; text: string; at: number }

type Family = { userId: string; revoked: boolean }
type AccessToken = { familyId: string; userId: string; expiresAt: number; revoked: boolean }
type RefreshToken = { familyId: string; userId: string; used: boolean }
type PendingCode = { userId: string; redirectUri: string; codeChallenge: string; scope: string; expiresAt: number; used: boolean }

export type XApiServer = {
  /** Base for both api and upload requests, e.g. http://127.0.0.1:41234 */
  url: string
  authorizeUrl: string
  clientId: string
  clientSecret: string
  user: XUser
  posts: XPost[]
  media: Map<string, XMedia>
  counters: { postsCreated: number; refreshCalls: number; invalidGrants: number; unauthorized: number; tokenRequests: number; timelineReads: number; duplicatesRefused: number }
  requests: Array<{ method: string; path: string }>
  injectFault(rule: XApiFaultRule): void
  /** The faults applied to `POST /2/tweets` so far, with the text of the post each one hit. */
  faultsApplied: AppliedFault[]
  /**
   * Hold matching `POST /2/tweets` requests (by their text): the post is created first when `apply`, then
   * `onHeld` gets the request, which never answers unless the test drops its connection.
   */
  holdPosts(match: (text: string) => { apply: boolean } | null, onHeld: (held: HeldPost) => void): void
  /** How many posts carry each text (a duplicate shows as 2 or more). */
  countsByText(): Map<string, number>
  /** The public metrics `GET /2/tweets/:id` reports for a post from now on. */
  setMetrics(postId: string, metrics: Partial<XPublicMetrics>): void
  /** Issue a token family directly (as if the user had authorized), for tests that start connected. */
  issueTokens(args?: { userId?: string; accessTtlSeconds?: number }): { accessToken: string; refreshToken: string; expiresIn: number }
  /** Make every access token issued so far expired. */
  expireAccessTokens(): void
  /**
   * The processing states the next `tweet_video` uploads go through (one script per upload, in order);
   * without one, a video answers pending (1 s) → in_progress (1 s) → succeeded.
   */
  scriptVideoProcessing(...scripts: XProcessingStep[][]): void
  /** How many STATUS requests were answered. */
  statusChecks(): number
  close(): Promise<void>
}

const ZERO_METRICS: XPublicMetrics = { impression_count: 0, like_count: 0, retweet_count: 0, reply_count: 0, quote_count: 0, bookmark_count: 0 }
const JSON_TYPE = { 'content-type': 'application/json; charset=utf-8' }
const DUPLICATE = { detail: 'You are not allowed to create a Tweet with duplicate content.', type: 'about:blank', title: 'Forbidden', status: 403 }
const UNAUTHORIZED = { title: 'Unauthorized', type: 'about:blank', status: 401, detail: 'Unauthorized' }

type Reply = { status: number; body?: unknown; headers?: Record<string, string> }

export async function startXApiServer(
  options: { accessTtlSeconds?: number; user?: Partial<XUser>; maxLength?: number; rejectDuplicates?: boolean } = {},
): Promise<XApiServer> {
  const accessTtl = options.accessTtlSeconds ?? 7200
  const clientId = 'trickle-test-client'
  const clientSecret = 'trickle-test-secret'
  const user: XUser = { id: '1001', username: 'trickle_test', name: 'Trickle Test', ...options.user }
  const users = new Map([[user.id, user]])
  const families = new Map<string, Family>()
  const accessTokens = new Map<string, AccessToken>()
  const refreshTokens = new Map<string, RefreshToken>()
  const codes = new Map<string, PendingCode>()
  const posts: XPost[] = []
  const media = new Map<string, XMedia>()
  const faults = faultQueue<XApiFault>()
  const delayed = delayedAnswers()
  const rejectDuplicates = options.rejectDuplicates ?? true
  const counters = { postsCreated: 0, refreshCalls: 0, invalidGrants: 0, unauthorized: 0, tokenRequests: 0, timelineReads: 0, duplicatesRefused: 0 }
  let hold: { match: (text: string) => { apply: boolean } | null; onHeld: (held: HeldPost) => void } | undefined
  const requests: Array<{ method: string; path: string }> = []
  const faultsApplied: AppliedFault[] = []
  const sockets = new Set<Socket>()
  let nextId = 1_860_000_000_000_000_000n
  const videoScripts: XProcessingStep[][] = []
  let statusChecks = 0
  const DEFAULT_VIDEO_PROCESSING: XProcessingStep[] = [{ state: 'pending', checkAfterSecs: 1 }, { state: 'in_progress', checkAfterSecs: 1, progressPercent: 50 }, { state: 'succeeded' }]
  function processingInfo(item: XMedia): Record<string, unknown> | undefined {
    const step = item.processing?.[0]
    if (!step) return undefined
    if (item.processing!.length > 1) item.processing!.shift()
    item.state = step.state
    if (step.state === 'succeeded') return { state: 'succeeded', progress_percent: 100 }
    if (step.state === 'failed') return { state: 'failed', progress_percent: 0, error: step.error ?? { code: 1, name: 'InvalidMedia', message: 'Unsupported video format' } }
    return { state: step.state, check_after_secs: step.checkAfterSecs ?? 1, ...(step.progressPercent === undefined ? {} : { progress_percent: step.progressPercent }) }
  }

  const newId = () => (nextId += 1n).toString()
  const token = (prefix: string) => `${prefix}-${randomBytes(24).toString('base64url')}`

  function issue(userId: string, familyId: string, ttlSeconds = accessTtl) {
    const accessToken = token('at')
    const refreshToken = token('rt')
    accessTokens.set(accessToken, { familyId, userId, expiresAt: Date.now() + ttlSeconds * 1000, revoked: false })
    refreshTokens.set(refreshToken, { familyId, userId, used: false })
    return { accessToken, refreshToken, expiresIn: ttlSeconds }
  }

  function newFamily(userId: string): string {
    const id = randomBytes(8).toString('hex')
    families.set(id, { userId, revoked: false })
    return id
  }

  function tokenResponse(issued: { accessToken: string; refreshToken: string; expiresIn: number }, scope: string): Reply {
    return {
      status: 200,
      body: { token_type: 'bearer', expires_in: issued.expiresIn, access_token: issued.accessToken, scope, refresh_token: issued.refreshToken },
    }
  }

  const oauthError = (error: string, description: string, status = 400): Reply => ({ status, body: { error, error_description: description } })

  function authenticate(req: http.IncomingMessage): XUser | null {
    const header = req.headers.authorization ?? ''
    const bearer = /^Bearer (.+)$/.exec(header)?.[1]
    const record = bearer ? accessTokens.get(bearer) : undefined
    if (!record || record.revoked || families.get(record.familyId)?.revoked || record.expiresAt <= Date.now()) return null
    return users.get(record.userId) ?? null
  }

  function clientAuthenticated(req: http.IncomingMessage, body: Record<string, string>): boolean {
    const basic = /^Basic (.+)$/.exec(req.headers.authorization ?? '')?.[1]
    if (basic) {
      const [id, secret] = Buffer.from(basic, 'base64').toString('utf8').split(':').map(decodeURIComponent)
      return id === clientId && secret === clientSecret
    }
    return body.client_id === clientId && body.client_secret === clientSecret
  }

  function tokenEndpoint(req: http.IncomingMessage, body: Record<string, string>): Reply {
    counters.tokenRequests++
    if (!clientAuthenticated(req, body)) return oauthError('invalid_client', 'Missing valid authorization header', 401)
    if (body.grant_type === 'authorization_code') {
      const pending = codes.get(body.code ?? '')
      if (!pending || pending.used || pending.expiresAt <= Date.now()) return oauthError('invalid_grant', 'Value passed for the authorization code was invalid.')
      pending.used = true
      if (pending.redirectUri !== body.redirect_uri) return oauthError('invalid_grant', 'redirect_uri does not match the authorization request.')
      const challenge = createHash('sha256').update(body.code_verifier ?? '').digest('base64url')
      if (challenge !== pending.codeChallenge) return oauthError('invalid_grant', 'code_verifier does not match the code_challenge.')
      return tokenResponse(issue(pending.userId, newFamily(pending.userId)), pending.scope)
    }
    if (body.grant_type === 'refresh_token') {
      counters.refreshCalls++
      const record = refreshTokens.get(body.refresh_token ?? '')
      const family = record && families.get(record.familyId)
      if (!record || !family || family.revoked || record.used) {
        // Reuse of a rotated refresh token: assume it leaked and revoke everything issued from it.
        if (family) family.revoked = true
        counters.invalidGrants++
        return oauthError('invalid_grant', 'Value passed for the token was invalid.')
      }
      record.used = true
      return tokenResponse(issue(record.userId, record.familyId), 'tweet.read tweet.write users.read offline.access media.write')
    }
    return oauthError('unsupported_grant_type', `grant_type ${body.grant_type ?? '(missing)'} is not supported`)
  }

  function authorize(url: URL): Reply {
    const q = url.searchParams
    const redirectUri = q.get('redirect_uri')
    if (q.get('client_id') !== clientId || !redirectUri) return { status: 400, body: { error: 'invalid_request', error_description: 'unknown client or redirect_uri' } }
    const back = new URL(redirectUri)
    const state = q.get('state')
    if (state) back.searchParams.set('state', state)
    if (q.get('response_type') !== 'code' || q.get('code_challenge_method') !== 'S256' || !q.get('code_challenge') || !state) {
      back.searchParams.set('error', 'invalid_request')
      return { status: 302, headers: { location: back.toString() } }
    }
    const code = token('code')
    codes.set(code, { userId: user.id, redirectUri, codeChallenge: q.get('code_challenge')!, scope: q.get('scope') ?? '', expiresAt: Date.now() + 10 * 60_000, used: false })
    back.searchParams.set('code', code)
    return { status: 302, headers: { location: back.toString() } }
  }

  function createPost(author: XUser, body: { text?: string; reply?: { in_reply_to_tweet_id?: string }; media?: { media_ids?: string[] } }): Reply {
    const text = body.text ?? ''
    const mediaIds = body.media?.media_ids ?? []
    const invalid = (message: string): Reply => ({
      status: 400,
      body: { errors: [{ message }], title: 'Invalid Request', detail: 'One or more parameters to your request was invalid.', type: 'https://api.twitter.com/2/problems/invalid-request' },
    })
    if (!text && mediaIds.length === 0) return invalid('text or media is required')
    const maxLength = author.subscriptionType ? 25_000 : (options.maxLength ?? 280)
    if (weightedLength(text) > maxLength) return invalid('Your Tweet text is too long.')
    const inReplyTo = body.reply?.in_reply_to_tweet_id
    if (inReplyTo && !posts.some((p) => p.id === inReplyTo)) return invalid('The Tweet you are replying to does not exist.')
    for (const id of mediaIds) {
      const item = media.get(id)
      if (!item || !item.finalized || item.ownerId !== author.id) return invalid(`media id ${id} is not usable`)
      if (item.state && item.state !== 'succeeded') return invalid(`media id ${id} is still processing or failed (${item.state})`)
    }
    if (rejectDuplicates && text && posts.some((p) => p.authorId === author.id && p.text === text)) {
      counters.duplicatesRefused++
      return { status: 403, body: DUPLICATE }
    }
    const post: XPost = { id: newId(), authorId: author.id, text, createdAt: new Date(), inReplyTo, mediaIds }
    posts.push(post)
    counters.postsCreated++
    return { status: 201, body: { data: { id: post.id, text, edit_history_tweet_ids: [post.id] } } }
  }

  const escapeHtml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')

  function timeline(url: URL, userId: string): Reply {
    counters.timelineReads++
    const start = url.searchParams.get('start_time')
    const max = Math.min(100, Math.max(5, Number(url.searchParams.get('max_results') ?? 10)))
    const offset = Number(url.searchParams.get('pagination_token') ?? 0)
    const mine = posts
      .filter((p) => p.authorId === userId && (!start || p.createdAt.getTime() >= Date.parse(start)))
      .reverse()
    const page = mine.slice(offset, offset + max)
    if (page.length === 0) return { status: 200, body: { meta: { result_count: 0 } } }
    const data = page.map((p) => ({
      id: p.id,
      text: escapeHtml(p.text),
      created_at: p.createdAt.toISOString(),
      edit_history_tweet_ids: [p.id],
      ...(p.inReplyTo ? { referenced_tweets: [{ type: 'replied_to', id: p.inReplyTo }] } : {}),
    }))
    const next = offset + max < mine.length ? String(offset + max) : undefined
    return { status: 200, body: { data, meta: { result_count: data.length, newest_id: page[0]!.id, oldest_id: page[page.length - 1]!.id, next_token: next } } }
  }

  function upload(author: XUser, req: http.IncomingMessage, raw: Buffer): Reply {
    const type = req.headers['content-type'] ?? ''
    if (!type.startsWith('multipart/form-data')) return { status: 400, body: { errors: [{ code: 38, message: 'media upload must be multipart/form-data' }] } }
    const form = parseMultipart(raw, type)
    const field = (name: string) => form.get(name)?.toString('utf8')
    const command = field('command')
    if (command === 'INIT') {
      const id = newId()
      const category = field('media_category')
      const mimeType = field('media_type') ?? ''
      if (category === 'tweet_video' && !['video/mp4', 'video/quicktime'].includes(mimeType)) {
        return { status: 400, body: { errors: [{ code: 324, message: `media_type ${mimeType} is not a video type` }] } }
      }
      media.set(id, { id, ownerId: author.id, mimeType, totalBytes: Number(field('total_bytes')), chunks: [], finalized: false, category })
      return { status: 202, body: { media_id: Number(id), media_id_string: id, expires_after_secs: 86400 } }
    }
    const item = media.get(field('media_id') ?? '')
    if (!item || item.ownerId !== author.id) return { status: 400, body: { errors: [{ code: 324, message: 'Invalid media id' }] } }
    if (command === 'APPEND') {
      const chunk = form.get('media')
      if (!chunk) return { status: 400, body: { errors: [{ code: 38, message: 'media parameter is missing.' }] } }
      item.chunks[Number(field('segment_index'))] = chunk
      return { status: 204 }
    }
    if (command === 'FINALIZE') {
      const size = item.chunks.reduce((n, c) => n + c.length, 0)
      if (size !== item.totalBytes) return { status: 400, body: { errors: [{ code: 324, message: `File size ${size} does not match total_bytes ${item.totalBytes}` }] } }
      item.finalized = true
      if (item.category === 'tweet_video') {
        item.processing = [...(videoScripts.shift() ?? DEFAULT_VIDEO_PROCESSING)]
        const info = processingInfo(item)
        return { status: 201, body: { media_id: Number(item.id), media_id_string: item.id, size, expires_after_secs: 86400, video: { video_type: item.mimeType }, ...(info ? { processing_info: info } : {}) } }
      }
      return { status: 201, body: { media_id: Number(item.id), media_id_string: item.id, size, expires_after_secs: 86400, image: { image_type: item.mimeType } } }
    }
    return { status: 400, body: { errors: [{ code: 38, message: `unknown command ${command}` }] } }
  }

  async function route(req: http.IncomingMessage, url: URL, raw: Buffer): Promise<Reply> {
    const method = req.method ?? 'GET'
    const path = url.pathname
    if (method === 'GET' && path === '/i/oauth2/authorize') return authorize(url)
    if (method === 'POST' && (path === '/2/oauth2/token' || path === '/2/oauth2/revoke')) {
      const text = raw.toString('utf8')
      const body: Record<string, string> = (req.headers['content-type'] ?? '').includes('json')
        ? JSON.parse(text || '{}')
        : Object.fromEntries(new URLSearchParams(text))
      if (path === '/2/oauth2/token') return tokenEndpoint(req, body)
      if (!clientAuthenticated(req, body)) return oauthError('invalid_client', 'Missing valid authorization header', 401)
      const access = accessTokens.get(body.token ?? '')
      if (access) access.revoked = true
      const refresh = refreshTokens.get(body.token ?? '')
      if (refresh) refresh.used = true
      return { status: 200, body: { revoked: true } }
    }
    const author = authenticate(req)
    if (!author) {
      counters.unauthorized++
      return { status: 401, body: UNAUTHORIZED }
    }
    const json = () => JSON.parse(raw.toString('utf8') || '{}')
    if (method === 'GET' && path === '/2/users/me') {
      const fields = (url.searchParams.get('user.fields') ?? '').split(',')
      const data: Record<string, string> = { id: author.id, name: author.name, username: author.username }
      if (fields.includes('subscription_type')) data.subscription_type = author.subscriptionType ?? 'None'
      return { status: 200, body: { data } }
    }
    if (method === 'POST' && path === '/2/tweets') return createPost(author, json())
    const deleteMatch = /^\/2\/tweets\/(\d+)$/.exec(path)
    if (method === 'DELETE' && deleteMatch) {
      const index = posts.findIndex((p) => p.id === deleteMatch[1] && p.authorId === author.id)
      if (index < 0) return { status: 404, body: { title: 'Not Found Error', type: 'https://api.twitter.com/2/problems/resource-not-found', detail: 'Could not find tweet', status: 404 } }
      posts.splice(index, 1)
      return { status: 200, body: { data: { deleted: true } } }
    }
    const showMatch = /^\/2\/tweets\/(\d+)$/.exec(path)
    if (method === 'GET' && showMatch) {
      const post = posts.find((p) => p.id === showMatch[1])
      if (!post) return { status: 200, body: { errors: [{ value: showMatch[1], detail: `Could not find tweet with id: [${showMatch[1]}].`, title: 'Not Found Error', resource_type: 'tweet', parameter: 'id', resource_id: showMatch[1], type: 'https://api.twitter.com/2/problems/resource-not-found' }] } }
      const fields = (url.searchParams.get('tweet.fields') ?? '').split(',')
      const data: Record<string, unknown> = { id: post.id, text: escapeHtml(post.text), edit_history_tweet_ids: [post.id] }
      if (fields.includes('public_metrics')) data.public_metrics = { ...ZERO_METRICS, ...post.metrics }
      if (fields.includes('created_at')) data.created_at = post.createdAt.toISOString()
      return { status: 200, body: { data } }
    }
    const timelineMatch = /^\/2\/users\/(\d+)\/tweets$/.exec(path)
    if (method === 'GET' && timelineMatch) return timeline(url, timelineMatch[1]!)
    if (method === 'POST' && path === '/1.1/media/upload.json') return upload(author, req, raw)
    if (method === 'GET' && path === '/1.1/media/upload.json') {
      // STATUS: https://developer.x.com/en/docs/x-api/v1/media/upload-media/api-reference/get-media-upload-status
      const item = media.get(url.searchParams.get('media_id') ?? '')
      if (url.searchParams.get('command') !== 'STATUS') return { status: 400, body: { errors: [{ code: 38, message: 'command must be STATUS' }] } }
      if (!item || item.ownerId !== author.id) return { status: 400, body: { errors: [{ code: 324, message: 'Invalid media id' }] } }
      statusChecks++
      const info = processingInfo(item)
      return { status: 200, body: { media_id: Number(item.id), media_id_string: item.id, expires_after_secs: 86400, ...(info ? { processing_info: info } : {}) } }
    }
    if (method === 'POST' && path === '/1.1/media/metadata/create.json') {
      const body = json()
      const item = media.get(String(body.media_id))
      if (!item || item.ownerId !== author.id) return { status: 400, body: { errors: [{ code: 324, message: 'Invalid media id' }] } }
      item.altText = body.alt_text?.text
      return { status: 200 }
    }
    return { status: 404, body: { title: 'Not Found', detail: `${method} ${path} is not served by the test X API`, status: 404 } }
  }

  function rateLimitHeaders(): Record<string, string> {
    return { 'x-rate-limit-limit': '100', 'x-rate-limit-remaining': '99', 'x-rate-limit-reset': String(Math.ceil(Date.now() / 1000) + 900) }
  }


  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', async () => {
      const url = new URL(req.url ?? '/', 'http://localhost')
      const method = req.method ?? 'GET'
      requests.push({ method, path: url.pathname })
      const raw = Buffer.concat(chunks)
      const isCreate = method === 'POST' && url.pathname === '/2/tweets'
      const textOf = () => String(JSON.parse(raw.toString('utf8') || '{}').text ?? '')
      let fault: XApiFaultRule | null = null
      const send = (reply: Reply) => {
        const headers = { ...rateLimitHeaders(), ...(reply.body === undefined ? {} : JSON_TYPE), ...reply.headers }
        res.writeHead(reply.status, headers)
        res.end(reply.body === undefined ? undefined : JSON.stringify(reply.body))
      }
      try {
        // A held request does not use up an injected fault.
        if (hold && isCreate) {
          const text = textOf()
          const held = hold.match(text)
          if (held) {
            const applied = held.apply && (await route(req, url, raw)).status === 201
            hold.onHeld({ text, applied, drop: () => req.socket.destroy() })
            return
          }
        }
        fault = faults.take(method, url.pathname)
        if (fault && isCreate) faultsApplied.push({ kind: fault.kind, apply: 'apply' in fault ? fault.apply : undefined, ms: 'ms' in fault ? fault.ms : undefined, text: textOf(), at: Date.now() })
        if (fault?.kind === 'hang') return
        if (fault?.kind === 'reset') {
          if (fault.apply) await route(req, url, raw)
          req.socket.destroy()
          return
        }
        if (fault?.kind === 'unavailable') {
          if (fault.apply) await route(req, url, raw)
          return send({ status: 503, body: { title: 'Service Unavailable', detail: 'Service Unavailable', type: 'about:blank', status: 503 } })
        }
        if (fault?.kind === 'slow') {
          const reply = await route(req, url, raw)
          return delayed.after(fault.ms, () => {
            if (!res.destroyed) send(reply)
          })
        }
        if (fault?.kind === 'duplicate') return send({ status: 403, body: DUPLICATE })
        if (fault?.kind === 'rate-limit') {
          const reset = Math.ceil((fault.resetAt?.getTime() ?? Date.now() + 900_000) / 1000)
          const headers: Record<string, string> = { 'x-rate-limit-limit': '100', 'x-rate-limit-remaining': '0', 'x-rate-limit-reset': String(reset) }
          if (fault.userDayResetAt) {
            Object.assign(headers, {
              'x-user-limit-24hour-limit': '17',
              'x-user-limit-24hour-remaining': '0',
              'x-user-limit-24hour-reset': String(Math.ceil(fault.userDayResetAt.getTime() / 1000)),
            })
          }
          return send({ status: 429, headers, body: { title: 'Too Many Requests', detail: 'Too Many Requests', type: 'about:blank', status: 429 } })
        }
        send(await route(req, url, raw))
      } catch (error) {
        send({ status: 500, body: { title: 'Internal Error', detail: String(error), status: 500 } })
      }
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
    authorizeUrl: `${url}/i/oauth2/authorize`,
    clientId,
    clientSecret,
    user,
    posts,
    media,
    counters,
    requests,
    injectFault: (rule) => faults.inject(rule),
    faultsApplied,
    holdPosts: (match, onHeld) => {
      hold = { match, onHeld }
    },
    countsByText: () => {
      const counts = new Map<string, number>()
      for (const post of posts) counts.set(post.text, (counts.get(post.text) ?? 0) + 1)
      return counts
    },
    setMetrics: (postId, metrics) => {
      const post = posts.find((p) => p.id === postId)
      if (!post) throw new Error(`no post ${postId}`)
      post.metrics = { ...ZERO_METRICS, ...post.metrics, ...metrics }
    },
    issueTokens: (args = {}) => {
      const userId = args.userId ?? user.id
      return issue(userId, newFamily(userId), args.accessTtlSeconds)
    },
    expireAccessTokens: () => {
      for (const record of accessTokens.values()) record.expiresAt = 0
    },
    scriptVideoProcessing: (...scripts) => {
      videoScripts.push(...scripts)
    },
    statusChecks: () => statusChecks,
    close: async () => {
      delayed.clear()
      for (const socket of sockets) socket.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

/** The fields of a multipart/form-data body, as raw bytes (binary parts must not go through a text decoder). */
function parseMultipart(raw: Buffer, contentType: string): Map<string, Buffer> {
  const match = /boundary=(?:"([^"]+)"|([^;]+))/.exec(contentType)
  const fields = new Map<string, Buffer>()
  if (!match) return fields
  const delimiter = Buffer.from(`--${match[1] ?? match[2]}`)
  let at = raw.indexOf(delimiter)
  while (at >= 0) {
    const start = at + delimiter.length
    if (raw.subarray(start, start + 2).toString() === '--') break
    const next = raw.indexOf(delimiter, start)
    if (next < 0) break
    const part = raw.subarray(start + 2, next - 2) // each part sits between CRLFs
    const headerEnd = part.indexOf('\r\n\r\n')
    const name = /name="([^"]*)"/.exec(part.subarray(0, headerEnd).toString('utf8'))?.[1]
    if (name) fields.set(name, part.subarray(headerEnd + 4))
    at = next
  }
  return fields
}
