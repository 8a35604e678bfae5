import type { Clock } from '../../domain/clock'
import { checkVideo, isVideoType, MASTODON_VIDEO_BYTES, mastodonVideoLimits } from '../../domain/media/video'
import { ADDRESS_NOT_ALLOWED, createNetGuard, isAddressNotAllowed, SERVER_UNREACHABLE } from '../net-guard'
import { abortableWait } from '../http-json'
import {
  ConnectorError,
  type AccountLimits,
  type AuthorizedAccount,
  type ChannelContent,
  type Connector,
  type ContentProblem,
  type Credentials,
  type LookupArgs,
  type MetricsArgs,
  type PostMetrics,
  type PublishArgs,
  type PublishResult,
  type ValidateOptions,
} from '../types'

/**
 * Mastodon over its REST API with `fetch`. Every account lives on its own instance: the app is registered
 * on that instance when the user starts connecting (`prepareAuthorization`), and the instance URL and the
 * app's client id/secret are kept in the account's credentials. Mastodon access tokens do not expire and
 * come without refresh tokens.
 */
export type MastodonConnectorConfig = {
  /** Shown to the user on the instance's authorization page. */
  appName?: string
  website?: string
  scopes?: string[]
  /** Allow http:// instances (loopback tests, local development). */
  allowInsecureInstances?: boolean
  /**
   * Allow instances on loopback, private and link-local addresses (ALLOW_PRIVATE_NETWORK_HOSTS: local
   * development and tests). Every request goes through connectors/net-guard.ts; this only turns its
   * address check off.
   */
  allowPrivateNetworkHosts?: boolean
  timeoutMs?: number
  /** The services pass theirs (core/clock.ts); alone, a connector reads the wall clock. */
  clock?: Clock
  /** How the connector waits between checks of a video being processed (tests pass one that moves their clock). */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>
  /** How long a video may stay in the instance's processing (by `clock`) before the publish gives up, as transient. Default 10 minutes. */
  mediaProcessingTimeoutMs?: number
}

export const MASTODON_LIMITS = { maxLength: 500, maxMediaPerPost: 4, maxThreadLength: 25 }
const URL_WEIGHT = 23
const IMAGE_TYPES = new Set(['image/jpeg', 'image/png', 'image/gif', 'image/webp'])
const MAX_IMAGE_BYTES = 16 * 1024 * 1024
const MAX_ALT_TEXT = 1500
const LOOKUP_PAGES = 5
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH'])

/** Mastodon's counting: every link weighs 23, a remote mention only its local part. */
export function mastodonLength(text: string): number {
  const counted = text
    .replace(/https?:\/\/\S+/g, 'x'.repeat(URL_WEIGHT))
    .replace(/(^|\s)@(\w+)@[\w.-]+\w/g, '$1@$2')
  return [...counted].length
}

/** The plain text of a status's HTML content, for matching our post in a timeline. */
export function statusText(html: string): string {
  return html
    .replace(/<br\s*\/?>/g, '\n')
    .replace(/<\/p>\s*<p>/g, '\n\n')
    .replace(/<[^>]+>/g, '')
    .replace(/&(amp|lt|gt|quot|#39|apos);/g, (m) => ({ '&amp;': '&', '&lt;': '<', '&gt;': '>', '&quot;': '"', '&#39;': "'", '&apos;': "'" })[m]!)
}

function comparable(text: string): string {
  return text.replace(/https?:\/\/\S+/g, '<link>').replace(/\s+/g, ' ').trim()
}

type CallKind = 'write' | 'read' | 'authorize'

export function createMastodonConnector(config: MastodonConnectorConfig = {}): Connector<'mastodon'> {
  const clock = config.clock ?? { now: () => new Date() }
  const timeoutMs = config.timeoutMs ?? 30_000
  const sleep = config.sleep ?? wait
  const processingTimeoutMs = config.mediaProcessingTimeoutMs ?? 10 * 60_000
  const scopes = (config.scopes ?? ['read:accounts', 'read:statuses', 'write:statuses', 'write:media']).join(' ')
  const guard = createNetGuard({ allowPrivateNetworkHosts: config.allowPrivateNetworkHosts })

  function instanceOf(value: string | undefined, field: string): string {
    if (!value) throw new ConnectorError('auth', `${field}: the Mastodon instance is missing`)
    let url: URL
    try {
      url = new URL(/^https?:\/\//.test(value) ? value : `https://${value}`)
    } catch {
      throw new Error(`${field}: "${value}" is not a server address`)
    }
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && config.allowInsecureInstances)) {
      throw new Error(`${field}: Mastodon instances must be reached over https`)
    }
    return url.origin
  }

  async function request<T>(
    kind: CallKind,
    args: { instance: string; path: string; method?: string; token?: string; body?: BodyInit; json?: unknown; headers?: Record<string, string>; signal?: AbortSignal },
  ): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json', ...args.headers }
    if (args.token) headers.authorization = `Bearer ${args.token}`
    let body = args.body
    if (args.json !== undefined) {
      headers['content-type'] = 'application/json'
      body = JSON.stringify(args.json)
    }
    const signals = [AbortSignal.timeout(timeoutMs), ...(args.signal ? [args.signal] : [])]
    let response: Response
    try {
      response = await guard.fetch(`${args.instance}${args.path}`, { method: args.method ?? 'GET', headers, body, signal: AbortSignal.any(signals) })
    } catch (error) {
      // Nothing was sent: the instance's address is refused (a person must change it).
      if (isAddressNotAllowed(error)) throw new ConnectorError('disconnected', `${args.instance}: ${ADDRESS_NOT_ALLOWED}`, { detail: { code: 'EADDRNOTALLOWED' }, cause: error })
      const code = ((error as { cause?: { code?: string } }).cause?.code ?? (error as { code?: string }).code) as string | undefined
      if (code && NOT_SENT_CODES.has(code)) throw new ConnectorError('transient', `${args.instance}: ${SERVER_UNREACHABLE}`, { detail: { code }, cause: error })
      const what = `the connection to ${args.instance} broke after the request was sent (${code ?? (error as Error).name})`
      throw new ConnectorError(kind === 'read' ? 'transient' : 'unknown-outcome', what, { detail: { code }, cause: error })
    }
    let text: string
    try {
      text = await response.text()
    } catch (error) {
      throw new ConnectorError(kind === 'read' ? 'transient' : 'unknown-outcome', `the answer of ${args.instance} was cut off`, { cause: error })
    }
    if (response.ok) return (text ? JSON.parse(text) : undefined) as T
    const data = (() => {
      try {
        return JSON.parse(text) as { error?: string; error_description?: string }
      } catch {
        return {}
      }
    })()
    const status = response.status
    const detail = { status, code: data.error }
    const message = `${args.instance} answered ${status}: ${data.error_description ?? data.error ?? response.statusText}`
    if (status === 429) {
      const reset = Date.parse(response.headers.get('x-ratelimit-reset') ?? '')
      const resetAt = Number.isFinite(reset) ? new Date(reset) : new Date(clock.now().getTime() + 5 * 60_000)
      throw new ConnectorError('rate-limited', message, { detail, resetAt })
    }
    if (kind === 'authorize' && status < 500) throw new ConnectorError('auth', message, { detail })
    if (status === 401 || status === 403) throw new ConnectorError('auth', message, { detail })
    // Any 5xx on a write may come after the instance applied it: never resend it blindly.
    if (status >= 500 && kind === 'write') throw new ConnectorError('unknown-outcome', message, { detail })
    if (status >= 500 || kind === 'read') throw new ConnectorError('transient', message, { detail })
    throw new ConnectorError('invalid-content', message, { detail })
  }

  function session(credentials: Credentials) {
    const instance = instanceOf(credentials.extra?.instanceUrl, 'credentials.extra.instanceUrl')
    return { instance, token: credentials.accessToken }
  }

  async function uploadImages(
    s: { instance: string; token: string },
    media: NonNullable<ChannelContent['parts'][number]['media']>,
    signal?: AbortSignal,
  ): Promise<string[]> {
    const ids: string[] = []
    for (const item of media) {
      const video = isVideoType(item.mimeType)
      const form = new FormData()
      form.append('file', new Blob([new Uint8Array(item.data)], { type: item.mimeType }), video ? (item.mimeType === 'video/quicktime' ? 'video.mov' : 'video.mp4') : 'image')
      if (item.altText) form.append('description', item.altText)
      const uploaded = await request<MediaAttachment>('read', { ...s, path: '/api/v2/media', method: 'POST', body: form, signal })
      // 202: the instance processes the file after the upload; its url stays null until it is done.
      if (!uploaded.url) await awaitProcessing(s, uploaded.id, signal)
      ids.push(uploaded.id)
    }
    return ids
  }

  /**
   * Checks `GET /api/v1/media/:id` (206 while processing) until the attachment has a url, waiting 1, 2,
   * 4, then 8 s between checks. A file the instance cannot process is invalid content; one still
   * processing after `mediaProcessingTimeoutMs` is transient (no status was made).
   */
  async function awaitProcessing(s: { instance: string; token: string }, id: string, signal?: AbortSignal): Promise<void> {
    const started = clock.now().getTime()
    for (let check = 0; ; check++) {
      const waitMs = Math.min(8000, 1000 * 2 ** check)
      if (clock.now().getTime() + waitMs - started > processingTimeoutMs) {
        throw new ConnectorError('transient', `${s.instance} was still processing the video after ${Math.round(processingTimeoutMs / 1000)} s; nothing was posted`, {
          detail: { code: 'media-processing-timeout' },
        })
      }
      await sleep(waitMs, signal)
      let attachment: MediaAttachment
      try {
        attachment = await request<MediaAttachment>('read', { ...s, path: `/api/v1/media/${encodeURIComponent(id)}`, signal })
      } catch (error) {
        if (error instanceof ConnectorError && error.detail?.status === 422) {
          throw new ConnectorError('invalid-content', `${s.instance} could not process the video: ${error.message}`, { detail: error.detail, cause: error })
        }
        throw error
      }
      if (attachment.url) return
    }
  }

  /** The instance's own video size limit (`configuration.media_attachments.video_size_limit`), read before a video is uploaded. */
  async function videoSizeLimit(instance: string, signal?: AbortSignal): Promise<number | undefined> {
    const server = await request<{ configuration?: { media_attachments?: { video_size_limit?: number } } }>('read', { instance, path: '/api/v2/instance', signal })
    return server.configuration?.media_attachments?.video_size_limit
  }

  return {
    kind: 'mastodon',
    displayName: 'Mastodon',
    limits: MASTODON_LIMITS,
    look: { layout: 'card', linkCard: true },
    measure: mastodonLength,

    /** `options.limits`: the instance's own media sizes and count, read when the account was connected (decision 111). */
    validate(content: ChannelContent, options: ValidateOptions = {}): ContentProblem[] {
      const maxLength = options.maxLength ?? MASTODON_LIMITS.maxLength
      const maxMedia = options.limits?.maxMediaPerPost ?? MASTODON_LIMITS.maxMediaPerPost
      const maxImageBytes = options.limits?.maxImageBytes ?? MAX_IMAGE_BYTES
      const videoLimits = mastodonVideoLimits(options.limits?.maxVideoBytes)
      const problems: ContentProblem[] = []
      if (content.parts.length === 0) problems.push({ path: 'parts', message: 'Add at least one post.' })
      if (content.parts.length > MASTODON_LIMITS.maxThreadLength) {
        problems.push({ path: 'parts', message: `A thread can have at most ${MASTODON_LIMITS.maxThreadLength} posts.` })
      }
      content.parts.forEach((part, i) => {
        const media = part.media ?? []
        if (!part.text.trim() && media.length === 0) problems.push({ path: `parts[${i}].text`, message: 'A post needs text or an image.' })
        if (media.length > 1 && media.some((item) => isVideoType(item.mimeType))) {
          problems.push({ path: `parts[${i}].media`, message: `A post on Mastodon has one video and nothing else, or up to ${maxMedia} images.` })
        }
        const length = mastodonLength(part.text)
        if (length > maxLength) problems.push({ path: `parts[${i}].text`, message: `Too long for this Mastodon server: ${length} characters, at most ${maxLength}.` })
        if (media.length > maxMedia) {
          problems.push({ path: `parts[${i}].media`, message: `At most ${maxMedia} images per post on this Mastodon server.` })
        }
        media.forEach((item, j) => {
          const path = `parts[${i}].media[${j}]`
          if (isVideoType(item.mimeType)) problems.push(...checkVideo({ path, mimeType: item.mimeType, data: item.data, limits: videoLimits }))
          else if (!IMAGE_TYPES.has(item.mimeType)) problems.push({ path: `${path}.mimeType`, message: 'Use JPEG, PNG, GIF or WebP images, or MP4 or MOV videos.' })
          else if (item.data.byteLength > maxImageBytes) problems.push({ path: `${path}.data`, message: `Images on this Mastodon server are at most ${Math.round((maxImageBytes / 1024 / 1024) * 10) / 10} MB.` })
          if ((item.altText?.length ?? 0) > MAX_ALT_TEXT) problems.push({ path: `${path}.altText`, message: `Alt text is at most ${MAX_ALT_TEXT} characters.` })
        })
      })
      return problems
    },

    /**
     * Each part carries `Idempotency-Key: <key>:<index>`, so a retried publish within Mastodon's hour of
     * remembering keys returns the posts already made instead of making new ones. `resume` continues a
     * thread after the statuses that exist (a reply to the last one), whenever that is.
     */
    async publish({ credentials, content, idempotencyKey, signal, resume }: PublishArgs): Promise<PublishResult> {
      const s = session(credentials)
      // A video over the instance's own limit (or too long) fails before any byte is uploaded.
      const videos = content.parts.flatMap((part, i) => (part.media ?? []).flatMap((item, j) => (isVideoType(item.mimeType) ? [{ item, path: `parts[${i}].media[${j}]` }] : [])))
      if (videos.length) {
        const limits = mastodonVideoLimits(await videoSizeLimit(s.instance, signal))
        const refused = videos.flatMap(({ item, path }) => checkVideo({ path, mimeType: item.mimeType, data: item.data, limits }))
        if (refused.length) throw new ConnectorError('invalid-content', refused.map((p) => `${p.path}: ${p.message}`).join(' '), { detail: { code: 'video-limits' } })
      }
      const statuses: Array<{ id: string; url?: string }> = (resume?.partIds ?? []).slice(0, content.parts.length).map((id) => ({ id }))
      const existing = statuses.length
      for (const [index, part] of content.parts.entries()) {
        if (index < existing) continue
        try {
          const mediaIds = await uploadImages(s, part.media ?? [], signal)
          const status = await request<{ id: string; url?: string }>('write', {
            ...s,
            path: '/api/v1/statuses',
            method: 'POST',
            headers: { 'idempotency-key': `${idempotencyKey}:${index}` },
            json: {
              status: part.text,
              media_ids: mediaIds,
              visibility: content.visibility ?? 'public',
              ...(statuses.length ? { in_reply_to_id: statuses[statuses.length - 1]!.id } : {}),
            },
            signal,
          })
          statuses.push(status)
        } catch (error) {
          // Nothing was created by this call: the error says what happened to it.
          if (statuses.length === existing) throw error
          throw new ConnectorError('unknown-outcome', `The thread stopped after ${statuses.length} of ${content.parts.length} posts: ${(error as Error).message}`, {
            partial: { remoteId: statuses[0]!.id, url: statuses[0]!.url, partIds: statuses.map((p) => p.id) },
            detail: error instanceof ConnectorError ? error.detail : undefined,
            cause: error,
          })
        }
      }
      // A resumed thread's first status was made by an earlier attempt: its url is the one recorded then.
      return { remoteId: statuses[0]!.id, url: statuses[0]!.url, partIds: statuses.map((p) => p.id) }
    },

    /** Registers Trickle on the user's instance; the app's credentials travel with the authorization. */
    async prepareAuthorization({ redirectUri, server }) {
      const instance = instanceOf(server, 'server')
      const app = await request<{ client_id: string; client_secret: string }>('authorize', {
        instance,
        path: '/api/v1/apps',
        method: 'POST',
        json: { client_name: config.appName ?? 'Trickle', redirect_uris: redirectUri, scopes, website: config.website },
      })
      return { instanceUrl: instance, clientId: app.client_id, clientSecret: app.client_secret }
    },

    authorizeUrl({ redirectUri, state, codeChallenge, context }) {
      const instance = instanceOf(context?.instanceUrl, 'context.instanceUrl')
      const url = new URL('/oauth/authorize', instance)
      url.search = new URLSearchParams({
        response_type: 'code',
        client_id: context!.clientId!,
        redirect_uri: redirectUri,
        scope: scopes,
        state,
        code_challenge: codeChallenge,
        code_challenge_method: 'S256',
      }).toString()
      return url.toString()
    },

    async completeAuthorization({ redirectUri, code, codeVerifier, context }): Promise<AuthorizedAccount> {
      const instance = instanceOf(context?.instanceUrl, 'context.instanceUrl')
      const token = await request<{ access_token: string }>('authorize', {
        instance,
        path: '/oauth/token',
        method: 'POST',
        body: new URLSearchParams({
          grant_type: 'authorization_code',
          code,
          code_verifier: codeVerifier,
          redirect_uri: redirectUri,
          client_id: context!.clientId!,
          client_secret: context!.clientSecret!,
          scope: scopes,
        }),
      })
      const me = await request<{ id: string; acct: string; username: string; display_name?: string }>('read', {
        instance,
        path: '/api/v1/accounts/verify_credentials',
        token: token.access_token,
      })
      const server = await request<InstanceInfo>('read', { instance, path: '/api/v2/instance' })
      const maxCharacters = server.configuration?.statuses?.max_characters
      return {
        limits: instanceLimits(server),
        credentials: {
          accessToken: token.access_token,
          extra: { instanceUrl: instance, clientId: context!.clientId!, clientSecret: context!.clientSecret!, accountId: me.id },
        },
        remoteAccountId: `${me.id}@${new URL(instance).host}`,
        handle: `${me.username}@${new URL(instance).host}`,
        displayName: me.display_name || undefined,
        maxPostLength: maxCharacters && maxCharacters !== MASTODON_LIMITS.maxLength ? maxCharacters : undefined,
      }
    },

    /**
     * Finds the thread among the account's statuses since `since` by the text of each part, each a reply
     * to the one before; with `known`, only the parts after those.
     */
    async lookup({ credentials, content, since, known }: LookupArgs): Promise<PublishResult | null> {
      const ids: string[] = (known?.partIds ?? []).slice(0, content.parts.length)
      if (ids.length > 0 && ids.length === content.parts.length) return { remoteId: ids[0]!, partIds: ids }
      const s = session(credentials)
      const accountId = credentials.extra?.accountId
        ?? (await request<{ id: string }>('read', { ...s, path: '/api/v1/accounts/verify_credentials' })).id
      type Status = { id: string; url?: string; content: string; created_at: string; in_reply_to_id?: string | null }
      const statuses: Status[] = []
      let maxId: string | undefined
      for (let page = 0; page < LOOKUP_PAGES; page++) {
        const query = new URLSearchParams({ limit: '40', exclude_reblogs: 'true', ...(maxId ? { max_id: maxId } : {}) })
        const batch = await request<Status[]>('read', { ...s, path: `/api/v1/accounts/${encodeURIComponent(accountId)}/statuses?${query}` })
        const recent = batch.filter((st) => Date.parse(st.created_at) >= since.getTime())
        statuses.push(...recent)
        if (batch.length === 0 || recent.length < batch.length) break
        maxId = batch[batch.length - 1]!.id
      }
      let url: string | undefined
      for (const part of content.parts.slice(ids.length)) {
        const want = comparable(part.text)
        const previous = ids[ids.length - 1]
        const match = [...statuses].reverse().find((st) => comparable(statusText(st.content)) === want && (previous ? st.in_reply_to_id === previous : !st.in_reply_to_id))
        if (!match) break
        if (ids.length === 0) url = match.url
        ids.push(match.id)
      }
      return ids.length ? { remoteId: ids[0]!, url, partIds: ids } : null
    },

    /** `GET /api/v1/statuses/:id`: favourites, reblogs and replies (Mastodon has no impressions or quotes). */
    async metrics({ credentials, post, signal }: MetricsArgs): Promise<PostMetrics | null> {
      try {
        const status = await request<{ favourites_count?: number; reblogs_count?: number; replies_count?: number }>('read', {
          ...session(credentials),
          path: `/api/v1/statuses/${encodeURIComponent(post.remoteId)}`,
          signal,
        })
        return { likes: status.favourites_count, reposts: status.reblogs_count, replies: status.replies_count }
      } catch (error) {
        if (error instanceof ConnectorError && error.detail?.status === 404) return null
        throw error
      }
    },

    async delete({ credentials, remoteId }) {
      try {
        await request('write', { ...session(credentials), path: `/api/v1/statuses/${encodeURIComponent(remoteId)}`, method: 'DELETE' })
      } catch (error) {
        if (error instanceof ConnectorError && error.detail?.status === 404) return
        throw error
      }
    },
  }
}

type MediaAttachment = { id: string; type?: string; url?: string | null }
type InstanceInfo = {
  configuration?: {
    statuses?: { max_characters?: number; max_media_attachments?: number }
    media_attachments?: { image_size_limit?: number; video_size_limit?: number }
  }
}

/** The instance's media limits (`/api/v2/instance` configuration) that differ from Mastodon's defaults; undefined when none do. */
function instanceLimits(server: InstanceInfo): AccountLimits | undefined {
  const positive = (n: unknown) => (typeof n === 'number' && Number.isFinite(n) && n > 0 ? n : undefined)
  const media = server.configuration?.media_attachments
  const limits: AccountLimits = {}
  const image = positive(media?.image_size_limit)
  const video = positive(media?.video_size_limit)
  const count = positive(server.configuration?.statuses?.max_media_attachments)
  if (image !== undefined && image !== MAX_IMAGE_BYTES) limits.maxImageBytes = image
  if (video !== undefined && video !== MASTODON_VIDEO_BYTES) limits.maxVideoBytes = video
  if (count !== undefined && count !== MASTODON_LIMITS.maxMediaPerPost) limits.maxMediaPerPost = count
  return Object.keys(limits).length ? limits : undefined
}

const wait = (ms: number, signal?: AbortSignal) => abortableWait(ms, signal, 'Gave up waiting for the video to be processed; nothing was posted')
