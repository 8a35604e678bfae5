import type { Clock } from '../../domain/clock'
import { checkVideo, describeVideoProblems, isVideoType, THREADS_VIDEO_LIMITS } from '../../domain/media/video'
import { abortableWait, requestJson, type CallKind, type HttpAnswer } from '../http-json'
import {
  ConnectorError,
  type PostMedia,
  type AuthorizedAccount,
  type ChannelContent,
  type Connector,
  type ContentProblem,
  type Credentials,
  type LookupArgs,
  type PublishArgs,
  type PublishResult,
  type ValidateOptions,
} from '../types'

/**
 * Threads (Meta) through its Graph API (a small typed client over fetch: Meta ships no maintained Node
 * SDK for it). OAuth with state (and PKCE, which Meta ignores); the 1-hour token is exchanged for a
 * 60-day one (`th_exchange_token`), renewed with itself (`th_refresh_token`), so it is also the stored
 * refresh token. A post is two steps: create a container (`POST /{user}/threads`: nothing visible yet,
 * so retryable), then publish it (`POST /{user}/threads_publish`: the create). A thread is a chain of
 * replies (`reply_to_id`). `lookup` finds the first part among the account's threads since the claim,
 * the rest among each part's replies.
 *
 * Images and videos (decision 111): Threads fetches each from a public `image_url` / `video_url`, the
 * signed address core hands over as `publicMediaUrl`. One is an IMAGE or VIDEO container, 2–20 are
 * carousel items under a CAROUSEL container; each container's `status` is read (at once, then 1, 2, 4,
 * then 8 s apart, through the injected `sleep` and the clock) until FINISHED before it is used. Type,
 * size and duration are checked before any container is made.
 */
export type ThreadsConnectorConfig = {
  clientId: string
  clientSecret: string
  /** https://graph.threads.net (a loopback server in tests). */
  apiBaseUrl?: string
  /** https://threads.net/oauth/authorize: the consent page. */
  authorizeUrl?: string
  scopes?: string[]
  timeoutMs?: number
  clock?: Clock
  /** How the connector waits between reads of a container's status (tests pass one that moves their clock). */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>
  /** How long a container may stay IN_PROGRESS (by `clock`) before the publish stops waiting. Default 10 minutes. */
  mediaProcessingTimeoutMs?: number
}

/** 500 characters, up to 20 images or videos per post (a carousel), 25 posts per thread. */
export const THREADS_LIMITS = { maxLength: 500, maxMediaPerPost: 20, maxThreadLength: 25 }
/** Threads takes JPEG and PNG images of at most 8 MB. */
export const THREADS_IMAGE_TYPES = ['image/jpeg', 'image/png']
export const THREADS_MAX_IMAGE_BYTES = 8 * 1024 * 1024
/** A container status whose `error_message` says Threads could not fetch the file: nothing was published, a retry fetches it again. */
const FETCH_FAILED = /^(FAILED_DOWNLOADING|UNKNOWN)/
const DEFAULTS = {
  apiBaseUrl: 'https://graph.threads.net',
  authorizeUrl: 'https://threads.net/oauth/authorize',
  scopes: ['threads_basic', 'threads_content_publish', 'threads_read_replies'],
}
const API_VERSION = 'v1.0'
/** Graph API error codes of throttling: app (4), user (17), page (32), a method's own limit (613). */
const RATE_LIMIT_CODES = new Set([4, 17, 32, 613])
const INVALID_TOKEN = 190
const LOOKUP_POSTS = 100

type GraphError = { error?: { message?: string; type?: string; code?: number; error_subcode?: number; is_transient?: boolean; error_user_msg?: string } }
type TokenAnswer = { access_token: string; token_type?: string; expires_in?: number; user_id?: string | number }
type ThreadsPost = { id: string; text?: string; timestamp?: string; username?: string; permalink?: string }

/** Text, images and videos Threads takes, part by part: the editor's check and publish's, before any container is made. */
export function validateThreadsContent(content: ChannelContent, options: ValidateOptions = {}): ContentProblem[] {
  const maxLength = options.maxLength ?? THREADS_LIMITS.maxLength
  const problems: ContentProblem[] = []
  if (content.parts.length === 0) problems.push({ path: 'parts', message: 'Add at least one post.' })
  if (content.parts.length > THREADS_LIMITS.maxThreadLength) problems.push({ path: 'parts', message: `A thread on Threads can have at most ${THREADS_LIMITS.maxThreadLength} posts.` })
  content.parts.forEach((part, i) => {
    const length = [...part.text].length
    const media = part.media ?? []
    if (!part.text.trim() && media.length === 0) problems.push({ path: `parts[${i}].text`, message: 'A post on Threads needs text, an image or a video.' })
    if (length > maxLength) problems.push({ path: `parts[${i}].text`, message: `Too long for Threads: ${length} characters, at most ${maxLength}.` })
    if (media.length > THREADS_LIMITS.maxMediaPerPost) problems.push({ path: `parts[${i}].media`, message: `A post on Threads has at most ${THREADS_LIMITS.maxMediaPerPost} images and videos.` })
    media.forEach((item, j) => {
      const path = `parts[${i}].media[${j}]`
      if (isVideoType(item.mimeType)) return void problems.push(...checkVideo({ path, mimeType: item.mimeType, data: item.data, limits: THREADS_VIDEO_LIMITS }))
      if (!THREADS_IMAGE_TYPES.includes(item.mimeType)) problems.push({ path: `${path}.mimeType`, message: 'Threads takes JPEG or PNG images (or MP4 and MOV videos).' })
      if (item.data.byteLength > THREADS_MAX_IMAGE_BYTES) problems.push({ path: `${path}.data`, message: 'Images on Threads are at most 8 MB.' })
    })
  })
  return problems
}

export function createThreadsConnector(input: ThreadsConnectorConfig): Connector<'threads'> {
  if (!input.clientId) throw new Error('threads.clientId: required')
  if (!input.clientSecret) throw new Error('threads.clientSecret: required')
  const clock = input.clock ?? { now: () => new Date() }
  const apiBaseUrl = (input.apiBaseUrl ?? DEFAULTS.apiBaseUrl).replace(/\/+$/, '')
  const authorizeBase = input.authorizeUrl ?? DEFAULTS.authorizeUrl
  const scopes = input.scopes ?? DEFAULTS.scopes
  const timeoutMs = input.timeoutMs ?? 30_000
  const sleep = input.sleep ?? ((ms: number, signal?: AbortSignal) => abortableWait(ms, signal, 'Gave up waiting for Threads to process the media; nothing was published'))
  const processingTimeoutMs = input.mediaProcessingTimeoutMs ?? 10 * 60_000

  /** `container`: creating a container, which nothing sees; lost, it can be retried, refused, the content is at fault. */
  function toError(kind: CallKind | 'container') {
    return ({ status, headers, data }: HttpAnswer): ConnectorError => {
      const e = (data as GraphError | undefined)?.error ?? {}
      const detail = { status, code: e.code !== undefined ? String(e.code) : undefined }
      const message = `Threads answered ${status}: ${e.error_user_msg ?? e.message ?? 'no details'}`
      if (status === 429 || (e.code !== undefined && RATE_LIMIT_CODES.has(e.code))) {
        return new ConnectorError('rate-limited', message, { detail, resetAt: regainAccessAt(headers, clock.now()) })
      }
      if (kind === 'refresh' && status >= 400 && status < 500) return new ConnectorError('disconnected', message, { detail })
      if (kind === 'authorize' && status >= 400 && status < 500) return new ConnectorError('auth', message, { detail })
      if (status === 401 || e.code === INVALID_TOKEN || e.code === 102) return new ConnectorError('auth', message, { detail })
      // Permission missing (a scope the user unticked, code 10 / 200-299): a person must reconnect.
      if (status === 403 || e.code === 10 || (e.code !== undefined && e.code >= 200 && e.code < 300)) return new ConnectorError('disconnected', message, { detail })
      const serverFault = status >= 500 || e.is_transient === true || e.code === 1 || e.code === 2
      if (serverFault && kind === 'write') return new ConnectorError('unknown-outcome', message, { detail })
      if (serverFault || kind === 'read') return new ConnectorError('transient', message, { detail })
      return new ConnectorError('invalid-content', message, { detail })
    }
  }

  function graph<T>(kind: CallKind, path: string, args: { token: string; method?: string; params?: Record<string, string>; signal?: AbortSignal; errorKind?: CallKind | 'container' }) {
    const url = new URL(`${apiBaseUrl}${path}`)
    const params = new URLSearchParams({ ...args.params, access_token: args.token })
    const post = args.method === 'POST'
    if (!post) url.search = params.toString()
    return requestJson<T>({
      network: 'Threads',
      kind,
      url: url.toString(),
      method: args.method,
      headers: post ? { 'content-type': 'application/x-www-form-urlencoded' } : {},
      body: post ? params : undefined,
      signal: args.signal,
      timeoutMs,
      toError: toError(args.errorKind ?? kind),
    })
  }

  function toCredentials(answer: TokenAnswer, extra: Record<string, string> | undefined): Credentials {
    // The long-lived token renews itself: it is also what the pipeline hands to `refreshCredentials`.
    return { accessToken: answer.access_token, refreshToken: answer.access_token, expiresAt: new Date(clock.now().getTime() + (answer.expires_in ?? 5_184_000) * 1000), extra }
  }

  function userOf(credentials: Credentials): string {
    return credentials.extra?.userId ?? 'me'
  }

  async function permalink(token: string, id: string): Promise<string | undefined> {
    try {
      return (await graph<ThreadsPost>('read', `/${API_VERSION}/${id}`, { token, params: { fields: 'permalink' } })).data.permalink
    } catch {
      return undefined // Only the link is missing: the post is out.
    }
  }

  /** One container (invisible until published, expiring unused: creating one can be retried; refused, the content is at fault). */
  async function container(args: { user: string; token: string; params: Record<string, string>; signal?: AbortSignal }): Promise<string> {
    const { data } = await graph<{ id: string }>('read', `/${API_VERSION}/${args.user}/threads`, { token: args.token, method: 'POST', params: args.params, signal: args.signal, errorKind: 'container' })
    return data.id
  }

  /** A media container's `status` until FINISHED: read at once, then 1, 2, 4, then 8 s apart, until `mediaProcessingTimeoutMs` by the clock. */
  async function awaitFinished(token: string, id: string, signal?: AbortSignal): Promise<void> {
    const started = clock.now().getTime()
    for (let read = 0; ; read++) {
      const { data } = await graph<{ status?: string; error_message?: string }>('read', `/${API_VERSION}/${id}`, { token, params: { fields: 'status,error_message' }, signal })
      if (data.status === 'FINISHED' || data.status === 'PUBLISHED') return
      if (data.status === 'ERROR') {
        const why = data.error_message ?? 'no details'
        // Threads could not fetch the file (our address was unreachable for a moment): nothing was published.
        if (FETCH_FAILED.test(why)) throw new ConnectorError('transient', `Threads could not fetch the media (${why}); nothing was published`, { detail: { code: 'media-fetch-failed' } })
        throw new ConnectorError('invalid-content', `Threads could not use the media: ${why}`, { detail: { code: 'media-processing-failed' } })
      }
      if (data.status === 'EXPIRED') throw new ConnectorError('transient', 'The Threads container expired before it was published; nothing was published', { detail: { code: 'container-expired' } })
      const waitMs = Math.min(8000, 1000 * 2 ** read)
      if (clock.now().getTime() + waitMs - started > processingTimeoutMs) {
        throw new ConnectorError('transient', `Threads was still processing the media after ${Math.round(processingTimeoutMs / 1000)} s; nothing was published`, { detail: { code: 'media-processing-timeout' } })
      }
      await sleep(waitMs, signal)
    }
  }

  /**
   * The container one part is published from: TEXT; IMAGE or VIDEO (its public address); or, for 2–20
   * media, one carousel item each then a CAROUSEL container naming them. Media containers are used only
   * once FINISHED.
   */
  async function createContainer(args: { user: string; token: string; part: ChannelContent['parts'][number]; replyTo?: string; signal?: AbortSignal; urlOf: (media: PostMedia) => string }): Promise<string> {
    const { user, token, part, signal, urlOf } = args
    const media = part.media ?? []
    const common = { ...(part.text ? { text: part.text } : {}), ...(args.replyTo ? { reply_to_id: args.replyTo } : {}) }
    if (media.length === 0) return container({ user, token, params: { media_type: 'TEXT', ...common }, signal })
    const itemParams = (item: PostMedia): Record<string, string> =>
      isVideoType(item.mimeType)
        ? { media_type: 'VIDEO', video_url: urlOf(item), ...(item.altText ? { alt_text: item.altText } : {}) }
        : { media_type: 'IMAGE', image_url: urlOf(item), ...(item.altText ? { alt_text: item.altText } : {}) }
    if (media.length === 1) {
      const id = await container({ user, token, params: { ...itemParams(media[0]!), ...common }, signal })
      await awaitFinished(token, id, signal)
      return id
    }
    const children: string[] = []
    for (const item of media) children.push(await container({ user, token, params: { ...itemParams(item), is_carousel_item: 'true' }, signal }))
    for (const id of children) await awaitFinished(token, id, signal)
    const carousel = await container({ user, token, params: { media_type: 'CAROUSEL', children: children.join(','), ...common }, signal })
    await awaitFinished(token, carousel, signal)
    return carousel
  }

  const result = (ids: string[], url?: string): PublishResult => ({ remoteId: ids[0]!, partIds: ids, ...(url ? { url } : {}) })

  return {
    kind: 'threads',
    displayName: 'Threads',
    limits: THREADS_LIMITS,

    fetchesMediaFromUrl: true,
    validate: validateThreadsContent,

    async publish({ credentials, content, signal, resume, publicMediaUrl }: PublishArgs): Promise<PublishResult> {
      const user = userOf(credentials)
      const token = credentials.accessToken
      const ids = (resume?.partIds ?? []).slice(0, content.parts.length)
      const existing = ids.length
      // Media Threads would refuse fails before any container is made, and before any part goes out.
      const refused = validateThreadsContent(content).filter((p) => p.path.includes('.media'))
      if (refused.length) throw new ConnectorError('invalid-content', describeVideoProblems(refused), { detail: { code: 'media-limits' } })
      // Every address before the first container: a post Threads cannot fetch media for fails whole, never half a thread.
      const addresses = new Map<PostMedia, string>()
      for (const item of content.parts.slice(existing).flatMap((part) => part.media ?? [])) {
        if (!publicMediaUrl) throw new ConnectorError('invalid-content', 'Threads fetches images and videos from a public address, and none was given', { detail: { code: 'public-media-unavailable' } })
        addresses.set(item, publicMediaUrl(item))
      }
      const urlOf = (item: PostMedia) => addresses.get(item)!
      for (const [index, part] of content.parts.entries()) {
        if (index < existing) continue
        try {
          const replyTo = ids[ids.length - 1]
          const creation = await createContainer({ user, token, part, replyTo, signal, urlOf })
          const published = await graph<{ id: string }>('write', `/${API_VERSION}/${user}/threads_publish`, { token, method: 'POST', params: { creation_id: creation }, signal })
          ids.push(published.data.id)
        } catch (error) {
          if (ids.length === existing) throw error
          const cause = error as ConnectorError
          throw new ConnectorError('unknown-outcome', `The thread stopped after ${ids.length} of ${content.parts.length} posts: ${cause.message}`, { partial: result(ids), detail: cause.detail, cause })
        }
      }
      return result(ids, existing === 0 ? await permalink(token, ids[0]!) : undefined)
    },

    authorizeUrl({ redirectUri, state, codeChallenge }) {
      const url = new URL(authorizeBase)
      url.search = new URLSearchParams({
        client_id: input.clientId,
        redirect_uri: redirectUri,
        scope: scopes.join(','),
        response_type: 'code',
        state,
        code_challenge: codeChallenge,
        code_challenge_method: 'S256',
      }).toString()
      return url.toString()
    },

    async completeAuthorization({ redirectUri, code, codeVerifier }): Promise<AuthorizedAccount> {
      const short = await requestJson<TokenAnswer>({
        network: 'Threads',
        kind: 'authorize',
        url: `${apiBaseUrl}/oauth/access_token`,
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ client_id: input.clientId, client_secret: input.clientSecret, grant_type: 'authorization_code', redirect_uri: redirectUri, code, code_verifier: codeVerifier }),
        timeoutMs,
        toError: toError('authorize'),
      })
      const long = await graph<TokenAnswer>('authorize', '/access_token', { token: short.data.access_token, params: { grant_type: 'th_exchange_token', client_secret: input.clientSecret } })
      const me = await graph<{ id: string; username: string; name?: string }>('read', `/${API_VERSION}/me`, { token: long.data.access_token, params: { fields: 'id,username,name' }, errorKind: 'authorize' })
      return {
        credentials: toCredentials(long.data, { userId: me.data.id, username: me.data.username }),
        remoteAccountId: me.data.id,
        handle: me.data.username,
        displayName: me.data.name,
      }
    },

    /** `th_refresh_token`: the long-lived token (at least a day old, not expired) buys 60 more days; it stays valid until its own expiry. */
    async refreshCredentials(credentials: Credentials): Promise<Credentials> {
      const token = credentials.refreshToken ?? credentials.accessToken
      const answer = await graph<TokenAnswer>('refresh', '/refresh_access_token', { token, params: { grant_type: 'th_refresh_token' } })
      return toCredentials(answer.data, credentials.extra)
    },

    async lookup({ credentials, content, since, known }: LookupArgs): Promise<PublishResult | null> {
      const token = credentials.accessToken
      const ids = (known?.partIds ?? []).slice(0, content.parts.length)
      if (ids.length === 0) {
        const { data } = await graph<{ data?: ThreadsPost[] }>('read', `/${API_VERSION}/${userOf(credentials)}/threads`, {
          token,
          params: { fields: 'id,text,timestamp,permalink', since: String(Math.floor(since.getTime() / 1000)), limit: String(LOOKUP_POSTS) },
        })
        const first = [...(data.data ?? [])].reverse().find((p) => p.text === content.parts[0]?.text)
        if (!first) return null
        ids.push(first.id)
      }
      const username = credentials.extra?.username
      for (const part of content.parts.slice(ids.length)) {
        const { data } = await graph<{ data?: ThreadsPost[] }>('read', `/${API_VERSION}/${ids[ids.length - 1]}/replies`, { token, params: { fields: 'id,text,username,timestamp' } })
        const next = (data.data ?? []).find((p) => p.text === part.text && (!username || p.username === username))
        if (!next) break
        ids.push(next.id)
      }
      return result(ids)
    },

    async delete({ credentials, remoteId }) {
      await graph<unknown>('write', `/${API_VERSION}/${remoteId}`, { token: credentials.accessToken, method: 'DELETE' })
    },
  }
}

/**
 * When a throttled app or user may call again: `estimated_time_to_regain_access` (minutes) of the
 * `X-Business-Use-Case-Usage` header, else an hour (Meta's rolling window).
 */
function regainAccessAt(headers: Headers, now: Date): Date {
  let minutes = 0
  try {
    const usage = JSON.parse(headers.get('x-business-use-case-usage') ?? '{}') as Record<string, Array<{ estimated_time_to_regain_access?: number }>>
    for (const entries of Object.values(usage)) for (const entry of entries) minutes = Math.max(minutes, entry.estimated_time_to_regain_access ?? 0)
  } catch {
    minutes = 0
  }
  return new Date(now.getTime() + (minutes > 0 ? minutes : 60) * 60_000)
}
