import http from 'node:http'
import { TwitterApi, type ITwitterApiClientPlugin, type SendTweetV2Params } from 'twitter-api-v2'
import type { Clock } from '../../domain/clock'
import { checkVideo, isVideoType, X_VIDEO_LIMITS } from '../../domain/media/video'
import type {
  AuthorizedAccount,
  ChannelContent,
  Connector,
  ConnectorQuota,
  ContentProblem,
  Credentials,
  LookupArgs,
  MetricsArgs,
  PostMetrics,
  PublishArgs,
  PublishResult,
  ValidateOptions,
} from '../types'
import { ConnectorError } from '../types'
import { abortableWait } from '../http-json'
import { toConnectorError, type CallKind } from './errors'
import { comparableText, weightedLength } from './text'

export type XConnectorConfig = {
  clientId: string
  /** Confidential clients authenticate the token endpoint with it; public clients leave it out. */
  clientSecret?: string
  /** Where `https://api.x.com` requests go (a proxy, or a loopback server in tests). */
  apiBaseUrl?: string
  /** Where `https://upload.x.com` requests go. */
  uploadBaseUrl?: string
  /** The page users authorize Trickle on. */
  authorizeUrl?: string
  scopes?: string[]
  /** The app's daily post budget (X's 24-hour app cap) and one workspace's share of it. */
  quota?: ConnectorQuota
  /** Per request; a write that times out is an unknown outcome. */
  timeoutMs?: number
  /** The services pass theirs (core/clock.ts); alone, a connector reads the wall clock. */
  clock?: Clock
  /** How the connector waits between media STATUS checks (tests pass one that moves their clock). */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>
  /** How long a video may stay in X's processing (by `clock`) before the publish gives up, as transient. Default 10 minutes. */
  mediaProcessingTimeoutMs?: number
}

const DEFAULTS = {
  apiBaseUrl: 'https://api.x.com',
  uploadBaseUrl: 'https://upload.x.com',
  authorizeUrl: 'https://x.com/i/oauth2/authorize',
  scopes: ['tweet.read', 'tweet.write', 'users.read', 'offline.access', 'media.write'],
  timeoutMs: 30_000,
  mediaProcessingTimeoutMs: 10 * 60_000,
}

export const X_LIMITS = { maxLength: 280, maxMediaPerPost: 4, maxThreadLength: 25 }
/** X Premium subscribers may post up to this weighted length. */
export const X_PREMIUM_MAX_LENGTH = 25_000
const IMAGE_TYPES = new Set(['image/jpeg', 'image/png', 'image/gif', 'image/webp'])
const MAX_IMAGE_BYTES = 5 * 1024 * 1024
const MAX_ALT_TEXT = 1000
const LOOKUP_PAGES = 5
const UPLOAD_CHUNK_BYTES = 1024 * 1024
const UPLOAD_PREFIX = 'https://upload.x.com/1.1/'

/**
 * twitter-api-v2 only speaks to the hard-coded X hosts. This plugin sends every request to the configured
 * bases instead, and fixes the body encodings that the library derives from the host name.
 */
function endpointPlugin(config: { apiBaseUrl: string; uploadBaseUrl: string; timeoutMs: number }): ITwitterApiClientPlugin {
  const rewrites: Array<[string, string]> = [
    ['https://api.x.com/', `${config.apiBaseUrl.replace(/\/$/, '')}/`],
    ['https://upload.x.com/', `${config.uploadBaseUrl.replace(/\/$/, '')}/`],
  ]
  return {
    onBeforeRequestConfig({ params }) {
      const original = params.url
      for (const [from, to] of rewrites) {
        if (original.startsWith(from)) params.url = to + original.slice(from.length)
      }
      const path = new URL(original).pathname
      // The v1.1 upload command endpoint takes multipart only; the library decides that from the host name.
      if (path === '/1.1/media/upload.json') params.forceBodyMode ??= 'form-data'
      // RFC 6749 token requests are form-encoded; the library's own check for them never matches.
      if (path === '/2/oauth2/token' || path === '/2/oauth2/revoke') params.forceBodyMode ??= 'url'
      params.timeout ??= config.timeoutMs
    },
  }
}

export function createXConnector(input: XConnectorConfig): Connector<'x'> {
  if (!input.clientId) throw new Error('x.clientId: required')
  const config = {
    clientId: input.clientId,
    clientSecret: input.clientSecret,
    apiBaseUrl: input.apiBaseUrl ?? DEFAULTS.apiBaseUrl,
    uploadBaseUrl: input.uploadBaseUrl ?? DEFAULTS.uploadBaseUrl,
    authorizeUrl: input.authorizeUrl ?? DEFAULTS.authorizeUrl,
    scopes: input.scopes ?? DEFAULTS.scopes,
    timeoutMs: input.timeoutMs ?? DEFAULTS.timeoutMs,
  }
  const protocols = new Set([new URL(config.apiBaseUrl).protocol, new URL(config.uploadBaseUrl).protocol])
  if (protocols.size !== 1) throw new Error('x.apiBaseUrl and x.uploadBaseUrl: must both be http:// or both https://')
  if (input.quota && !(input.quota.postsPerDayPerWorkspace > 0 && input.quota.postsPerDayPerWorkspace <= input.quota.postsPerDay)) {
    throw new Error('x.quota.postsPerDayPerWorkspace: must be positive and at most x.quota.postsPerDay')
  }
  const clock = input.clock ?? { now: () => new Date() }
  const sleep = input.sleep ?? wait
  const processingTimeoutMs = input.mediaProcessingTimeoutMs ?? DEFAULTS.mediaProcessingTimeoutMs
  const settings = {
    plugins: [endpointPlugin(config)],
    // The library always calls https.request; an http:// base needs an http agent to be accepted.
    httpAgent: protocols.has('http:') ? new http.Agent() : undefined,
  }
  const appClient = () => new TwitterApi({ clientId: config.clientId, clientSecret: config.clientSecret }, settings)
  const userClient = (credentials: Credentials) => new TwitterApi(credentials.accessToken, settings)

  async function call<T>(kind: CallKind, run: () => Promise<T>): Promise<T> {
    try {
      return await run()
    } catch (error) {
      throw toConnectorError(error, { call: kind, now: clock.now() })
    }
  }

  function toCredentials(result: { accessToken: string; refreshToken?: string; expiresIn: number }, extra?: Record<string, string>): Credentials {
    return {
      accessToken: result.accessToken,
      refreshToken: result.refreshToken,
      expiresAt: new Date(clock.now().getTime() + result.expiresIn * 1000),
      extra,
    }
  }

  /**
   * v1.1 chunked upload, one request at a time. (The library's `uploadMedia` sends chunks in parallel
   * and leaves a failed one as an unhandled rejection, which would end the process.)
   */
  async function uploadMedia(client: TwitterApi, media: NonNullable<ChannelContent['parts'][number]['media']>, signal?: AbortSignal): Promise<string[]> {
    const upload = (body: Record<string, unknown>) =>
      call('read', () => client.v1.post<UploadAnswer | undefined>('media/upload.json', body, { prefix: UPLOAD_PREFIX }))
    const ids: string[] = []
    for (const item of media) {
      const video = isVideoType(item.mimeType)
      const bytes = Buffer.from(item.data.buffer, item.data.byteOffset, item.data.byteLength)
      const init = await upload({ command: 'INIT', total_bytes: bytes.length, media_type: item.mimeType, media_category: video ? 'tweet_video' : 'tweet_image' })
      const id = init!.media_id_string
      for (let offset = 0, segment = 0; offset < bytes.length; offset += UPLOAD_CHUNK_BYTES, segment++) {
        await upload({ command: 'APPEND', media_id: id, segment_index: segment, media: bytes.subarray(offset, offset + UPLOAD_CHUNK_BYTES) })
      }
      const finalized = await upload({ command: 'FINALIZE', media_id: id })
      if (finalized?.processing_info) await awaitProcessing(client, id, finalized.processing_info, signal)
      if (item.altText) await call('read', () => client.v1.createMediaMetadata(id, { alt_text: { text: item.altText! } }))
      ids.push(id)
    }
    return ids
  }

  /**
   * A video is processed after FINALIZE: check STATUS after each `check_after_secs` until it succeeds.
   * `failed` is the video's fault (invalid content, with X's message); still processing after
   * `mediaProcessingTimeoutMs` is transient (no post was made, so trying again later is safe).
   */
  async function awaitProcessing(client: TwitterApi, id: string, first: ProcessingInfo, signal?: AbortSignal): Promise<void> {
    const started = clock.now().getTime()
    let info: ProcessingInfo | undefined = first
    while (info && info.state !== 'succeeded') {
      if (info.state === 'failed') {
        const reason = info.error?.message ?? info.error?.name ?? 'no reason given'
        throw new ConnectorError('invalid-content', `X could not process the video: ${reason}`, { detail: { code: info.error?.name ?? 'media-processing-failed' } })
      }
      const waitMs = Math.max(1, info.check_after_secs ?? 1) * 1000
      if (clock.now().getTime() + waitMs - started > processingTimeoutMs) {
        throw new ConnectorError('transient', `X was still processing the video after ${Math.round(processingTimeoutMs / 1000)} s; nothing was posted`, {
          detail: { code: 'media-processing-timeout' },
        })
      }
      await sleep(waitMs, signal)
      const status: UploadAnswer = await call('read', () => client.v1.get<UploadAnswer>('media/upload.json', { command: 'STATUS', media_id: id }, { prefix: UPLOAD_PREFIX }))
      info = status.processing_info
    }
  }

  async function userId(client: TwitterApi, credentials: Credentials): Promise<string> {
    if (credentials.extra?.userId) return credentials.extra.userId
    const me = await call('read', () => client.v2.me())
    return me.data.id
  }

  return {
    kind: 'x',
    displayName: 'X',
    limits: X_LIMITS,
    look: { layout: 'card', linkCard: true },
    measure: weightedLength,
    quota: input.quota,

    validate(content: ChannelContent, options: ValidateOptions = {}): ContentProblem[] {
      const maxLength = options.maxLength ?? X_LIMITS.maxLength
      const problems: ContentProblem[] = []
      if (content.parts.length === 0) problems.push({ path: 'parts', message: 'Add at least one post.' })
      if (content.parts.length > X_LIMITS.maxThreadLength) {
        problems.push({ path: 'parts', message: `A thread on X can have at most ${X_LIMITS.maxThreadLength} posts.` })
      }
      content.parts.forEach((part, i) => {
        const media = part.media ?? []
        if (!part.text.trim() && media.length === 0) problems.push({ path: `parts[${i}].text`, message: 'A post needs text or an image.' })
        if (media.length > 1 && media.some((item) => isVideoType(item.mimeType))) {
          problems.push({ path: `parts[${i}].media`, message: 'A post on X has one video and nothing else, or up to 4 images.' })
        }
        const length = weightedLength(part.text)
        if (length > maxLength) {
          problems.push({ path: `parts[${i}].text`, message: `Too long for X: ${length} characters, at most ${maxLength}.` })
        }
        if (media.length > X_LIMITS.maxMediaPerPost) {
          problems.push({ path: `parts[${i}].media`, message: `At most ${X_LIMITS.maxMediaPerPost} images per post on X.` })
        }
        media.forEach((item, j) => {
          const path = `parts[${i}].media[${j}]`
          if (isVideoType(item.mimeType)) {
            problems.push(...checkVideo({ path, mimeType: item.mimeType, data: item.data, limits: X_VIDEO_LIMITS }))
          } else if (!IMAGE_TYPES.has(item.mimeType)) {
            problems.push({ path: `${path}.mimeType`, message: 'X takes JPEG, PNG, GIF or WebP images, or MP4 or MOV videos.' })
          } else if (item.data.byteLength > MAX_IMAGE_BYTES) problems.push({ path: `${path}.data`, message: 'Images on X are at most 5 MB.' })
          if ((item.altText?.length ?? 0) > MAX_ALT_TEXT) {
            problems.push({ path: `${path}.altText`, message: `Alt text on X is at most ${MAX_ALT_TEXT} characters.` })
          }
        })
      })
      return problems
    },

    /**
     * Posts each part as a reply to the one before. X has no idempotency key: a lost answer is an
     * `unknown-outcome` for `lookup` to settle. A thread that stops after one of its posts was created
     * fails as `unknown-outcome` with `partial` set, so it is never re-posted from the start; `resume`
     * continues it after the parts that exist.
     */
    async publish({ credentials, content, resume, signal }: PublishArgs): Promise<PublishResult> {
      // A video X would refuse (type, size, duration) fails before any byte is uploaded.
      const refused = content.parts.flatMap((part, i) =>
        (part.media ?? []).flatMap((item, j) => (isVideoType(item.mimeType) ? checkVideo({ path: `parts[${i}].media[${j}]`, mimeType: item.mimeType, data: item.data, limits: X_VIDEO_LIMITS }) : [])),
      )
      if (refused.length) throw new ConnectorError('invalid-content', refused.map((p) => `${p.path}: ${p.message}`).join(' '), { detail: { code: 'video-limits' } })
      const client = userClient(credentials)
      const ids: string[] = (resume?.partIds ?? []).slice(0, content.parts.length)
      const existing = ids.length
      for (const part of content.parts.slice(existing)) {
        try {
          const mediaIds = await uploadMedia(client, part.media ?? [], signal)
          const payload: SendTweetV2Params = { text: part.text }
          if (mediaIds.length) payload.media = { media_ids: mediaIds as [string] }
          if (ids.length) payload.reply = { in_reply_to_tweet_id: ids[ids.length - 1]! }
          const created = await call('write', () => client.v2.tweet(payload))
          ids.push(created.data.id)
        } catch (error) {
          // Nothing was created by this call: the error says what happened to it.
          if (ids.length === existing) throw error
          const partial = result(ids, credentials)
          throw new ConnectorError('unknown-outcome', `The thread stopped after ${ids.length} of ${content.parts.length} posts: ${(error as Error).message}`, {
            partial,
            cause: error,
            detail: error instanceof ConnectorError ? error.detail : undefined,
          })
        }
      }
      return result(ids, credentials)
    },

    authorizeUrl({ redirectUri, state, codeChallenge }) {
      const url = new URL(config.authorizeUrl)
      url.search = new URLSearchParams({
        response_type: 'code',
        client_id: config.clientId,
        redirect_uri: redirectUri,
        scope: config.scopes.join(' '),
        state,
        code_challenge: codeChallenge,
        code_challenge_method: 'S256',
      }).toString()
      return url.toString()
    },

    async completeAuthorization({ redirectUri, code, codeVerifier }): Promise<AuthorizedAccount> {
      const login = await call('authorize', () => appClient().loginWithOAuth2({ code, codeVerifier, redirectUri }))
      const me = await call('read', () =>
        login.client.v2.get<{ data: { id: string; username: string; name: string; subscription_type?: string } }>('users/me', {
          'user.fields': 'subscription_type',
        }),
      )
      const premium = me.data.subscription_type === 'Premium' || me.data.subscription_type === 'PremiumPlus'
      return {
        credentials: toCredentials(login, { userId: me.data.id, username: me.data.username }),
        remoteAccountId: me.data.id,
        handle: me.data.username,
        displayName: me.data.name,
        maxPostLength: premium ? X_PREMIUM_MAX_LENGTH : undefined,
      }
    },

    /** X rotates refresh tokens: the one passed in is dead once this returns (or once X received it). */
    async refreshCredentials(credentials: Credentials): Promise<Credentials> {
      if (!credentials.refreshToken) throw new ConnectorError('disconnected', 'No refresh token is stored for this account')
      const refreshed = await call('refresh', () => appClient().refreshOAuth2Token(credentials.refreshToken!))
      return toCredentials(refreshed, credentials.extra)
    },

    /**
     * Finds the thread among the account's posts since `since` by the exact text of each part, each a
     * reply to the one before; with `known`, only the parts after those.
     */
    async lookup({ credentials, content, since, known }: LookupArgs): Promise<PublishResult | null> {
      const ids: string[] = (known?.partIds ?? []).slice(0, content.parts.length)
      if (ids.length > 0 && ids.length === content.parts.length) return result(ids, credentials)
      const client = userClient(credentials)
      const id = await userId(client, credentials)
      type Post = { id: string; text: string; referenced_tweets?: Array<{ type: string; id: string }> }
      const posts: Post[] = []
      let token: string | undefined
      for (let page = 0; page < LOOKUP_PAGES; page++) {
        const response = await call('read', () =>
          client.v2.get<{ data?: Post[]; meta: { next_token?: string } }>(
            'users/:id/tweets',
            { start_time: since.toISOString(), max_results: 100, 'tweet.fields': 'created_at,referenced_tweets', pagination_token: token },
            { params: { id } },
          ),
        )
        posts.push(...(response.data ?? []))
        token = response.meta.next_token
        if (!token) break
      }
      const repliedTo = (post: Post) => post.referenced_tweets?.find((r) => r.type === 'replied_to')?.id
      for (const part of content.parts.slice(ids.length)) {
        const want = comparableText(part.text)
        const previous = ids[ids.length - 1]
        // Oldest first: the timeline is newest first, and our post is the first one with this text.
        const match = [...posts].reverse().find((p) => comparableText(p.text) === want && (previous ? repliedTo(p) === previous : !repliedTo(p)))
        if (!match) break
        ids.push(match.id)
      }
      return ids.length ? result(ids, credentials) : null
    },

    /** v2 `GET /2/tweets/:id` with `public_metrics` (impressions, likes, reposts, replies, quotes, bookmarks). */
    async metrics({ credentials, post }: MetricsArgs): Promise<PostMetrics | null> {
      const found = await call('read', () => userClient(credentials).v2.singleTweet(post.remoteId, { 'tweet.fields': ['public_metrics'] }))
      const m = found.data?.public_metrics as
        | { impression_count?: number; like_count?: number; retweet_count?: number; reply_count?: number; quote_count?: number; bookmark_count?: number }
        | undefined
      if (!found.data) return null
      return {
        impressions: m?.impression_count,
        likes: m?.like_count,
        reposts: m?.retweet_count,
        replies: m?.reply_count,
        quotes: m?.quote_count,
        bookmarks: m?.bookmark_count,
      }
    },

    async delete({ credentials, remoteId }) {
      try {
        await call('write', () => userClient(credentials).v2.deleteTweet(remoteId))
      } catch (error) {
        if (error instanceof ConnectorError && error.detail?.status === 404) return
        throw error
      }
    },
  }
}

type ProcessingInfo = { state: 'pending' | 'in_progress' | 'succeeded' | 'failed'; check_after_secs?: number; error?: { code?: number; name?: string; message?: string } }
type UploadAnswer = { media_id_string: string; processing_info?: ProcessingInfo }

const wait = (ms: number, signal?: AbortSignal) => abortableWait(ms, signal, 'Gave up waiting for X to process the video; nothing was posted')

function result(ids: string[], credentials: Credentials): PublishResult {
  const username = credentials.extra?.username
  const first = ids[0]!
  return {
    remoteId: first,
    url: username ? `https://x.com/${username}/status/${first}` : `https://x.com/i/web/status/${first}`,
    partIds: ids,
  }
}
