import { randomBytes } from 'node:crypto'
import { faultQueue, type FaultRule } from './faults'
import { fieldsOf, startHttpBase, type LoopbackAnswer, type LoopbackRequest } from './http-base'
import { multipartParts } from './multipart'

/**
 * A loopback server that speaks the parts of Meta's Graph API that Facebook Pages and Instagram use, as
 * developers.facebook.com/docs (Facebook Login, Pages API, Instagram Platform: content publishing)
 * describes them. Facebook Login: the consent page `GET /dialog/oauth` (redirects back with `code` and
 * `state`), `GET /{v}/oauth/access_token` (a code → a short-lived user token; `fb_exchange_token` → a
 * long-lived one), `GET /{v}/me`, `GET /{v}/me/accounts` (Pages with their access tokens, `tasks` and the
 * linked `instagram_business_account` when asked). Pages: `POST /{v}/{page}/feed` (`message`, `link`,
 * `attached_media[i]`; a text the Page posted within the hour is refused, code 506), `POST /{v}/{page}/photos`
 * (multipart `source`; `published=false&temporary=true` keeps it unpublished), `GET /{v}/{photo}?fields=images`
 * (its CDN address; Instagram's fetch of an `image_url` is modelled by finding the photo it names), `GET /{v}/{page}/posts`. Instagram: `POST /{v}/{ig}/media`
 * (an image container from `image_url`, which must be fetchable; carousel items and the CAROUSEL container),
 * `GET /{v}/{container}?fields=status_code` (IN_PROGRESS for `processingPolls` reads, then FINISHED, or ERROR
 * for an image that is not a JPEG), `POST /{v}/{ig}/media_publish` (only a FINISHED container, once; the
 * account's 24-hour publishing quota), `GET /{v}/{ig}/content_publishing_limit`, `GET /{v}/{ig}/media`.
 * Video (decision 105): a reel is a `REELS` container with `upload_type=resumable`, whose answer names the
 * `uri` the bytes go to (`POST /ig-api-upload/{v}/{container}` with `Authorization: OAuth <token>`,
 * `offset` and `file_size`, as rupload.facebook.com takes them); its `status_code` then follows the
 * script the test gave (`scriptReelProcessing`; IN_PROGRESS, FINISHED, ERROR, EXPIRED). A Page video is
 * `POST /{v}/{page}/videos` (multipart `source`, `description`): it is the post, shown once processed;
 * `GET /{v}/{video}?fields=status` answers `video_status` processing → ready (or error), per
 * `scriptPageVideoProcessing`, and `GET /{v}/{page}/videos` lists them.
 * Errors are Graph errors `{ error: { message, type, code, error_subcode, fbtrace_id } }`; throttling is
 * code 32 (Pages) or 4 (Instagram) with `X-App-Usage` and `X-Business-Use-Case-Usage` (its
 * `estimated_time_to_regain_access` in minutes).
 */

export type MetaFault = { kind: 'rate-limit'; resetAt: Date } | { kind: 'unavailable'; apply?: boolean } | { kind: 'reset'; apply?: boolean }
export type MetaPage = { id: string; name: string; tasks: string[]; instagram?: { id: string; username: string; name: string } }
export type PagePost = { id: string; pageId: string; message: string; link: string | null; photoIds: string[]; timestamp: number }
export type Photo = { id: string; pageId: string; published: boolean; contentType: string; bytes: Buffer }
export type IgContainer = {
  id: string
  igUserId: string
  imageUrl: string | null
  caption: string
  altText: string | null
  carouselItem: boolean
  children: string[]
  polls: number
  error: string | null
  published: boolean
  /** An image Instagram fetched from an address outside Meta (Trickle's signed media URL, decision 111): its bytes. */
  fetched?: Buffer
  /** A reel: the bytes uploaded to its `uri` (null until then) and the statuses its next reads answer. */
  reel?: { bytes: Buffer | null; uploads: number; script: ReelStatus[]; state: ReelStatus; shareToFeed: boolean }
}
export type IgMedia = { id: string; igUserId: string; caption: string; mediaType: 'IMAGE' | 'CAROUSEL_ALBUM' | 'VIDEO'; children: string[]; timestamp: number }
/** What reads of a reel container answer, one per read after its upload; the last one stays. */
export type ReelStatus = 'IN_PROGRESS' | 'FINISHED' | 'ERROR' | 'EXPIRED'
/** What reads of a Page video's status answer, one per read; the last one stays. */
export type PageVideoStatus = 'processing' | 'ready' | 'error'
export type PageVideo = { id: string; pageId: string; description: string; title: string | null; bytes: Buffer; published: boolean; script: PageVideoStatus[]; timestamp: number }

export type MetaGraphApiServer = {
  url: string
  version: string
  appId: string
  appSecret: string
  user: { id: string; name: string }
  pages: MetaPage[]
  posts: PagePost[]
  photos: Photo[]
  containers: Map<string, IgContainer>
  media: IgMedia[]
  videos: PageVideo[]
  /** How the next reels are processed after their upload, one script each; without one: IN_PROGRESS twice, then FINISHED. */
  scriptReelProcessing(...scripts: ReelStatus[][]): void
  /** How the next Page videos are processed, one script each; without one: processing twice, then ready. */
  scriptPageVideoProcessing(...scripts: PageVideoStatus[][]): void
  /** Instagram's publishing quota per 24 hours (100 today). */
  settings: { quotaTotal: number; processingPolls: number }
  counters: { pagePosts: number; igPublished: number; postsCreated: number; tokenExchanges: number; statusPolls: number }
  /** A Page access token as `/me/accounts` hands it out (no expiry). */
  pageToken(pageId: string): string
  injectFault(rule: FaultRule<MetaFault>): void
  close(): Promise<void>
}

const VERSION = 'v24.0'
const HOUR = 3600_000

function graphError(status: number, code: number, message: string, extra: { type?: string; subcode?: number; headers?: Record<string, string>; transient?: boolean } = {}): LoopbackAnswer {
  return {
    status,
    headers: extra.headers,
    json: { error: { message, type: extra.type ?? 'OAuthException', code, ...(extra.subcode ? { error_subcode: extra.subcode } : {}), ...(extra.transient ? { is_transient: true } : {}), fbtrace_id: randomBytes(8).toString('base64url') } },
  }
}

export async function startMetaGraphApiServer(): Promise<MetaGraphApiServer> {
  const appId = String(1_000_000_000_000 + Math.floor(Math.random() * 1e12))
  const appSecret = randomBytes(16).toString('hex')
  const user = { id: '10160000000000001', name: 'Grace Hopper' }
  const pages: MetaPage[] = [
    { id: '101000000000001', name: 'Acme Bakery', tasks: ['ANALYZE', 'ADVERTISE', 'MODERATE', 'CREATE_CONTENT', 'MANAGE'], instagram: { id: '17841400000000101', username: 'acme.bakery', name: 'Acme Bakery' } },
    { id: '101000000000002', name: 'Side Project', tasks: ['ANALYZE', 'ADVERTISE', 'MODERATE', 'CREATE_CONTENT', 'MANAGE'] },
    { id: '101000000000003', name: 'Read Only Club', tasks: ['ANALYZE'] },
  ]
  const codes = new Map<string, { redirectUri: string; used: boolean }>()
  const tokens = new Map<string, { kind: 'short' | 'long' | 'page'; pageId?: string }>()
  const posts: PagePost[] = []
  const photos: Photo[] = []
  const containers = new Map<string, IgContainer>()
  const media: IgMedia[] = []
  const videos: PageVideo[] = []
  const reelScripts: ReelStatus[][] = []
  const pageVideoScripts: PageVideoStatus[][] = []
  const settings = { quotaTotal: 100, processingPolls: 1 }
  const counters = { pagePosts: 0, igPublished: 0, postsCreated: 0, tokenExchanges: 0, statusPolls: 0 }
  const faults = faultQueue<MetaFault>()
  let next = 900_000_000_000_000n
  const newId = () => String(next++)
  let base = ''

  const issue = (kind: 'short' | 'long' | 'page', pageId?: string) => {
    const token = `EAA${kind === 'page' ? 'P' : 'U'}${randomBytes(24).toString('base64url')}`
    tokens.set(token, { kind, pageId })
    return token
  }
  const pageTokens = new Map<string, string>()
  const pageToken = (pageId: string) => pageTokens.get(pageId) ?? pageTokens.set(pageId, issue('page', pageId)).get(pageId)!
  const badToken = () => graphError(400, 190, 'Invalid OAuth access token - Cannot parse access token')
  const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, '+0000')
  const igPage = (igUserId: string) => pages.find((p) => p.instagram?.id === igUserId)

  /** A fault for the create under way, answered before (`unavailable`, `reset` without apply) or after applying. */
  function faultFor(kind: 'pages' | 'instagram', id: string) {
    const fault = faults.take('POST', 'publish')
    if (fault?.kind === 'rate-limit') {
      // Whole minutes, the nearest: Meta reports no finer.
      const minutes = Math.max(1, Math.round((fault.resetAt.getTime() - Date.now()) / 60_000))
      const usage = { [id]: [{ type: kind, call_count: 100, total_cputime: 40, total_time: 60, estimated_time_to_regain_access: minutes }] }
      const answer = kind === 'pages'
        ? graphError(400, 32, 'Page request limit reached', { headers: { 'x-business-use-case-usage': JSON.stringify(usage), 'x-app-usage': JSON.stringify({ call_count: 12, total_cputime: 3, total_time: 5 }) } })
        : graphError(400, 4, 'Application request limit reached', { headers: { 'x-business-use-case-usage': JSON.stringify(usage), 'x-app-usage': JSON.stringify({ call_count: 100, total_cputime: 20, total_time: 30 }) } })
      return { before: answer }
    }
    const unavailable = graphError(503, 2, 'Service temporarily unavailable', { transient: true })
    if (fault && !fault.apply) return { before: fault.kind === 'reset' ? ('reset' as const) : unavailable }
    return { after: fault ? (fault.kind === 'reset' ? ('reset' as const) : unavailable) : undefined }
  }

  async function handle(request: LoopbackRequest): Promise<LoopbackAnswer> {
    const path = request.url.pathname
    const contentType = request.headers['content-type'] ?? ''
    const boundary = /boundary=(?:"([^"]+)"|([^;]+))/.exec(contentType)
    const files = new Map<string, { body: Buffer; filename?: string }>()
    let f: Record<string, string>
    if (contentType.startsWith('multipart/form-data') && boundary) {
      f = Object.fromEntries(request.url.searchParams)
      for (const part of multipartParts(request.body, boundary[1] ?? boundary[2]!)) {
        if (part.filename !== undefined) files.set(part.name, { body: part.body, filename: part.filename })
        else f[part.name] = part.body.toString('utf8')
      }
    } else f = fieldsOf(request)

    if (request.method === 'GET' && path === '/dialog/oauth') {
      const redirectUri = f.redirect_uri ?? ''
      if (f.client_id !== appId || !redirectUri) return { status: 400, raw: '<p>Invalid App ID</p>' }
      const code = randomBytes(24).toString('base64url')
      codes.set(code, { redirectUri, used: false })
      const back = new URL(redirectUri)
      back.searchParams.set('code', code)
      back.searchParams.set('state', f.state ?? '')
      back.hash = '_=_'
      return { status: 302, headers: { location: back.toString() } }
    }
    // rupload.facebook.com: a reel's bytes, sent to the `uri` its container's answer named.
    const rupload = new RegExp(`^/ig-api-upload/${VERSION.replace('.', '\\.')}/(\\d+)$`).exec(path)
    if (rupload && request.method === 'POST') {
      const container = containers.get(rupload[1]!)
      if (!container?.reel) return graphError(400, 100, 'Invalid upload: no such resumable container')
      const oauth = tokens.get(/^OAuth (.+)$/.exec(request.headers.authorization ?? '')?.[1] ?? '')
      if (!oauth || oauth.kind !== 'page' || oauth.pageId !== igPage(container.igUserId)?.id) return badToken()
      const offset = Number(request.headers.offset ?? NaN)
      const size = Number(request.headers.file_size ?? NaN)
      if (offset !== 0 || size !== request.body.length) return graphError(400, 100, `Invalid upload: offset ${request.headers.offset} and file_size ${request.headers.file_size} do not match the ${request.body.length} bytes sent`)
      container.reel.bytes = request.body
      // Not a movie: taken, then refused by processing.
      if (!isMovie(request.body)) container.reel.script = ['ERROR']
      container.reel.uploads++
      return { status: 200, json: { success: true, message: 'Upload successful.' } }
    }
    const versioned = new RegExp(`^/${VERSION.replace('.', '\\.')}(/.*)$`).exec(path)
    if (!versioned) return graphError(400, 2500, `Unknown path components: ${path}`)
    const rest = versioned[1]!

    if (request.method === 'GET' && rest === '/oauth/access_token') {
      if (f.client_id !== appId || f.client_secret !== appSecret) return graphError(400, 1, 'Error validating client secret.')
      if (f.grant_type === 'fb_exchange_token') {
        if (tokens.get(f.fb_exchange_token ?? '')?.kind !== 'short') return badToken()
        return { status: 200, json: { access_token: issue('long'), token_type: 'bearer', expires_in: 5_183_944 } }
      }
      const pending = codes.get(f.code ?? '')
      if (!pending || pending.used) return graphError(400, 100, 'This authorization code has been used.', { subcode: 36009 })
      if (pending.redirectUri !== f.redirect_uri) return graphError(400, 100, 'Error validating verification code. Please make sure your redirect_uri is identical to the one you used in the OAuth dialog request', { subcode: 36008 })
      pending.used = true
      counters.tokenExchanges++
      return { status: 200, json: { access_token: issue('short'), token_type: 'bearer', expires_in: 5_400 } }
    }

    const token = tokens.get(f.access_token ?? '')
    if (!token) return badToken()
    const match = /^\/([^/]+)(?:\/([a-z_]+))?$/.exec(rest)
    if (!match) return graphError(400, 2500, `Unknown path components: ${rest}`)
    const [, node, edge] = match as unknown as [string, string, string | undefined]

    if (node === 'me' && token.kind !== 'page') {
      if (request.method === 'GET' && !edge) return { status: 200, json: user }
      if (request.method === 'GET' && edge === 'accounts') {
        const withIg = (f.fields ?? '').includes('instagram_business_account')
        const data = pages.map((p) => ({
          id: p.id,
          name: p.name,
          category: 'Bakery',
          tasks: p.tasks,
          access_token: token.kind === 'long' ? pageToken(p.id) : issue('page', p.id),
          ...(withIg && p.instagram ? { instagram_business_account: { id: p.instagram.id, username: p.instagram.username, name: p.instagram.name } } : {}),
        }))
        return { status: 200, json: { data, paging: { cursors: { before: 'QVFIUb', after: 'QVFIUa' } } } }
      }
    }

    // Pages.
    const page = pages.find((p) => p.id === node)
    if (page) {
      if (token.kind !== 'page' || token.pageId !== page.id) return graphError(403, 200, '(#200) The user hasn\'t authorized the application to perform this action', { type: 'OAuthException' })
      if (request.method === 'POST' && edge === 'photos') {
        const source = files.get('source')
        if (!source) return graphError(400, 324, '(#324) Requires upload file')
        const type = sniff(source.body)
        if (!type) return graphError(400, 100, 'Invalid parameter', { subcode: 1366046, type: 'OAuthException' })
        const published = f.published !== 'false'
        const fault: { before?: LoopbackAnswer; after?: LoopbackAnswer } = published ? faultFor('pages', page.id) : {}
        if (fault.before) return fault.before
        const photo: Photo = { id: newId(), pageId: page.id, published, contentType: type, bytes: source.body }
        photos.push(photo)
        if (!published) return { status: 200, json: { id: photo.id } }
        const post: PagePost = { id: `${page.id}_${newId()}`, pageId: page.id, message: f.message ?? '', link: null, photoIds: [photo.id], timestamp: Date.now() }
        posts.push(post)
        counters.pagePosts++
        counters.postsCreated++
        return fault.after ?? { status: 200, json: { id: photo.id, post_id: post.id } }
      }
      if (request.method === 'POST' && edge === 'feed') {
        const message = f.message ?? ''
        const photoIds = Object.keys(f).filter((k) => /^attached_media\[\d+\]$/.test(k)).map((k) => (JSON.parse(f[k]!) as { media_fbid: string }).media_fbid)
        if (!message && !f.link && photoIds.length === 0) return graphError(400, 100, '(#100) Missing message or attachment')
        if ([...message].length > 63_206) return graphError(400, 100, '(#100) The message is too long')
        if (photoIds.some((id) => !photos.some((p) => p.id === id && p.pageId === page.id && !p.published))) return graphError(400, 100, '(#100) attached_media must be unpublished photos of this Page')
        if (photoIds.length === 0 && posts.some((p) => p.pageId === page.id && p.message === message && p.link === (f.link ?? null) && p.photoIds.length === 0 && Date.now() - p.timestamp < HOUR)) {
          return graphError(400, 506, '(#506) Duplicate status message', { type: 'OAuthException' })
        }
        const fault = faultFor('pages', page.id)
        if (fault.before) return fault.before
        const post: PagePost = { id: `${page.id}_${newId()}`, pageId: page.id, message, link: f.link ?? null, photoIds, timestamp: Date.now() }
        posts.push(post)
        counters.pagePosts++
        counters.postsCreated++
        return fault.after ?? { status: 200, json: { id: post.id } }
      }
      if (request.method === 'POST' && edge === 'videos') {
        const source = files.get('source')
        if (!source) return graphError(400, 390, '(#390) There was a problem uploading your video file. Please try again with another file.', { subcode: 1363030 })
        if (!isMovie(source.body)) return graphError(400, 352, '(#352) Sorry, the video file you selected is in a format that we don\'t support.', { subcode: 1363024 })
        const fault = faultFor('pages', page.id)
        if (fault.before) return fault.before
        const video: PageVideo = {
          id: newId(),
          pageId: page.id,
          description: f.description ?? '',
          title: f.title ?? null,
          bytes: source.body,
          published: f.published !== 'false',
          script: [...(pageVideoScripts.shift() ?? ['processing', 'processing', 'ready'])],
          timestamp: Date.now(),
        }
        videos.push(video)
        counters.postsCreated++
        return fault.after ?? { status: 200, json: { id: video.id } }
      }
      if (request.method === 'GET' && edge === 'videos') {
        const since = Number(f.since ?? 0) * 1000
        const limit = Number(f.limit ?? 25)
        const mine = videos.filter((v) => v.pageId === page.id && v.timestamp >= since).sort((a, b) => b.timestamp - a.timestamp).slice(0, limit)
        return { status: 200, json: { data: mine.map((v) => ({ id: v.id, description: v.description, created_time: iso(v.timestamp), permalink_url: `/${page.id}/videos/${v.id}/` })), paging: {} } }
      }
      if (request.method === 'GET' && edge === 'posts') {
        const since = Number(f.since ?? 0) * 1000
        const limit = Number(f.limit ?? 25)
        const mine = posts.filter((p) => p.pageId === page.id && p.timestamp >= since).sort((a, b) => b.timestamp - a.timestamp).slice(0, limit)
        return { status: 200, json: { data: mine.map((p) => ({ id: p.id, ...(p.message ? { message: p.message } : {}), created_time: iso(p.timestamp), permalink_url: `https://www.facebook.com/${p.id}` })), paging: {} } }
      }
      if (request.method === 'GET' && !edge) return { status: 200, json: { id: page.id, name: page.name, ...(page.instagram ? { instagram_business_account: { id: page.instagram.id } } : {}) } }
      return graphError(400, 100, 'Unsupported request', { type: 'GraphMethodException' })
    }

    // Instagram users (through the linked Page's token).
    const igOwner = igPage(node)
    if (igOwner) {
      const ig = igOwner.instagram!
      if (token.kind !== 'page' || token.pageId !== igOwner.id) return graphError(403, 10, '(#10) Application does not have permission for this action')
      const published24h = () => media.filter((m) => m.igUserId === ig.id && Date.now() - m.timestamp < 24 * HOUR)
      if (request.method === 'GET' && !edge) return { status: 200, json: { id: ig.id, username: ig.username, name: ig.name } }
      if (request.method === 'GET' && edge === 'content_publishing_limit') {
        return { status: 200, json: { data: [{ quota_usage: published24h().length, config: { quota_total: settings.quotaTotal, quota_duration: 86_400 } }] } }
      }
      if (request.method === 'POST' && edge === 'media') {
        const caption = f.caption ?? ''
        if ([...caption].length > 2200) return graphError(400, 100, 'The caption is too long: at most 2,200 characters.', { subcode: 2207003 })
        if (f.media_type === 'CAROUSEL') {
          const children = (f.children ?? '').split(',').filter(Boolean)
          if (children.length < 2 || children.length > 10) return graphError(400, 100, 'A carousel has 2 to 10 items.', { subcode: 2207005 })
          if (children.some((id) => containers.get(id)?.carouselItem !== true || containers.get(id)?.igUserId !== ig.id)) return graphError(400, 100, 'The children are not carousel items of this account.', { subcode: 2207009 })
          const id = newId()
          containers.set(id, { id, igUserId: ig.id, imageUrl: null, caption, altText: null, carouselItem: false, children, polls: 0, error: null, published: false })
          return { status: 200, json: { id } }
        }
        if (f.media_type === 'REELS' || f.media_type === 'VIDEO') {
          if (f.media_type === 'VIDEO') return graphError(400, 100, 'The VIDEO media type is deprecated: publish videos as REELS.', { subcode: 2207067 })
          if (f.upload_type !== 'resumable') return graphError(400, 9004, 'Media download has failed. The media URI doesn\'t meet our requirements.', { subcode: 2207052 })
          const id = newId()
          containers.set(id, {
            id,
            igUserId: ig.id,
            imageUrl: null,
            caption,
            altText: null,
            carouselItem: false,
            children: [],
            polls: 0,
            error: null,
            published: false,
            reel: { bytes: null, uploads: 0, script: [...(reelScripts.shift() ?? ['IN_PROGRESS', 'IN_PROGRESS', 'FINISHED'])], state: 'IN_PROGRESS', shareToFeed: f.share_to_feed !== 'false' },
          })
          return { status: 200, json: { id, uri: `${base}/ig-api-upload/${VERSION}/${id}` } }
        }
        if (!f.image_url) return graphError(400, 100, 'The parameter image_url is required.', { subcode: 2207004 })
        const cdn = /\/cdn\/(\d+)\.jpg$/.exec(f.image_url)
        // Meta's own CDN address of a Page photo, or any other address Instagram fetches (decision 111).
        const photo = f.image_url.startsWith(base) && cdn ? photos.find((p) => p.id === cdn[1]) : f.image_url.startsWith(base) ? undefined : await fetchImage(f.image_url)
        if (!photo) return graphError(400, 9004, 'Media download has failed. The media URI doesn\'t meet our requirements.', { subcode: 2207052 })
        const id = newId()
        containers.set(id, {
          id,
          igUserId: ig.id,
          imageUrl: f.image_url,
          caption,
          altText: f.alt_text ?? null,
          carouselItem: f.is_carousel_item === 'true',
          children: [],
          polls: 0,
          error: photo.contentType === 'image/jpeg' ? null : 'Error: Unsupported image format: only JPEG images can be published. (2207026)',
          published: false,
          ...('id' in photo ? {} : { fetched: photo.bytes }),
        })
        return { status: 200, json: { id } }
      }
      if (request.method === 'POST' && edge === 'media_publish') {
        const container = containers.get(f.creation_id ?? '')
        if (!container || container.igUserId !== ig.id || container.carouselItem) return graphError(400, 100, 'Param creation_id is not a valid container id.', { subcode: 2207008 })
        if (statusOf(container) !== 'FINISHED') return graphError(400, 9007, 'The media is not ready to be published. Please wait a moment.', { subcode: 2207027 })
        if (container.published) return graphError(400, 9007, 'The media has already been published.', { subcode: 2207020 })
        if (published24h().length >= settings.quotaTotal) return graphError(400, 9, 'Application request limit reached: the account published the most posts allowed in 24 hours.', { subcode: 2207042 })
        const fault = faultFor('instagram', ig.id)
        if (fault.before) return fault.before
        container.published = true
        const item: IgMedia = { id: newId(), igUserId: ig.id, caption: container.caption, mediaType: container.reel ? 'VIDEO' : container.children.length ? 'CAROUSEL_ALBUM' : 'IMAGE', children: container.children, timestamp: Date.now() }
        media.push(item)
        counters.igPublished++
        counters.postsCreated++
        return fault.after ?? { status: 200, json: { id: item.id } }
      }
      if (request.method === 'GET' && edge === 'media') {
        const since = Number(f.since ?? 0) * 1000
        const limit = Number(f.limit ?? 25)
        const mine = media.filter((m) => m.igUserId === ig.id && m.timestamp >= since).sort((a, b) => b.timestamp - a.timestamp).slice(0, limit)
        return { status: 200, json: { data: mine.map(igJson), paging: {} } }
      }
      return graphError(400, 100, 'Unsupported request', { type: 'GraphMethodException' })
    }

    // Objects: a photo, a container, an Instagram media, a Page post.
    const photo = photos.find((p) => p.id === node)
    if (photo && token.pageId === photo.pageId) {
      if (request.method === 'DELETE') {
        photos.splice(photos.indexOf(photo), 1)
        return { status: 200, json: { success: true } }
      }
      return { status: 200, json: { id: photo.id, images: [{ source: `${base}/cdn/${photo.id}.jpg`, width: 1080, height: 1080 }] } }
    }
    const container = containers.get(node)
    if (container && igPage(container.igUserId)?.id === token.pageId && request.method === 'GET') {
      counters.statusPolls++
      container.polls++
      // A read of a reel whose bytes arrived moves it along its script.
      if (container.reel?.bytes) container.reel.state = container.reel.script.length > 1 ? container.reel.script.shift()! : container.reel.script[0]!
      const status = statusOf(container)
      return { status: 200, json: { id: container.id, status_code: status, ...(status === 'ERROR' ? { status: container.error } : {}) } }
    }
    const video = videos.find((v) => v.id === node)
    if (video && token.pageId === video.pageId && request.method === 'GET') {
      counters.statusPolls++
      const state = video.script.length > 1 ? video.script.shift()! : video.script[0]!
      return {
        status: 200,
        json: {
          id: video.id,
          status: {
            video_status: state,
            uploading_phase: { status: 'complete' },
            processing_phase: state === 'error' ? { status: 'error', errors: [{ code: 1363008, message: 'The video could not be processed: its frames cannot be decoded.' }] } : { status: state === 'ready' ? 'complete' : 'in_progress' },
            publishing_phase: { status: state === 'ready' ? 'complete' : 'not_started', publish_status: video.published ? 'published' : 'draft' },
          },
        },
      }
    }
    const item = media.find((m) => m.id === node)
    if (item && igPage(item.igUserId)?.id === token.pageId && request.method === 'GET') return { status: 200, json: igJson(item) }
    const post = posts.find((p) => p.id === node)
    if (post && token.pageId === post.pageId && request.method === 'DELETE') {
      posts.splice(posts.indexOf(post), 1)
      return { status: 200, json: { success: true } }
    }
    return graphError(400, 100, `Unsupported get request. Object with ID '${node}' does not exist, cannot be loaded due to missing permissions, or does not support this operation.`, { subcode: 33, type: 'GraphMethodException' })
  }

  /** The first `processingPolls` reads of a container find it IN_PROGRESS; then FINISHED, or ERROR. */
  function statusOf(container: IgContainer): ReelStatus {
    if (container.reel) {
      if (container.reel.state === 'ERROR') container.error = 'Error: The video could not be processed: unsupported codec. (2207026)'
      return container.reel.state
    }
    if (container.polls <= settings.processingPolls) return 'IN_PROGRESS'
    if (container.error || container.children.some((id) => containers.get(id)?.error)) return 'ERROR'
    return 'FINISHED'
  }
  const igJson = (m: IgMedia) => ({ id: m.id, caption: m.caption, media_type: m.mediaType, timestamp: iso(m.timestamp), permalink: `https://www.instagram.com/p/${Buffer.from(m.id).toString('base64url').slice(0, 11)}/` })

  const http = await startHttpBase(handle)
  base = http.url
  return {
    url: http.url,
    version: VERSION,
    appId,
    appSecret,
    user,
    pages,
    posts,
    photos,
    containers,
    media,
    videos,
    scriptReelProcessing: (...scripts) => void reelScripts.push(...scripts),
    scriptPageVideoProcessing: (...scripts) => void pageVideoScripts.push(...scripts),
    settings,
    counters,
    pageToken,
    injectFault: (rule) => faults.inject(rule),
    close: () => http.close(),
  }
}

/** An MP4 or MOV file: its first box is `ftyp` (or a QuickTime `moov`/`mdat`/`wide`). */
/** An image at a public address, fetched as Instagram fetches one: a 200 with its type and length, or null. */
async function fetchImage(url: string): Promise<{ contentType: string; bytes: Buffer } | null> {
  try {
    const answer = await fetch(url, { signal: AbortSignal.timeout(5000) })
    const bytes = Buffer.from(await answer.arrayBuffer())
    if (answer.status !== 200 || Number(answer.headers.get('content-length')) !== bytes.length) return null
    return { contentType: answer.headers.get('content-type') ?? '', bytes }
  } catch {
    return null
  }
}

function isMovie(bytes: Buffer): boolean {
  return ['ftyp', 'moov', 'mdat', 'wide', 'free'].includes(bytes.subarray(4, 8).toString('latin1'))
}

/** The image type from its first bytes, as Meta's upload does (the declared type is not trusted). */
function sniff(bytes: Buffer): string | null {
  if (bytes[0] === 0xff && bytes[1] === 0xd8) return 'image/jpeg'
  if (bytes.subarray(0, 4).toString('latin1') === '\x89PNG') return 'image/png'
  if (bytes.subarray(0, 3).toString('latin1') === 'GIF') return 'image/gif'
  if (bytes.subarray(8, 12).toString('latin1') === 'WEBP') return 'image/webp'
  return null
}
