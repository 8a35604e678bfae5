import type { Agent, AppBskyRichtextFacet } from '@atproto/api'
import type { Clock } from '../../domain/clock'
import { describeVideoProblems, isVideoType, readVideoInfo } from '../../domain/media/video'
import { abortableWait } from '../http-json'
import { createNetGuard } from '../net-guard'
import {
  ConnectorError,
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
import { isXrpcError, loadAtproto, type Atproto, type Session } from './atproto'
import { BLUESKY_LIMITS, graphemeLength, recordKeyFor, validateBlueskyContent } from './content'
import { toConnectorError, type CallKind } from './errors'
import { createVideoUploader } from './video'
import { blueskyClientMetadata, blueskyJwks, createBlueskyOAuth, type BlueskyOAuthConfig } from './oauth'

/**
 * Bluesky through `@atproto/api` against the account's own PDS (or the bsky.social entryway), signed in
 * with an app password. Sessions are a short-lived access JWT and a refresh JWT; the connector never
 * refreshes on its own (the worker's single-flight refresh does). Every post is written under a record
 * key derived from the idempotency key, so a retried publish cannot create a second post.
 *
 * `@atproto/api` is loaded on first use (./atproto.ts): a process that never talks to a PDS never loads
 * it. The server is the user's (a self-hosted PDS): every request goes through connectors/net-guard.ts.
 */
export type BlueskyConnectorConfig = {
  /** Where accounts sign in when they name no server. */
  defaultService?: string
  /** Links to published posts. */
  appUrl?: string
  /** Allow http:// services (loopback tests, a PDS on the local network). */
  allowInsecureServices?: boolean
  /**
   * Allow servers on loopback, private and link-local addresses (ALLOW_PRIVATE_NETWORK_HOSTS: local
   * development and tests). Every request goes through connectors/net-guard.ts; this only turns its
   * address check off.
   */
  allowPrivateNetworkHosts?: boolean
  timeoutMs?: number
  /** The services pass theirs (core/clock.ts); alone, a connector reads the wall clock. */
  clock?: Clock
  /**
   * A video service to process videos through (`app.bsky.video.uploadVideo`, then `getJobStatus`) for
   * every account. Unset: Bluesky's own (https://video.bsky.app) for accounts Bluesky hosts (bsky.social,
   * *.bsky.network), and the account's PDS directly (`uploadBlob`) for a self-hosted one (decision 105).
   */
  videoServiceUrl?: string
  /** How the connector waits between reads of a video job's status (tests pass one that moves their clock). */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>
  /** How long a video job may run (by `clock`) before the publish gives up, as transient. Default 10 minutes. */
  mediaProcessingTimeoutMs?: number
  /**
   * Connecting with Bluesky OAuth besides app passwords (decision 115): set only when APP_URL is a public
   * https address and BLUESKY_OAUTH_PRIVATE_KEY is set (core/services.server.ts).
   */
  oauth?: BlueskyOAuthConfig
}

/** An account connected through OAuth keeps no token in its credentials: the library's session (by DID) holds them. */
const OAUTH_SESSION = 'atproto-oauth-session'

/** Signs in with an app password (never the account password): `connectWithAppPassword` is always there. */
export type BlueskyConnector = Connector<'bluesky'> & Required<Pick<Connector, 'connectWithAppPassword' | 'appPasswords'>>

const DEFAULT_SERVICE = 'https://bsky.social'
const BLUESKY_VIDEO_SERVICE = 'https://video.bsky.app'

type StrongRef = { uri: string; cid: string }
/** A post read back from the repository: its strong ref, and the posts its reply names (if it is one). */
type StoredPost = { ref: StrongRef; reply?: { root: StrongRef; parent: StrongRef } }
type Media = NonNullable<ChannelContent['parts'][number]['media']>

const POST = 'app.bsky.feed.post'

export function createBlueskyConnector(config: BlueskyConnectorConfig = {}): BlueskyConnector {
  const clock = config.clock ?? { now: () => new Date() }
  const timeoutMs = config.timeoutMs ?? 30_000
  const appUrl = (config.appUrl ?? 'https://bsky.app').replace(/\/$/, '')
  const guard = createNetGuard({ allowPrivateNetworkHosts: config.allowPrivateNetworkHosts })
  const sleep = config.sleep ?? ((ms: number, signal?: AbortSignal) => abortableWait(ms, signal, 'Gave up waiting for Bluesky to process the video; nothing was posted'))
  const processingTimeoutMs = config.mediaProcessingTimeoutMs ?? 10 * 60_000
  const { processVideo } = createVideoUploader({ clock, timeoutMs, processingTimeoutMs, sleep, call })
  const oauth = config.oauth
    ? createBlueskyOAuth({
        config: config.oauth,
        allowHttp: config.allowInsecureServices === true,
        fetch: ((input, init) => guard.fetch(input, { ...init, signal: AbortSignal.any([AbortSignal.timeout(timeoutMs), ...(init?.signal ? [init.signal] : [])]) })) as typeof fetch,
      })
    : undefined

  /** The video service for an account on `service`, or undefined: its PDS takes the blob itself. */
  function videoServiceFor(service: string): string | undefined {
    if (config.videoServiceUrl) return config.videoServiceUrl.replace(/\/+$/, '')
    const host = new URL(service).hostname
    return host === 'bsky.social' || host.endsWith('.bsky.network') ? BLUESKY_VIDEO_SERVICE : undefined
  }

  function serviceOf(value: string | undefined, field: string): string {
    if (!value) throw new Error(`${field}: the Bluesky server is missing`)
    let url: URL
    try {
      url = new URL(/^https?:\/\//.test(value) ? value : `https://${value}`)
    } catch {
      throw new Error(`${field}: "${value}" is not a server address`)
    }
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && config.allowInsecureServices)) {
      throw new Error(`${field}: Bluesky servers must be reached over https`)
    }
    return url.origin
  }
  const defaultService = serviceOf(config.defaultService ?? DEFAULT_SERVICE, 'bluesky.defaultService')

  function agentFor(api: Atproto, service: string, token: string | undefined, signal?: AbortSignal): Agent {
    return new api.Agent({
      service,
      headers: token ? { authorization: `Bearer ${token}` } : {},
      fetch: (input, init) =>
        guard.fetch(input, { ...init, signal: AbortSignal.any([AbortSignal.timeout(timeoutMs), ...(init?.signal ? [init.signal] : []), ...(signal ? [signal] : [])]) }),
    })
  }

  async function call<T>(kind: CallKind, service: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run()
    } catch (error) {
      throw toConnectorError(error, { call: kind, now: clock.now(), service })
    }
  }

  async function sessionOf(credentials: Credentials, signal?: AbortSignal): Promise<Session> {
    const service = serviceOf(credentials.extra?.service ?? config.defaultService, 'credentials.extra.service')
    const did = credentials.extra?.did
    if (!did) throw new ConnectorError('disconnected', 'credentials.extra.did: the Bluesky account is missing; reconnect it')
    const api = await loadAtproto()
    if (credentials.extra?.auth === 'oauth') {
      if (!oauth) throw new ConnectorError('disconnected', 'This Bluesky account was connected with OAuth, which this server no longer offers (APP_URL or BLUESKY_OAUTH_PRIVATE_KEY changed); reconnect it')
      // The same agent, post building and errors as an app-password session: only the transport differs.
      return { service, did, api, agent: new api.Agent(await oauth.restore(did)) }
    }
    return { service, did, api, agent: agentFor(api, service, credentials.accessToken, signal) }
  }

  function credentialsFrom(service: string, data: { accessJwt: string; refreshJwt: string; did: string; handle: string }): Credentials {
    return { accessToken: data.accessJwt, refreshToken: data.refreshJwt, expiresAt: jwtExpiry(data.accessJwt), extra: { service, did: data.did, handle: data.handle } }
  }

  /** Links become link facets; mentions of handles that resolve become mention facets, others stay text. */
  async function richText(s: Session, text: string): Promise<{ text: string; facets?: AppBskyRichtextFacet.Main[] }> {
    const rt = new s.api.RichText({ text })
    rt.detectFacetsWithoutResolution()
    const facets: AppBskyRichtextFacet.Main[] = []
    for (const facet of rt.facets ?? []) {
      const features: AppBskyRichtextFacet.Main['features'] = []
      for (const feature of facet.features) {
        if (!s.api.AppBskyRichtextFacet.isMention(feature)) {
          features.push(feature)
          continue
        }
        // Until resolved, a detected mention carries the handle in `did`.
        const did = await resolveHandle(s, feature.did)
        if (did) features.push({ ...feature, did })
      }
      if (features.length) facets.push({ ...facet, features })
    }
    return { text: rt.text, facets: facets.length ? facets : undefined }
  }

  async function resolveHandle(s: Session, handle: string): Promise<string | null> {
    try {
      return (await s.agent.com.atproto.identity.resolveHandle({ handle })).data.did
    } catch (error) {
      // 400 "Unable to resolve handle": not an account, so the text stays plain.
      if (isXrpcError(error) && error.status === 400 && !/Token/.test(error.error)) return null
      throw toConnectorError(error, { call: 'read', now: clock.now(), service: s.service })
    }
  }

  /**
   * A video is one blob on the account's PDS (`uploadBlob`) in an `app.bsky.embed.video` with its alt
   * text and the aspect ratio its `tkhd` gives (decision 105); images are up to four blobs.
   */
  async function uploadImages(s: Session, media: Media, signal?: AbortSignal) {
    const video = media.find((item) => isVideoType(item.mimeType))
    if (video) {
      const videoService = videoServiceFor(s.service)
      const blob = videoService
        ? await processVideo(s, videoService, video.data, signal)
        : (await call('upload', s.service, () => s.agent.com.atproto.repo.uploadBlob(video.data, { encoding: video.mimeType }))).data.blob
      const info = readVideoInfo(video.data)
      return {
        $type: 'app.bsky.embed.video',
        video: blob,
        ...(video.altText ? { alt: video.altText } : {}),
        ...(info && info.width > 0 && info.height > 0 ? { aspectRatio: { width: info.width, height: info.height } } : {}),
      }
    }
    const images = []
    for (const item of media) {
      const { data } = await call('upload', s.service, () => s.agent.com.atproto.repo.uploadBlob(item.data, { encoding: item.mimeType }))
      images.push({ image: data.blob, alt: item.altText ?? '' })
    }
    return images.length ? { $type: 'app.bsky.embed.images', images } : undefined
  }

  async function getPost(s: Session, rkey: string): Promise<StoredPost | null> {
    try {
      const { data } = await s.agent.com.atproto.repo.getRecord({ repo: s.did, collection: POST, rkey })
      type Ref = { uri?: unknown; cid?: unknown } | undefined
      const reply = (data.value as { reply?: { root?: Ref; parent?: Ref } }).reply
      const refOf = (ref: Ref): StrongRef => ({ uri: String(ref?.uri ?? ''), cid: String(ref?.cid ?? '') })
      return {
        // Exactly a strong ref: it goes into the next part's `reply` as it is.
        ref: { uri: data.uri, cid: data.cid! },
        reply: reply ? { root: refOf(reply.root), parent: refOf(reply.parent) } : undefined,
      }
    } catch (error) {
      if (isXrpcError(error) && error.error === 'RecordNotFound') return null
      throw toConnectorError(error, { call: 'read', now: clock.now(), service: s.service })
    }
  }

  /**
   * Whether `post`, read back under the record key of part `posts.length`, continues the chain `posts`:
   * the first part is no reply; every later one replies to the first (root) and the one before (parent),
   * by URI and, where `posts` knows it, by CID. A post under our key that does not is not this thread's
   * part, whatever its text: e.g. the user deleted the thread's first post before a lookup, the part was
   * written again under its key (same URI, new CID), and the old later parts still reply to the deleted one.
   */
  function continuesChain(post: StoredPost, posts: StrongRef[]): boolean {
    if (posts.length === 0) return post.reply === undefined
    const names = (ref: StrongRef, ours: StrongRef) => ref.uri === ours.uri && (!ours.cid || ref.cid === ours.cid)
    return !!post.reply && names(post.reply.root, posts[0]!) && names(post.reply.parent, posts[posts.length - 1]!)
  }

  /**
   * Creates part `posts.length` under its record key. A PDS refuses a second record under a key that
   * exists (a 500 "There is already a value at key", 400 on some versions): the existing one is ours from
   * an earlier attempt with the same idempotency key, so that is success, when it continues this chain.
   */
  async function createPost(s: Session, rkey: string, record: Record<string, unknown>, posts: StrongRef[]): Promise<StrongRef> {
    try {
      const { data } = await s.agent.com.atproto.repo.createRecord({ repo: s.did, collection: POST, rkey, record })
      return { uri: data.uri, cid: data.cid }
    } catch (error) {
      const answered = isXrpcError(error) && (error.status >= 500 || (error.status === 400 && /already/i.test(error.message)))
      if (answered) {
        const existing = await getPost(s, rkey).catch(() => null)
        if (existing && continuesChain(existing, posts)) return existing.ref
        if (existing) {
          throw new ConnectorError(
            'invalid-content',
            `Post ${posts.length + 1} of the thread cannot be written: its record key (${rkey}) holds ${existing.ref.uri}, which is not a reply to the thread's earlier posts`,
            { detail: { code: 'RecordKeyTaken' }, cause: error },
          )
        }
      }
      throw toConnectorError(error, { call: 'write', now: clock.now(), service: s.service })
    }
  }

  /**
   * The posts a thread known to start with `uris` begins with. Only the root and the last one are read
   * (the next reply names both by URI and CID; the others keep an empty CID). A part that is gone cannot
   * be replied to: `null` for it when `missing` is 'keep', else invalid-content.
   */
  async function knownPosts(s: Session, uris: string[], missing: 'keep' | 'refuse'): Promise<StrongRef[]> {
    const refs: StrongRef[] = uris.map((uri) => ({ uri, cid: '' }))
    for (const index of new Set(uris.length ? [0, uris.length - 1] : [])) {
      const uri = new s.api.AtUri(uris[index]!)
      const post = await getPost(s, uri.rkey)
      if (post && post.ref.uri === uris[index]) refs[index] = post.ref
      else if (missing === 'refuse') throw new ConnectorError('invalid-content', `Post ${index + 1} of the thread (${uris[index]}) is gone: the thread cannot be continued`)
    }
    return refs
  }

  function result(s: Session, posts: StrongRef[]): PublishResult {
    return { remoteId: posts[0]!.uri, url: `${appUrl}/profile/${s.did}/post/${new s.api.AtUri(posts[0]!.uri).rkey}`, partIds: posts.map((p) => p.uri) }
  }

  return {
    kind: 'bluesky',
    displayName: 'Bluesky',
    limits: BLUESKY_LIMITS,
    // The connector posts links as facets, without an external embed: no card.
    look: { layout: 'card', linkCard: false },
    measure: graphemeLength,
    appPasswords: { settingsUrl: 'https://bsky.app/settings/app-passwords', defaultServer: defaultService },
    delegatedAuthorization: oauth && config.oauth ? delegated(config.oauth, oauth) : undefined,

    validate(content: ChannelContent, options: ValidateOptions = {}): ContentProblem[] {
      return validateBlueskyContent(content, options.maxLength ?? BLUESKY_LIMITS.maxLength)
    },

    /** The client library, loaded before the pipeline's send deadline starts (not inside it). */
    async prepare(): Promise<void> {
      await loadAtproto()
    },

    /**
     * A thread is a chain of replies (root = the first post, parent = the previous one). A retry with the
     * same idempotency key finds the parts already written under their keys and carries on after them.
     * `resume` names parts that exist by their URIs: their CIDs (a reply needs both) are read back.
     */
    async publish({ credentials, content, idempotencyKey, signal, resume }: PublishArgs): Promise<PublishResult> {
      // A video Bluesky would refuse (type, size, duration, or with other media) fails before any byte is sent.
      const hasVideo = content.parts.some((part) => part.media?.some((item) => isVideoType(item.mimeType)))
      const refused = hasVideo ? validateBlueskyContent(content, Number.MAX_SAFE_INTEGER).filter((p) => /^parts\[\d+\]\.media/.test(p.path)) : []
      if (refused.length) throw new ConnectorError('invalid-content', describeVideoProblems(refused), { detail: { code: 'video-limits' } })
      const s = await sessionOf(credentials, signal)
      const posts: StrongRef[] = await knownPosts(s, (resume?.partIds ?? []).slice(0, content.parts.length), 'refuse')
      const existing = posts.length
      for (const [index, part] of content.parts.entries()) {
        if (index < existing) continue
        try {
          const embed = await uploadImages(s, part.media ?? [], signal)
          const record = {
            $type: POST,
            ...(await richText(s, part.text)),
            createdAt: clock.now().toISOString(),
            ...(embed ? { embed } : {}),
            ...(posts.length ? { reply: { root: posts[0], parent: posts[posts.length - 1] } } : {}),
          }
          // A request started on an aborted signal is never sent. The first publish of a process also waits
          // for @atproto/api, which can use up a short deadline (tests: 1 s) on a busy machine: say so
          // rather than report an unknown outcome that a lookup would then have to settle.
          if (signal?.aborted) throw new ConnectorError('transient', `Post ${index + 1} of ${content.parts.length} was not sent: the deadline had passed`, { cause: signal.reason })
          posts.push(await createPost(s, recordKeyFor(idempotencyKey, index), record, posts))
        } catch (error) {
          // Nothing was created by this call: the error says what happened to it.
          if (posts.length === existing) throw error
          const cause = error as ConnectorError
          throw new ConnectorError('unknown-outcome', `The thread stopped after ${posts.length} of ${content.parts.length} posts: ${cause.message}`, {
            partial: result(s, posts),
            detail: cause.detail,
            cause,
          })
        }
      }
      return result(s, posts)
    },

    async connectWithAppPassword({ service, identifier, appPassword }) {
      const base = service?.trim() ? serviceOf(service.trim(), 'service') : defaultService
      if (!identifier.trim()) throw new Error('identifier: enter your handle or email')
      if (!appPassword.trim()) throw new Error('appPassword: enter an app password')
      const api = await loadAtproto()
      const agent = agentFor(api, base, undefined)
      const { data } = await call('login', base, () => agent.com.atproto.server.createSession({ identifier: identifier.trim(), password: appPassword.trim() }))
      if (jwtScope(data.accessJwt) !== 'com.atproto.appPass') {
        // A full-access session could change the account's email or password: do not keep it.
        await agentFor(api, base, data.refreshJwt).com.atproto.server.deleteSession().catch(() => undefined)
        throw new ConnectorError('auth', 'appPassword: use an app password (Bluesky settings → Privacy and security → App passwords), not the account password')
      }
      return { credentials: credentialsFrom(base, data), remoteAccountId: data.did, handle: data.handle }
    },

    async refreshCredentials(credentials: Credentials): Promise<Credentials> {
      if (credentials.extra?.auth === 'oauth') {
        // The library refreshes (under its cross-process lock) and stores the new tokens itself.
        if (!oauth || !credentials.extra.did) throw new ConnectorError('disconnected', 'This Bluesky OAuth session can no longer be refreshed; reconnect the account')
        await oauth.restore(credentials.extra.did, true)
        return credentials
      }
      const service = serviceOf(credentials.extra?.service ?? config.defaultService, 'credentials.extra.service')
      if (!credentials.refreshToken) throw new ConnectorError('disconnected', 'credentials.refreshToken: there is no Bluesky session to refresh')
      const agent = agentFor(await loadAtproto(), service, credentials.refreshToken)
      const { data } = await call('refresh', service, () => agent.com.atproto.server.refreshSession())
      return credentialsFrom(service, data)
    },

    /**
     * Reads each part back by its record key (after the `known` ones) and keeps the longest prefix that
     * is a chain: every part after the first a reply to the first (root) and to the one before (parent).
     * `null` when the first part was never written.
     */
    async lookup({ credentials, content, idempotencyKey, known }: LookupArgs): Promise<PublishResult | null> {
      const s = await sessionOf(credentials)
      const knownUris = (known?.partIds ?? []).slice(0, content.parts.length)
      // The known parts' CIDs, so that a later part is matched to them by CID as well (a part of the thread
      // that is gone stays known: what a lookup found once is never forgotten).
      const posts = knownUris.length < content.parts.length ? await knownPosts(s, knownUris, 'keep') : knownUris.map((uri) => ({ uri, cid: '' }))
      for (const index of content.parts.keys()) {
        if (index < posts.length) continue
        const post = await getPost(s, recordKeyFor(idempotencyKey, index))
        if (!post || !continuesChain(post, posts)) break
        posts.push(post.ref)
      }
      return posts.length ? result(s, posts) : null
    },

    close() {
      void guard.close()
    },

    /** `app.bsky.feed.getPosts` (the PDS forwards it to the app view): likes, reposts, replies, quotes. */
    async metrics({ credentials, post, signal }: MetricsArgs): Promise<PostMetrics | null> {
      const s = await sessionOf(credentials, signal)
      const { data } = await call('read', s.service, () => s.agent.app.bsky.feed.getPosts({ uris: [post.remoteId] }))
      const found = data.posts.find((p) => p.uri === post.remoteId)
      if (!found) return null
      return { likes: found.likeCount, reposts: found.repostCount, replies: found.replyCount, quotes: found.quoteCount }
    },

    async delete({ credentials, remoteId }) {
      const s = await sessionOf(credentials)
      const uri = new s.api.AtUri(remoteId)
      await call('write', s.service, () => s.agent.com.atproto.repo.deleteRecord({ repo: s.did, collection: uri.collection, rkey: uri.rkey }))
    },
  }
}

function delegated(config: BlueskyOAuthConfig, oauth: ReturnType<typeof createBlueskyOAuth>): BlueskyConnector['delegatedAuthorization'] {
  return {
    clientMetadata: blueskyClientMetadata(config.appUrl),
    jwks: blueskyJwks(config.privateKeyJwk),
    identifierField: { label: 'Your handle', description: 'Your Bluesky handle (or DID). You sign in on your own server and approve Trickle there; no password is typed here.', placeholder: 'alice.bsky.social' },
    async start({ identifier, appState }) {
      const handle = identifier.trim().replace(/^@/, '')
      if (!handle) throw new Error('identifier: enter your Bluesky handle')
      try {
        return await oauth.authorize(handle, appState)
      } catch (error) {
        // The server found the account but not Trickle's key: a key rotated too early (decision 125) or a misconfiguration.
        if ((error as { error?: string }).error === 'invalid_client') {
          throw new Error(`identifier: the Bluesky server of "${handle}" refused Trickle's client key (${(error as Error).message}). Try again in ten minutes; if it goes on, tell whoever runs Trickle (BLUESKY_OAUTH_PRIVATE_KEY).`, { cause: error })
        }
        throw new Error(`identifier: could not find the Bluesky account "${handle}" or its server (${(error as Error).message})`, { cause: error })
      }
    },
    async complete(params) {
      const { session, appState } = await oauth.callback(params)
      const info = await session.getTokenInfo(false)
      const api = await loadAtproto()
      const agent = new api.Agent(session)
      let handle: string = session.did
      try {
        handle = (await agent.com.atproto.repo.describeRepo({ repo: session.did })).data.handle
      } catch {
        // The DID stands in for a handle the PDS would not tell.
      }
      const service = new URL(info.aud).origin
      return {
        appState,
        account: {
          credentials: { accessToken: OAUTH_SESSION, refreshToken: OAUTH_SESSION, extra: { service, did: session.did, handle, auth: 'oauth', server: session.did } },
          remoteAccountId: session.did,
          handle,
        },
      }
    },
  }
}

function jwtPayload(jwt: string): { exp?: number; scope?: string } {
  try {
    return JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8')) as { exp?: number; scope?: string }
  } catch {
    return {}
  }
}

function jwtExpiry(jwt: string): Date | undefined {
  const { exp } = jwtPayload(jwt)
  return typeof exp === 'number' ? new Date(exp * 1000) : undefined
}

function jwtScope(jwt: string): string | undefined {
  return jwtPayload(jwt).scope
}
