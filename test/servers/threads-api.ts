import { createHash, randomBytes } from 'node:crypto'
import { faultQueue, type FaultRule } from './faults'
import { fieldsOf, startHttpBase, type LoopbackAnswer, type LoopbackRequest } from './http-base'

/**
 * A loopback server that speaks the parts of Meta's Threads API Trickle uses, as
 * developers.facebook.com/docs/threads describes them: the consent page `GET /oauth/authorize` (which
 * redirects back with `code` and `state`), `POST /oauth/access_token` (a 1-hour token),
 * `GET /access_token?grant_type=th_exchange_token` (60 days), `GET /refresh_access_token?grant_type=
 * th_refresh_token` (only for a long-lived token at least 24 hours old; the old one stays valid),
 * `GET /v1.0/me`, `POST /v1.0/{user}/threads` (a TEXT container, `reply_to_id`), `POST /v1.0/{user}/
 * threads_publish`, `GET /v1.0/{user}/threads` (newest first, `since`), `GET /v1.0/{id}/replies`,
 * `GET /v1.0/{id}?fields=permalink`. Media (decision 111): IMAGE and VIDEO containers fetch their
 * `image_url` / `video_url` at once (a video in byte ranges, as Meta does), check what came back (status,
 * Content-Type, Content-Length, the bytes), and record it; 2–20 of them with `is_carousel_item` go under a
 * CAROUSEL container (`children`); `GET /v1.0/{container}?fields=status,error_message` reports
 * IN_PROGRESS, FINISHED, ERROR or EXPIRED as `scriptProcessing` says (FINISHED by default), and only a
 * FINISHED container can be published. Errors are Graph errors (`{ error: { message, type, code,
 * fbtrace_id } }`): 190 for a bad token, 100 for a bad parameter, 4 with `X-Business-Use-Case-Usage`'s
 * `estimated_time_to_regain_access` (minutes) when throttled.
 */

export type ThreadsFault = { kind: 'rate-limit'; resetAt: Date } | { kind: 'unavailable'; apply?: boolean } | { kind: 'reset'; apply?: boolean }
export type ThreadsPost = { id: string; text: string; replyTo: string | null; timestamp: number; userId: string; mediaType: string; media: FetchedMedia[] }
/** A file a media container fetched: its address, type, length and bytes' SHA-256, and whether it came in ranges. */
export type FetchedMedia = { url: string; contentType: string; size: number; sha256: string; ranged: boolean; altText?: string }
export type ContainerStatus = 'IN_PROGRESS' | 'FINISHED' | 'ERROR' | 'EXPIRED'
type Container = { text: string; replyTo: string | null; published: boolean; mediaType: string; media: FetchedMedia[]; carouselItem: boolean; states: ContainerStatus[]; errorMessage?: string }

export type ThreadsApiServer = {
  url: string
  clientId: string
  clientSecret: string
  user: { id: string; username: string; name: string }
  posts: ThreadsPost[]
  counters: { postsCreated: number; containers: number; refreshes: number; statusReads: number }
  /** What the next media containers report, read by read (the last one stays); `errorMessage` with ERROR. Default FINISHED. */
  scriptProcessing(states: ContainerStatus[], errorMessage?: string): void
  /** Every file a container fetched. */
  fetched: FetchedMedia[]
  /** A long-lived token as if the user had connected `ageMs` ago (refreshable once a day old). */
  issueToken(args?: { ageMs?: number }): { accessToken: string; expiresIn: number }
  injectFault(rule: FaultRule<ThreadsFault>): void
  close(): Promise<void>
}

const LONG_TTL_S = 60 * 24 * 3600
const DAY_MS = 24 * 3600_000

function graphError(status: number, code: number, message: string, type = 'OAuthException', headers?: Record<string, string>): LoopbackAnswer {
  return { status, headers, json: { error: { message, type, code, fbtrace_id: randomBytes(8).toString('base64url') } } }
}

export async function startThreadsApiServer(): Promise<ThreadsApiServer> {
  const clientId = String(1_000_000_000 + Math.floor(Math.random() * 1e9))
  const clientSecret = randomBytes(16).toString('hex')
  const user = { id: '17841400000000001', username: 'trickle.threads', name: 'Trickle Threads' }
  const codes = new Map<string, { redirectUri: string; challenge: string; used: boolean }>()
  const tokens = new Map<string, { long: boolean; issuedAt: number; expiresAt: number }>()
  const containers = new Map<string, Container>()
  const posts: ThreadsPost[] = []
  const counters = { postsCreated: 0, containers: 0, refreshes: 0, statusReads: 0 }
  const fetched: FetchedMedia[] = []
  let script: { states: ContainerStatus[]; errorMessage?: string } = { states: ['FINISHED'] }

  /** Fetch a media URL as Meta does: an image whole, a video in two byte ranges. Null when it cannot be fetched or is not what it says. */
  async function fetchMedia(url: string, video: boolean): Promise<FetchedMedia | null> {
    try {
      if (!/^https?:\/\//.test(url)) return null
      if (!video) {
        const answer = await fetch(url, { signal: AbortSignal.timeout(5000) })
        const bytes = Buffer.from(await answer.arrayBuffer())
        const contentType = answer.headers.get('content-type') ?? ''
        if (answer.status !== 200 || !/^image\/(jpeg|png)$/.test(contentType) || Number(answer.headers.get('content-length')) !== bytes.length) return null
        return { url, contentType, size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex'), ranged: false }
      }
      const first = await fetch(url, { headers: { range: 'bytes=0-1023' }, signal: AbortSignal.timeout(5000) })
      const head = Buffer.from(await first.arrayBuffer())
      const total = Number(/^bytes 0-\d+\/(\d+)$/.exec(first.headers.get('content-range') ?? '')?.[1])
      const contentType = first.headers.get('content-type') ?? ''
      if (first.status !== 206 || !Number.isFinite(total) || !/^video\/(mp4|quicktime)$/.test(contentType)) return null
      let bytes = head
      if (total > head.length) {
        const rest = await fetch(url, { headers: { range: `bytes=${head.length}-` }, signal: AbortSignal.timeout(5000) })
        const tail = Buffer.from(await rest.arrayBuffer())
        if (rest.status !== 206 || rest.headers.get('content-range') !== `bytes ${head.length}-${total - 1}/${total}` || Number(rest.headers.get('content-length')) !== tail.length) return null
        bytes = Buffer.concat([head, tail])
      }
      if (bytes.length !== total) return null
      return { url, contentType, size: total, sha256: createHash('sha256').update(bytes).digest('hex'), ranged: true }
    } catch {
      return null
    }
  }
  const faults = faultQueue<ThreadsFault>()
  let next = 18_000_000_000_000_000n

  function issue(long: boolean, ageMs = 0) {
    const accessToken = `TH${long ? 'AA' : 'SS'}${randomBytes(24).toString('base64url')}`
    const issuedAt = Date.now() - ageMs
    tokens.set(accessToken, { long, issuedAt, expiresAt: issuedAt + (long ? LONG_TTL_S * 1000 : 3600_000) })
    return { accessToken, expiresIn: long ? Math.floor((issuedAt + LONG_TTL_S * 1000 - Date.now()) / 1000) : 3600 }
  }
  const valid = (token: string | undefined) => {
    const t = tokens.get(token ?? '')
    return t && t.expiresAt > Date.now() ? t : null
  }
  const badToken = () => graphError(400, 190, 'Invalid OAuth access token - Cannot parse access token')

  async function handle(request: LoopbackRequest): Promise<LoopbackAnswer> {
    const path = request.url.pathname
    const f = fieldsOf(request)
    if (request.method === 'GET' && path === '/oauth/authorize') {
      const redirectUri = f.redirect_uri ?? ''
      if (f.client_id !== clientId || f.response_type !== 'code' || !redirectUri) return { status: 400, raw: '<p>Invalid platform app</p>' }
      const code = randomBytes(16).toString('base64url')
      codes.set(code, { redirectUri, challenge: f.code_challenge ?? '', used: false })
      const back = new URL(redirectUri)
      back.searchParams.set('code', code)
      back.searchParams.set('state', f.state ?? '')
      // Meta appends `#_` to the redirect (a fragment: the callback never sees it).
      back.hash = '_'
      return { status: 302, headers: { location: back.toString() } }
    }
    if (request.method === 'POST' && path === '/oauth/access_token') {
      if (f.client_id !== clientId || f.client_secret !== clientSecret) return graphError(400, 101, 'Error validating client secret.')
      const pending = codes.get(f.code ?? '')
      if (!pending || pending.used || pending.redirectUri !== f.redirect_uri) return graphError(400, 100, 'Invalid verification code format.')
      pending.used = true
      if (pending.challenge && createHash('sha256').update(f.code_verifier ?? '').digest('base64url') !== pending.challenge) return graphError(400, 100, 'Invalid code verifier.')
      return { status: 200, json: { access_token: issue(false).accessToken, user_id: Number(user.id) } }
    }
    if (request.method === 'GET' && path === '/access_token') {
      if (f.grant_type !== 'th_exchange_token' || f.client_secret !== clientSecret) return graphError(400, 100, 'Invalid grant_type or client_secret')
      const short = valid(f.access_token)
      if (!short || short.long) return badToken()
      const long = issue(true)
      return { status: 200, json: { access_token: long.accessToken, token_type: 'bearer', expires_in: long.expiresIn } }
    }
    if (request.method === 'GET' && path === '/refresh_access_token') {
      counters.refreshes++
      const token = valid(f.access_token)
      if (f.grant_type !== 'th_refresh_token' || !token || !token.long) return badToken()
      if (Date.now() - token.issuedAt < DAY_MS) return graphError(400, 190, 'The access token is less than 24 hours old and cannot be refreshed yet.')
      const renewed = issue(true)
      return { status: 200, json: { access_token: renewed.accessToken, token_type: 'bearer', expires_in: renewed.expiresIn } }
    }
    const match = /^\/v1\.0\/([^/]+)(?:\/([a-z_]+))?$/.exec(path)
    if (!match) return graphError(404, 803, `Unknown path components: ${path}`)
    if (!valid(f.access_token)) return badToken()
    const [, node, edge] = match
    const self = node === 'me' || node === user.id
    if (request.method === 'GET' && self && !edge) return { status: 200, json: { id: user.id, username: user.username, name: user.name } }
    if (request.method === 'POST' && self && edge === 'threads') {
      const text = f.text ?? ''
      const type = f.media_type ?? ''
      if (!['TEXT', 'IMAGE', 'VIDEO', 'CAROUSEL'].includes(type)) return graphError(400, 100, 'Param media_type must be one of {TEXT, IMAGE, VIDEO, CAROUSEL}', 'THApiException')
      if ([...text].length > 500) return graphError(400, 100, 'Param text must be at most 500 characters long.', 'THApiException')
      if (type === 'TEXT' && !text) return graphError(400, 100, 'Param text is required for a TEXT post.', 'THApiException')
      if (f.reply_to_id && !posts.some((p) => p.id === f.reply_to_id)) return graphError(400, 100, 'Param reply_to_id is not a valid media id.', 'THApiException')
      const id = String(next++)
      const container: Container = { text, replyTo: f.reply_to_id || null, published: false, mediaType: type, media: [], carouselItem: f.is_carousel_item === 'true', states: ['FINISHED'] }
      if (type === 'IMAGE' || type === 'VIDEO') {
        const url = type === 'IMAGE' ? f.image_url : f.video_url
        if (!url) return graphError(400, 100, `Param ${type === 'IMAGE' ? 'image_url' : 'video_url'} is required.`, 'THApiException')
        const got = await fetchMedia(url, type === 'VIDEO')
        // An image that cannot be fetched is refused at once; a video's download fails in its status.
        if (!got && type === 'IMAGE') return graphError(400, 100, 'Media download has failed. The media URI doesn’t meet our requirements.', 'THApiException')
        if (got) {
          fetched.push(got)
          container.media.push({ ...got, ...(f.alt_text ? { altText: f.alt_text } : {}) })
          container.states = [...script.states]
          container.errorMessage = script.errorMessage
        } else {
          container.states = ['ERROR']
          container.errorMessage = 'FAILED_DOWNLOADING_VIDEO'
        }
      }
      if (type === 'CAROUSEL') {
        const children = (f.children ?? '').split(',').filter(Boolean).map((c) => containers.get(c))
        if (children.length < 2 || children.length > 20 || children.some((c) => !c || !c.carouselItem || c.published)) return graphError(400, 100, 'Param children must name 2 to 20 carousel items.', 'THApiException')
        if (children.some((c) => c!.states[0] !== 'FINISHED')) return graphError(400, 100, 'A carousel item is not ready: wait until it is FINISHED.', 'THApiException')
        container.media = children.flatMap((c) => c!.media)
        for (const c of children) c!.published = true
      }
      containers.set(id, container)
      counters.containers++
      return { status: 200, json: { id } }
    }
    if (request.method === 'POST' && self && edge === 'threads_publish') {
      const fault = faults.take('POST', 'publish')
      if (fault?.kind === 'rate-limit') {
        // Whole minutes, the nearest (Meta reports no finer): rounding up made a reset 60.001 s away read as 2 minutes under load.
        const minutes = Math.max(1, Math.round((fault.resetAt.getTime() - Date.now()) / 60_000))
        const usage = { [user.id]: [{ type: 'threads', call_count: 100, total_cputime: 12, total_time: 30, estimated_time_to_regain_access: minutes }] }
        return graphError(400, 4, 'Application request limit reached', 'OAuthException', { 'x-business-use-case-usage': JSON.stringify(usage) })
      }
      const unavailable: LoopbackAnswer = { status: 503, raw: '<html><body>Sorry, something went wrong.</body></html>' }
      if (fault && !fault.apply) return fault.kind === 'reset' ? 'reset' : unavailable
      const container = containers.get(f.creation_id ?? '')
      let answer: LoopbackAnswer
      if (!container) answer = graphError(400, 100, 'Param creation_id is not a valid container id.', 'THApiException')
      else if (container.published) answer = graphError(400, 10, 'The media has already been published.', 'THApiException')
      else if (container.carouselItem) answer = graphError(400, 100, 'A carousel item is published through its CAROUSEL container.', 'THApiException')
      else if (container.states[0] !== 'FINISHED') answer = graphError(400, 9007, 'The media is not ready to be published. Please wait a moment.', 'THApiException')
      else {
        container.published = true
        const id = String(next++)
        posts.push({ id, text: container.text, replyTo: container.replyTo, timestamp: Date.now(), userId: user.id, mediaType: container.mediaType, media: container.media })
        counters.postsCreated++
        answer = { status: 200, json: { id } }
      }
      if (fault?.kind === 'reset') return 'reset'
      if (fault?.kind === 'unavailable') return unavailable
      return answer
    }
    const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, '+0000')
    const json = (p: ThreadsPost) => ({ id: p.id, text: p.text, username: user.username, timestamp: iso(p.timestamp), permalink: `https://www.threads.net/@${user.username}/post/${p.id}` })
    if (request.method === 'GET' && self && edge === 'threads') {
      const since = Number(f.since ?? 0) * 1000
      const limit = Number(f.limit ?? 25)
      const mine = posts.filter((p) => !p.replyTo && p.timestamp >= since).sort((a, b) => b.timestamp - a.timestamp).slice(0, limit)
      return { status: 200, json: { data: mine.map(json), paging: {} } }
    }
    const pending = containers.get(node ?? '')
    if (request.method === 'GET' && pending && !edge && (f.fields ?? '').includes('status')) {
      counters.statusReads++
      const status = pending.states.length > 1 ? pending.states.shift()! : pending.states[0]!
      return { status: 200, json: { id: node, status, ...(status === 'ERROR' ? { error_message: pending.errorMessage ?? 'UNKNOWN' } : {}) } }
    }
    const post = posts.find((p) => p.id === node)
    if (!post) return graphError(400, 100, `Unsupported get request. Object with ID '${node}' does not exist`, 'GraphMethodException')
    if (request.method === 'GET' && edge === 'replies') return { status: 200, json: { data: posts.filter((p) => p.replyTo === post.id).map(json), paging: {} } }
    if (request.method === 'GET' && !edge) return { status: 200, json: json(post) }
    return graphError(400, 100, 'Unsupported request', 'GraphMethodException')
  }

  const http = await startHttpBase(handle)
  return {
    url: http.url,
    clientId,
    clientSecret,
    user,
    posts,
    counters,
    fetched,
    scriptProcessing: (states, errorMessage) => {
      script = { states: [...states], errorMessage }
    },
    issueToken: (args = {}) => issue(true, args.ageMs ?? 2 * DAY_MS),
    injectFault: (rule) => faults.inject(rule),
    close: () => http.close(),
  }
}
