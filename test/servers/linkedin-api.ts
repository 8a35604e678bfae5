import { createHash, randomBytes } from 'node:crypto'
import { faultQueue, type FaultRule } from './faults'
import { fieldsOf, startHttpBase, type LoopbackAnswer, type LoopbackRequest } from './http-base'

/**
 * A loopback server that speaks the parts of LinkedIn's API Trickle uses, as its documentation
 * (learn.microsoft.com/linkedin) describes them: the consent page `GET /oauth/v2/authorization` (which
 * "signs in" the test member and redirects back with `code` and `state`), `POST /oauth/v2/accessToken`
 * (authorization code with PKCE, refresh token: 60-day access tokens; refresh tokens of 365 days that
 * do not rotate, when `refreshTokens`), `GET /v2/userinfo`, and the versioned REST API, which wants
 * `LinkedIn-Version` (426 without): `POST /rest/images?action=initializeUpload` + `PUT` of the bytes,
 * `POST /rest/posts` (201, id in `x-restli-id`; 422 for a text the author already posted),
 * `GET /rest/posts?q=author`, `POST|GET /rest/socialActions/{post}/comments`, and for pages
 * `GET /rest/organizationAcls?q=roleAssignee` and `GET /rest/organizations/{id}`. Errors carry LinkedIn's
 * body (`{ status, serviceErrorCode, code, message }`); 401 INVALID_ACCESS_TOKEN; 429 with `Retry-After`.
 * Videos (decision 105): `POST /rest/videos?action=initializeUpload` (the file's size → upload
 * instructions, one per part of `partBytes`, 4 MB as on LinkedIn), a `PUT` of each part (its `etag`),
 * `POST /rest/videos?action=finalizeUpload` (the etags in order), then `GET /rest/videos/{urn}`, whose
 * `status` follows the test's script (`scriptVideoProcessing`: PROCESSING, AVAILABLE, PROCESSING_FAILED);
 * a post may name a video only once it is AVAILABLE.
 */

export type LinkedInFault = { kind: 'rate-limit'; resetAt?: Date } | { kind: 'unavailable'; apply?: boolean } | { kind: 'reset'; apply?: boolean }
export type LinkedInPost = { id: string; author: string; commentary: string; images: Array<{ id: string; altText?: string; bytes: number }>; video?: { id: string; title?: string }; createdAt: number; version: string }
export type LinkedInVideoStatus = 'PROCESSING' | 'AVAILABLE' | 'PROCESSING_FAILED'
export type LinkedInVideo = {
  id: string
  owner: string
  size: number
  parts: Array<{ firstByte: number; lastByte: number; bytes: Buffer | null; etag: string | null }>
  finalized: boolean
  /** The statuses its next reads answer after finalizing; the last one stays. */
  script: LinkedInVideoStatus[]
  status: LinkedInVideoStatus | 'WAITING_UPLOAD'
}
export type LinkedInComment = { id: string; post: string; actor: string; text: string; created: number }

export type LinkedInApiServer = {
  url: string
  clientId: string
  clientSecret: string
  member: { sub: string; name: string; urn: string }
  /** The page the member administers (Community Management API). */
  page: { id: string; urn: string; localizedName: string; vanityName: string }
  posts: LinkedInPost[]
  comments: LinkedInComment[]
  counters: { postsCreated: number; tokenExchanges: number; refreshes: number; videoStatusReads: number }
  videos: Map<string, LinkedInVideo>
  /** How the next videos are processed after finalizeUpload, one script each; without one: PROCESSING twice, then AVAILABLE. */
  scriptVideoProcessing(...scripts: LinkedInVideoStatus[][]): void
  /** Tokens as if the member had connected: an access token and (when granted) a refresh token. */
  issueTokens(): { accessToken: string; refreshToken?: string; expiresIn: number }
  /** Whether the token endpoint grants refresh tokens (LinkedIn does so for approved apps only). */
  refreshTokens: boolean
  injectFault(rule: FaultRule<LinkedInFault>): void
  close(): Promise<void>
}

const ACCESS_TTL_S = 60 * 24 * 3600
const REFRESH_TTL_S = 365 * 24 * 3600
const err = (status: number, code: string, message: string, serviceErrorCode = 100): LoopbackAnswer => ({ status, json: { status, serviceErrorCode, code, message } })

export async function startLinkedInApiServer(options: { refreshTokens?: boolean; /** Bytes per video part (LinkedIn: 4 MB). */ partBytes?: number } = {}): Promise<LinkedInApiServer> {
  const partBytes = options.partBytes ?? 4 * 1024 * 1024
  const videos = new Map<string, LinkedInVideo>()
  const videoScripts: LinkedInVideoStatus[][] = []
  const clientId = `li${randomBytes(6).toString('hex')}`
  const clientSecret = randomBytes(16).toString('base64url')
  const member = { sub: 'Xy12AbCdEf', name: 'Ada Lovelace', urn: 'urn:li:person:Xy12AbCdEf' }
  const page = { id: '2414183', urn: 'urn:li:organization:2414183', localizedName: 'Analytical Engines Ltd', vanityName: 'analytical-engines' }
  const authors = new Set([member.urn, page.urn])
  const codes = new Map<string, { redirectUri: string; challenge: string; used: boolean }>()
  const accessTokens = new Map<string, { expiresAt: number }>()
  const refreshTokens = new Map<string, { expiresAt: number }>()
  const images = new Map<string, { bytes: number; uploaded: boolean }>()
  const posts: LinkedInPost[] = []
  const comments: LinkedInComment[] = []
  const counters = { postsCreated: 0, tokenExchanges: 0, refreshes: 0, videoStatusReads: 0 }
  const faults = faultQueue<LinkedInFault>()
  let next = 7_100_000_000_000_000_000n
  const state = { refreshTokens: options.refreshTokens ?? true }
  let base = ''

  function issueTokens(refresh?: string) {
    const accessToken = `AQV${randomBytes(24).toString('base64url')}`
    accessTokens.set(accessToken, { expiresAt: Date.now() + ACCESS_TTL_S * 1000 })
    let refreshToken = refresh
    if (!refreshToken && state.refreshTokens) {
      refreshToken = `AQX${randomBytes(24).toString('base64url')}`
      refreshTokens.set(refreshToken, { expiresAt: Date.now() + REFRESH_TTL_S * 1000 })
    }
    return { accessToken, refreshToken, expiresIn: ACCESS_TTL_S }
  }

  function tokenAnswer(tokens: ReturnType<typeof issueTokens>): LoopbackAnswer {
    const refresh = tokens.refreshToken ? refreshTokens.get(tokens.refreshToken) : undefined
    return {
      status: 200,
      json: {
        access_token: tokens.accessToken,
        expires_in: tokens.expiresIn,
        ...(tokens.refreshToken ? { refresh_token: tokens.refreshToken, refresh_token_expires_in: Math.floor((refresh!.expiresAt - Date.now()) / 1000) } : {}),
        scope: 'openid,profile,w_member_social',
      },
    }
  }

  function oauth(request: LoopbackRequest): LoopbackAnswer {
    const q = request.url.searchParams
    if (request.method === 'GET' && request.url.pathname === '/oauth/v2/authorization') {
      const redirectUri = q.get('redirect_uri') ?? ''
      if (q.get('client_id') !== clientId || q.get('response_type') !== 'code' || !redirectUri) return { status: 400, raw: '<p>Invalid redirect_uri or client_id</p>' }
      if (q.get('code_challenge_method') !== 'S256' || !q.get('code_challenge')) return { status: 400, raw: '<p>code_challenge missing</p>' }
      const code = randomBytes(16).toString('base64url')
      codes.set(code, { redirectUri, challenge: q.get('code_challenge')!, used: false })
      const back = new URL(redirectUri)
      back.searchParams.set('code', code)
      back.searchParams.set('state', q.get('state') ?? '')
      return { status: 302, headers: { location: back.toString() } }
    }
    const f = fieldsOf(request)
    const invalid = (description: string): LoopbackAnswer => ({ status: 400, json: { error: 'invalid_request', error_description: description } })
    if (f.client_id !== clientId || f.client_secret !== clientSecret) return { status: 401, json: { error: 'invalid_client', error_description: 'Client authentication failed' } }
    if (f.grant_type === 'authorization_code') {
      counters.tokenExchanges++
      const pending = codes.get(f.code ?? '')
      if (!pending || pending.used || pending.redirectUri !== f.redirect_uri) return invalid('Unable to retrieve access token: appid/redirect uri/code verifier does not match authorization code. Or authorization code expired.')
      pending.used = true
      if (createHash('sha256').update(f.code_verifier ?? '').digest('base64url') !== pending.challenge) return invalid('code verifier does not match')
      return tokenAnswer(issueTokens())
    }
    if (f.grant_type === 'refresh_token') {
      counters.refreshes++
      const known = refreshTokens.get(f.refresh_token ?? '')
      if (!known || known.expiresAt < Date.now()) return invalid('The provided authorization grant or refresh token is invalid, expired or revoked.')
      return tokenAnswer(issueTokens(f.refresh_token))
    }
    return { status: 400, json: { error: 'unsupported_grant_type', error_description: 'grant_type' } }
  }

  function authorized(request: LoopbackRequest): LoopbackAnswer | null {
    const token = accessTokens.get(request.bearer ?? '')
    if (!token || token.expiresAt < Date.now()) return err(401, 'INVALID_ACCESS_TOKEN', 'Invalid access token', 65600)
    return null
  }

  function createPost(body: { author?: string; commentary?: string; content?: { media?: { id: string; altText?: string; title?: string }; multiImage?: { images: Array<{ id: string; altText?: string }> } } }, version: string): LoopbackAnswer {
    if (!authors.has(body.author ?? '')) return err(403, 'ACCESS_DENIED', `Not enough permissions to post as ${body.author}`, 100)
    const commentary = body.commentary ?? ''
    if ([...commentary.replace(/\\(.)/g, '$1')].length > 3000) return err(422, 'UNPROCESSABLE_ENTITY', '/commentary :: length exceeds 3000', 100)
    const duplicate = posts.find((p) => p.author === body.author && p.commentary === commentary && commentary !== '')
    if (duplicate) return err(422, 'UNPROCESSABLE_ENTITY', `Content is a duplicate of ${duplicate.id}`, 100)
    const media = body.content?.media
    if (media?.id.startsWith('urn:li:video:')) {
      const video = videos.get(media.id)
      if (!video || video.owner !== body.author) return err(400, 'INVALID_ARGUMENT', `/content/media/id :: ${media.id} is not a video of ${body.author}`, 100)
      if (video.status !== 'AVAILABLE') return err(400, 'INVALID_ARGUMENT', `/content/media/id :: ${media.id} is ${video.status}, not AVAILABLE`, 100)
      const id = `urn:li:ugcPost:${next++}`
      posts.push({ id, author: body.author!, commentary, images: [], video: { id: media.id, title: media.title }, createdAt: Date.now(), version })
      counters.postsCreated++
      return { status: 201, headers: { 'x-restli-id': id } }
    }
    const refs = media ? [media] : (body.content?.multiImage?.images ?? [])
    for (const ref of refs) if (!images.get(ref.id)?.uploaded) return err(400, 'INVALID_ARGUMENT', `/content/media/id :: ${ref.id} is not uploaded`, 100)
    const id = `urn:li:share:${next++}`
    posts.push({ id, author: body.author!, commentary, images: refs.map((r) => ({ id: r.id, altText: r.altText, bytes: images.get(r.id)!.bytes })), createdAt: Date.now(), version })
    counters.postsCreated++
    return { status: 201, headers: { 'x-restli-id': id } }
  }

  function createComment(postUrn: string, body: { actor?: string; object?: string; message?: { text?: string } }): LoopbackAnswer {
    if (!posts.some((p) => p.id === postUrn)) return err(404, 'NOT_FOUND', `${postUrn} does not exist`, 100)
    if (!authors.has(body.actor ?? '')) return err(403, 'ACCESS_DENIED', `Not enough permissions to comment as ${body.actor}`, 100)
    const id = `urn:li:comment:(${postUrn.replace('share', 'activity')},${next++})`
    comments.push({ id, post: postUrn, actor: body.actor!, text: body.message?.text ?? '', created: Date.now() })
    counters.postsCreated++
    return { status: 201, headers: { 'x-restli-id': id }, json: { $URN: id, id: id.split(',')[1]!.replace(')', ''), actor: body.actor, object: postUrn, message: body.message } }
  }

  function rest(request: LoopbackRequest): LoopbackAnswer | Promise<LoopbackAnswer> {
    const path = request.url.pathname
    if (request.method === 'PUT' && path.startsWith('/upload/')) {
      const refused = authorized(request)
      if (refused) return refused
      const image = images.get(`urn:li:image:${path.slice('/upload/'.length)}`)
      if (!image) return err(404, 'NOT_FOUND', 'upload url unknown')
      image.bytes = request.body.length
      image.uploaded = true
      return { status: 201 }
    }
    const videoPart = /^\/upload-video\/([^/]+)\/(\d+)$/.exec(path)
    if (request.method === 'PUT' && videoPart) {
      const refused = authorized(request)
      if (refused) return refused
      const video = videos.get(`urn:li:video:${videoPart[1]}`)
      const part = video?.parts[Number(videoPart[2])]
      if (!video || !part) return err(404, 'NOT_FOUND', 'upload url unknown')
      if (request.body.length !== part.lastByte - part.firstByte + 1) return err(400, 'INVALID_ARGUMENT', `part ${videoPart[2]} must be bytes ${part.firstByte}-${part.lastByte}, got ${request.body.length} bytes`)
      part.bytes = request.body
      part.etag = `/ambry-video/signedId/${randomBytes(12).toString('hex')}`
      return { status: 200, headers: { etag: part.etag } }
    }
    if (path === '/v2/userinfo') return authorized(request) ?? { status: 200, json: { sub: member.sub, name: member.name, given_name: 'Ada', family_name: 'Lovelace', locale: { country: 'GB', language: 'en' } } }
    if (!path.startsWith('/rest/')) return err(404, 'NOT_FOUND', `No resource ${path}`)
    const version = String(request.headers['linkedin-version'] ?? '')
    if (!/^\d{6}$/.test(version)) return err(426, 'NONEXISTENT_VERSION', `Requested version ${version} is not active`)
    const refused = authorized(request)
    if (refused) return refused
    const body = request.body.length ? (JSON.parse(request.body.toString('utf8')) as Record<string, never>) : {}
    if (request.method === 'POST' && path === '/rest/images' && request.url.searchParams.get('action') === 'initializeUpload') {
      const id = `C4E${randomBytes(8).toString('hex')}`
      images.set(`urn:li:image:${id}`, { bytes: 0, uploaded: false })
      return { status: 200, json: { value: { uploadUrlExpiresAt: Date.now() + 3600_000, uploadUrl: `${base}/upload/${id}`, image: `urn:li:image:${id}` } } }
    }
    if (request.method === 'POST' && path === '/rest/videos' && request.url.searchParams.get('action') === 'initializeUpload') {
      const init = (body as { initializeUploadRequest?: { owner?: string; fileSizeBytes?: number } }).initializeUploadRequest ?? {}
      if (!authors.has(init.owner ?? '')) return err(403, 'ACCESS_DENIED', `Not enough permissions to upload as ${init.owner}`, 100)
      const size = Number(init.fileSizeBytes)
      if (!(size >= 75 * 1024 && size <= 500 * 1024 * 1024)) return err(400, 'INVALID_ARGUMENT', '/initializeUploadRequest/fileSizeBytes :: must be between 75 KB and 500 MB', 100)
      const id = `C5F10AQ${randomBytes(8).toString('hex')}`
      const parts = Array.from({ length: Math.ceil(size / partBytes) }, (_, i) => ({ firstByte: i * partBytes, lastByte: Math.min(size, (i + 1) * partBytes) - 1, bytes: null, etag: null }))
      const video: LinkedInVideo = { id: `urn:li:video:${id}`, owner: init.owner!, size, parts, finalized: false, script: [...(videoScripts.shift() ?? ['PROCESSING', 'PROCESSING', 'AVAILABLE'])], status: 'WAITING_UPLOAD' }
      videos.set(video.id, video)
      return {
        status: 200,
        json: { value: { uploadUrlsExpireAt: Date.now() + 3600_000, video: video.id, uploadToken: '', uploadInstructions: parts.map((p, i) => ({ uploadUrl: `${base}/upload-video/${id}/${i}`, firstByte: p.firstByte, lastByte: p.lastByte })) } },
      }
    }
    if (request.method === 'POST' && path === '/rest/videos' && request.url.searchParams.get('action') === 'finalizeUpload') {
      const fin = (body as { finalizeUploadRequest?: { video?: string; uploadToken?: string; uploadedPartIds?: string[] } }).finalizeUploadRequest ?? {}
      const video = videos.get(fin.video ?? '')
      if (!video) return err(404, 'NOT_FOUND', `${fin.video} does not exist`)
      const etags = video.parts.map((p) => p.etag)
      if (etags.some((e) => !e) || JSON.stringify(etags) !== JSON.stringify(fin.uploadedPartIds ?? [])) return err(400, 'INVALID_ARGUMENT', '/finalizeUploadRequest/uploadedPartIds :: must name every part\'s etag, in order', 100)
      video.finalized = true
      video.status = 'PROCESSING'
      return { status: 200 }
    }
    const videoRead = /^\/rest\/videos\/([^/]+)$/.exec(path)
    if (request.method === 'GET' && videoRead) {
      const video = videos.get(decodeURIComponent(videoRead[1]!))
      if (!video) return err(404, 'NOT_FOUND', `${decodeURIComponent(videoRead[1]!)} does not exist`)
      counters.videoStatusReads++
      if (video.finalized) video.status = video.script.length > 1 ? video.script.shift()! : video.script[0]!
      return { status: 200, json: { id: video.id, owner: video.owner, status: video.status, ...(video.status === 'PROCESSING_FAILED' ? { processingFailureReason: 'Video is corrupt or in an unsupported format' } : {}) } }
    }
    if (request.method === 'GET' && path === '/rest/organizationAcls' && request.url.searchParams.get('q') === 'roleAssignee') {
      return { status: 200, json: { elements: [{ organization: page.urn, role: 'ADMINISTRATOR', state: 'APPROVED', roleAssignee: member.urn }], paging: { start: 0, count: 10 } } }
    }
    if (request.method === 'GET' && path === `/rest/organizations/${page.id}`) return { status: 200, json: { id: Number(page.id), localizedName: page.localizedName, vanityName: page.vanityName } }
    const commentsOf = /^\/rest\/socialActions\/([^/]+)\/comments$/.exec(path)
    const creates = request.method === 'POST' && (path === '/rest/posts' || commentsOf !== null)
    const fault = creates ? faults.take('POST', 'publish') : null
    if (fault?.kind === 'rate-limit') {
      return { status: 429, headers: fault.resetAt ? { 'retry-after': fault.resetAt.toUTCString() } : {}, json: { status: 429, message: 'Resource level throttle APPLICATION DAY limit for calls to this resource is reached.' } }
    }
    const unavailable: LoopbackAnswer = { status: 503, raw: '<html><body>Service Unavailable</body></html>' }
    if (fault && !fault.apply) return fault.kind === 'reset' ? 'reset' : unavailable
    let answer: LoopbackAnswer
    if (request.method === 'POST' && path === '/rest/posts') answer = createPost(body, version)
    else if (request.method === 'POST' && commentsOf) answer = createComment(decodeURIComponent(commentsOf[1]!), body)
    else if (request.method === 'GET' && path === '/rest/posts' && request.url.searchParams.get('q') === 'author') {
      const author = request.url.searchParams.get('author')
      const count = Number(request.url.searchParams.get('count') ?? 10)
      const mine = posts.filter((p) => p.author === author).sort((a, b) => b.createdAt - a.createdAt).slice(0, count)
      answer = { status: 200, json: { elements: mine.map((p) => ({ id: p.id, author: p.author, commentary: p.commentary, createdAt: p.createdAt, lifecycleState: 'PUBLISHED', visibility: 'PUBLIC' })), paging: { start: 0, count, links: [] } } }
    } else if (request.method === 'GET' && commentsOf) {
      const post = decodeURIComponent(commentsOf[1]!)
      answer = { status: 200, json: { elements: comments.filter((c) => c.post === post).map((c) => ({ id: c.id, actor: c.actor, object: c.post, message: { text: c.text }, created: { time: c.created } })), paging: { start: 0, count: 100 } } }
    } else answer = err(404, 'NOT_FOUND', `No resource ${path}`)
    if (fault?.kind === 'reset') return 'reset'
    if (fault?.kind === 'unavailable') return unavailable
    return answer
  }

  const http = await startHttpBase((request) => (request.url.pathname.startsWith('/oauth/v2/') ? oauth(request) : rest(request)))
  base = http.url
  return {
    url: http.url,
    clientId,
    clientSecret,
    member,
    page,
    posts,
    comments,
    counters,
    videos,
    scriptVideoProcessing: (...scripts) => void videoScripts.push(...scripts),
    issueTokens: () => issueTokens(),
    get refreshTokens() {
      return state.refreshTokens
    },
    set refreshTokens(value: boolean) {
      state.refreshTokens = value
    },
    injectFault: (rule) => faults.inject(rule),
    close: () => http.close(),
  }
}
