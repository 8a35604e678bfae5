import type { Clock } from '../../domain/clock'
import { describeVideoProblems, isVideoType } from '../../domain/media/video'
import { abortableWait, requestJson, retryAfter, type CallKind, type HttpAnswer } from '../http-json'
import {
  ConnectorError,
  type AuthorizedAccount,
  type ChannelContent,
  type Connector,
  type Credentials,
  type LookupArgs,
  type PublishArgs,
  type PublishResult,
} from '../types'
import { LINKEDIN_LIMITS, toLittleText, validateLinkedInContent } from './content'

/**
 * LinkedIn through its REST API (a small typed client over fetch: no maintained Node SDK covers the
 * Posts API). 3-legged OAuth 2.0 with state and PKCE; `POST /rest/posts` with the `LinkedIn-Version`
 * header, images through `POST /rest/images?action=initializeUpload` and a PUT of the bytes; a thread's
 * later parts as comments of the first post (`/rest/socialActions/{post}/comments`). LinkedIn refuses a
 * post whose text the author already posted (422, "duplicate"): after a lost answer that post is ours,
 * so it is `unknown-outcome` and `lookup` finds it among the author's posts (decision 090).
 *
 * A video (decision 105) goes through the Videos API: `initializeUpload` (the file's size → one upload
 * address per 4 MB part), a PUT of each part (its `etag`), `finalizeUpload` with the etags in order, then
 * `GET /rest/videos/{urn}` (1, 2, 4, then 8 s apart) until AVAILABLE; only then the post names it. All of
 * that is invisible (a failure can be retried); PROCESSING_FAILED is invalid content.
 */
export type LinkedInConnectorConfig = {
  clientId: string
  clientSecret: string
  /** https://api.linkedin.com (a loopback server in tests). */
  apiBaseUrl?: string
  /** https://www.linkedin.com/oauth/v2: the consent page and the token endpoint. */
  oauthBaseUrl?: string
  /** The API version every /rest call names (YYYYMM). */
  version?: string
  scopes?: string[]
  /**
   * The app has LinkedIn's Community Management API: also ask for the pages the member administers
   * (`w_organization_social r_organization_social rw_organization_admin`) and connect each as an account.
   */
  organizations?: boolean
  timeoutMs?: number
  /** Per request that carries a video part (default 5 minutes; the pipeline's deadline bounds it too). */
  uploadTimeoutMs?: number
  clock?: Clock
  /** How the connector waits between reads of a video's status (tests pass one that moves their clock). */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>
  /** How long a video may stay PROCESSING (by `clock`) before the publish gives up, as transient. Default 10 minutes. */
  mediaProcessingTimeoutMs?: number
}

export { LINKEDIN_LIMITS } from './content'

const DEFAULTS = {
  apiBaseUrl: 'https://api.linkedin.com',
  oauthBaseUrl: 'https://www.linkedin.com/oauth/v2',
  version: '202411',
  scopes: ['openid', 'profile', 'w_member_social'],
  organizationScopes: ['w_organization_social', 'r_organization_social', 'rw_organization_admin'],
}
const LOOKUP_POSTS = 50

type TokenAnswer = { access_token: string; expires_in: number; refresh_token?: string; refresh_token_expires_in?: number; scope?: string }
type LinkedInPost = { id: string; author: string; commentary?: string; createdAt?: number }
type LinkedInComment = { id: string; actor: string; message?: { text?: string }; created?: { time?: number } }

export function createLinkedInConnector(input: LinkedInConnectorConfig): Connector<'linkedin'> {
  if (!input.clientId) throw new Error('linkedin.clientId: required')
  if (!input.clientSecret) throw new Error('linkedin.clientSecret: required')
  const clock = input.clock ?? { now: () => new Date() }
  const apiBaseUrl = (input.apiBaseUrl ?? DEFAULTS.apiBaseUrl).replace(/\/+$/, '')
  const oauthBaseUrl = (input.oauthBaseUrl ?? DEFAULTS.oauthBaseUrl).replace(/\/+$/, '')
  const version = input.version ?? DEFAULTS.version
  const scopes = input.scopes ?? [...DEFAULTS.scopes, ...(input.organizations ? DEFAULTS.organizationScopes : [])]
  const timeoutMs = input.timeoutMs ?? 30_000
  const uploadTimeoutMs = input.uploadTimeoutMs ?? 5 * 60_000
  const sleep = input.sleep ?? ((ms: number, signal?: AbortSignal) => abortableWait(ms, signal, 'Gave up waiting for LinkedIn to process the video; nothing was posted'))
  const processingTimeoutMs = input.mediaProcessingTimeoutMs ?? 10 * 60_000

  function toError(kind: CallKind) {
    return ({ status, headers, data }: HttpAnswer): ConnectorError => {
      const body = (data ?? {}) as { message?: string; code?: string; serviceErrorCode?: number; error?: string; error_description?: string }
      const code = body.code ?? body.error ?? (body.serviceErrorCode !== undefined ? String(body.serviceErrorCode) : undefined)
      const detail = { status, code }
      const message = `LinkedIn answered ${status}: ${body.message ?? body.error_description ?? body.error ?? 'no details'}`
      // LinkedIn's limits are per day, reset at midnight UTC; a Retry-After, when sent, is more precise.
      if (status === 429) return new ConnectorError('rate-limited', message, { detail, resetAt: retryAfter(headers, clock.now()) ?? nextUtcMidnight(clock.now()) })
      if (kind === 'refresh' && status >= 400 && status < 500) return new ConnectorError('disconnected', message, { detail })
      if (kind === 'authorize' && status >= 400 && status < 500) return new ConnectorError('auth', message, { detail })
      if (status === 401) return new ConnectorError('auth', message, { detail })
      // Missing permission (a scope not granted, no longer a page administrator): a person must reconnect.
      if (status === 403) return new ConnectorError('disconnected', message, { detail })
      if (kind === 'write' && status === 422 && /duplicate/i.test(body.message ?? '')) {
        return new ConnectorError('unknown-outcome', `LinkedIn reported the post as a duplicate of one the author already has, so it may be published already: looking it up (${message})`, {
          detail: { status, code: 'duplicate-content' },
        })
      }
      if (status >= 500 && kind === 'write') return new ConnectorError('unknown-outcome', message, { detail })
      if (status >= 500 || kind === 'read') return new ConnectorError('transient', message, { detail })
      return new ConnectorError('invalid-content', message, { detail })
    }
  }

  function rest<T>(kind: CallKind, credentials: Credentials, path: string, init: { method?: string; json?: unknown; signal?: AbortSignal } = {}) {
    return requestJson<T>({
      network: 'LinkedIn',
      kind,
      url: `${apiBaseUrl}${path}`,
      method: init.method,
      json: init.json,
      signal: init.signal,
      timeoutMs,
      headers: { authorization: `Bearer ${credentials.accessToken}`, 'linkedin-version': version, 'x-restli-protocol-version': '2.0.0' },
      toError: toError(kind),
    })
  }

  async function token(kind: 'authorize' | 'refresh', fields: Record<string, string>): Promise<TokenAnswer> {
    const body = new URLSearchParams({ ...fields, client_id: input.clientId, client_secret: input.clientSecret })
    const { data } = await requestJson<TokenAnswer>({
      network: 'LinkedIn',
      kind,
      url: `${oauthBaseUrl}/accessToken`,
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body,
      timeoutMs,
      toError: toError(kind),
    })
    return data
  }

  function toCredentials(answer: TokenAnswer, extra: Record<string, string> | undefined, previous?: Credentials): Credentials {
    return {
      accessToken: answer.access_token,
      // Only apps LinkedIn approved for it get refresh tokens; the refresh token keeps its own 365-day life.
      refreshToken: answer.refresh_token ?? previous?.refreshToken,
      expiresAt: new Date(clock.now().getTime() + answer.expires_in * 1000),
      extra,
    }
  }

  function authorOf(credentials: Credentials): string {
    const author = credentials.extra?.author
    if (!author) throw new ConnectorError('disconnected', 'credentials.extra.author: the LinkedIn author is missing')
    return author
  }

  async function uploadImage(credentials: Credentials, author: string, image: NonNullable<ChannelContent['parts'][number]['media']>[number]): Promise<string> {
    const init = await rest<{ value: { uploadUrl: string; image: string } }>('read', credentials, '/rest/images?action=initializeUpload', {
      method: 'POST',
      json: { initializeUploadRequest: { owner: author } },
    })
    // An uploaded image nothing refers to yet has no effect: a failed upload can be retried.
    await requestJson<unknown>({
      network: 'LinkedIn',
      kind: 'read',
      url: init.data.value.uploadUrl,
      method: 'PUT',
      headers: { authorization: `Bearer ${credentials.accessToken}`, 'content-type': image.mimeType },
      body: new Blob([new Uint8Array(image.data)], { type: image.mimeType }),
      timeoutMs,
      toError: toError('read'),
    })
    return init.data.value.image
  }

  /** The Videos API: initialize, the parts, finalize, then its status until AVAILABLE. Nothing here is visible. */
  async function uploadVideo(credentials: Credentials, author: string, video: { mimeType: string; data: Uint8Array }, signal?: AbortSignal): Promise<string> {
    type Instruction = { uploadUrl: string; firstByte: number; lastByte: number }
    const init = await rest<{ value: { video: string; uploadToken?: string; uploadInstructions: Instruction[] } }>('read', credentials, '/rest/videos?action=initializeUpload', {
      method: 'POST',
      json: { initializeUploadRequest: { owner: author, fileSizeBytes: video.data.byteLength, uploadCaptions: false, uploadThumbnail: false } },
      signal,
    })
    const { video: urn, uploadToken = '', uploadInstructions } = init.data.value
    const etags: string[] = []
    for (const part of uploadInstructions) {
      const sent = await requestJson<unknown>({
        network: 'LinkedIn',
        kind: 'read',
        url: part.uploadUrl,
        method: 'PUT',
        headers: { authorization: `Bearer ${credentials.accessToken}`, 'content-type': 'application/octet-stream' },
        body: new Blob([new Uint8Array(video.data.subarray(part.firstByte, part.lastByte + 1))]),
        signal,
        timeoutMs: uploadTimeoutMs,
        toError: toError('read'),
      })
      const etag = sent.headers.get('etag')
      if (!etag) throw new ConnectorError('transient', `LinkedIn named no etag for bytes ${part.firstByte}-${part.lastByte} of the video`)
      etags.push(etag)
    }
    await rest<unknown>('read', credentials, '/rest/videos?action=finalizeUpload', { method: 'POST', json: { finalizeUploadRequest: { video: urn, uploadToken, uploadedPartIds: etags } }, signal })
    const started = clock.now().getTime()
    for (let read = 0; ; read++) {
      const waitMs = Math.min(8000, 1000 * 2 ** read)
      if (clock.now().getTime() + waitMs - started > processingTimeoutMs) {
        throw new ConnectorError('transient', `LinkedIn was still processing the video after ${Math.round(processingTimeoutMs / 1000)} s; nothing was posted`, { detail: { code: 'media-processing-timeout' } })
      }
      await sleep(waitMs, signal)
      const { data } = await rest<{ status?: string; processingFailureReason?: string }>('read', credentials, `/rest/videos/${encodeURIComponent(urn)}`, { signal })
      if (data.status === 'AVAILABLE') return urn
      if (data.status === 'PROCESSING_FAILED') {
        throw new ConnectorError('invalid-content', `LinkedIn could not process the video: ${data.processingFailureReason ?? 'no details'}`, { detail: { code: 'media-processing-failed' } })
      }
    }
  }

  function postBody(author: string, part: ChannelContent['parts'][number], images: string[], video?: string) {
    const alt = (i: number) => part.media?.[i]?.altText
    const content = video
      ? { media: { id: video, ...(alt(0) ? { title: alt(0) } : {}) } }
      : images.length === 1
        ? { media: { id: images[0], ...(alt(0) ? { altText: alt(0) } : {}) } }
        : images.length > 1
          ? { multiImage: { images: images.map((id, i) => ({ id, ...(alt(i) ? { altText: alt(i) } : {}) })) } }
          : undefined
    return {
      author,
      commentary: toLittleText(part.text),
      visibility: 'PUBLIC',
      distribution: { feedDistribution: 'MAIN_FEED', targetEntities: [], thirdPartyDistributionChannels: [] },
      ...(content ? { content } : {}),
      lifecycleState: 'PUBLISHED',
      isReshareDisabledByAuthor: false,
    }
  }

  const commentsPath = (postUrn: string) => `/rest/socialActions/${encodeURIComponent(postUrn)}/comments`
  const result = (ids: string[]): PublishResult => ({ remoteId: ids[0]!, url: `https://www.linkedin.com/feed/update/${ids[0]}/`, partIds: ids })

  /** The pages (organizations) the member administers, each an author the same tokens post as. */
  async function administeredPages(answer: TokenAnswer): Promise<NonNullable<AuthorizedAccount['alsoAuthorized']>> {
    const session = { accessToken: answer.access_token }
    const acls = await rest<{ elements?: Array<{ organization: string; role: string; state: string }> }>('authorize', session, '/rest/organizationAcls?q=roleAssignee&role=ADMINISTRATOR&state=APPROVED')
    const pages: NonNullable<AuthorizedAccount['alsoAuthorized']> = []
    for (const acl of acls.data.elements ?? []) {
      const id = /^urn:li:organization:(\d+)$/.exec(acl.organization)?.[1]
      if (!id) continue
      const page = await rest<{ localizedName?: string; vanityName?: string }>('authorize', session, `/rest/organizations/${id}`)
      pages.push({
        credentials: toCredentials(answer, { author: acl.organization }),
        remoteAccountId: acl.organization,
        handle: page.data.localizedName ?? page.data.vanityName ?? acl.organization,
        displayName: page.data.vanityName ? `linkedin.com/company/${page.data.vanityName}` : undefined,
      })
    }
    return pages
  }

  async function recentPosts(credentials: Credentials, author: string, since: Date): Promise<LinkedInPost[]> {
    const { data } = await rest<{ elements?: LinkedInPost[] }>('read', credentials, `/rest/posts?q=author&author=${encodeURIComponent(author)}&count=${LOOKUP_POSTS}&sortBy=CREATED`)
    return (data.elements ?? []).filter((p) => (p.createdAt ?? 0) >= since.getTime())
  }

  return {
    kind: 'linkedin',
    displayName: 'LinkedIn',
    limits: LINKEDIN_LIMITS,
    validate: validateLinkedInContent,

    async publish({ credentials, content, signal, resume }: PublishArgs): Promise<PublishResult> {
      const author = authorOf(credentials)
      const ids = (resume?.partIds ?? []).slice(0, content.parts.length)
      const existing = ids.length
      for (const [index, part] of content.parts.entries()) {
        if (index < existing) continue
        try {
          if (index === 0) {
            const video = part.media?.find((item) => isVideoType(item.mimeType))
            if (video) {
              // A video LinkedIn would refuse (type, size, duration, or with other media) fails before any byte is sent.
              const refused = validateLinkedInContent({ parts: [part] }).filter((p) => p.path.startsWith('parts[0].media'))
              if (refused.length) throw new ConnectorError('invalid-content', describeVideoProblems(refused), { detail: { code: 'video-limits' } })
            }
            const images: string[] = []
            if (!video) for (const image of part.media ?? []) images.push(await uploadImage(credentials, author, image))
            const videoUrn = video ? await uploadVideo(credentials, author, video, signal) : undefined
            const created = await rest<unknown>('write', credentials, '/rest/posts', { method: 'POST', json: postBody(author, part, images, videoUrn), signal })
            const id = created.headers.get('x-restli-id')
            if (!id) throw new ConnectorError('unknown-outcome', 'LinkedIn created the post but named no id (x-restli-id)', { detail: { status: created.status } })
            ids.push(id)
          } else {
            const created = await rest<{ id?: string; $URN?: string }>('write', credentials, commentsPath(ids[0]!), {
              method: 'POST',
              json: { actor: author, object: ids[0], message: { text: part.text } },
              signal,
            })
            const id = created.headers.get('x-restli-id') ?? created.data?.$URN ?? created.data?.id
            if (!id) throw new ConnectorError('unknown-outcome', 'LinkedIn created the comment but named no id', { detail: { status: created.status } })
            ids.push(id)
          }
        } catch (error) {
          if (ids.length === existing) throw error
          const cause = error as ConnectorError
          throw new ConnectorError('unknown-outcome', `The thread stopped after ${ids.length} of ${content.parts.length} parts: ${cause.message}`, {
            partial: result(ids),
            detail: cause.detail,
            cause,
          })
        }
      }
      return result(ids)
    },

    authorizeUrl({ redirectUri, state, codeChallenge }) {
      const url = new URL(`${oauthBaseUrl}/authorization`)
      url.search = new URLSearchParams({
        response_type: 'code',
        client_id: input.clientId,
        redirect_uri: redirectUri,
        state,
        scope: scopes.join(' '),
        code_challenge: codeChallenge,
        code_challenge_method: 'S256',
      }).toString()
      return url.toString()
    },

    async completeAuthorization({ redirectUri, code, codeVerifier }): Promise<AuthorizedAccount> {
      const answer = await token('authorize', { grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: codeVerifier })
      const session = { accessToken: answer.access_token }
      // OpenID Connect's userinfo names the member; their URN is urn:li:person:<sub>.
      const me = await requestJson<{ sub: string; name?: string; given_name?: string; family_name?: string }>({
        network: 'LinkedIn',
        kind: 'read',
        url: `${apiBaseUrl}/v2/userinfo`,
        headers: { authorization: `Bearer ${session.accessToken}` },
        timeoutMs,
        toError: toError('authorize'),
      })
      const author = `urn:li:person:${me.data.sub}`
      const name = me.data.name ?? [me.data.given_name, me.data.family_name].filter(Boolean).join(' ')
      return {
        credentials: toCredentials(answer, { author }),
        remoteAccountId: author,
        handle: name || me.data.sub,
        displayName: name || undefined,
        alsoAuthorized: input.organizations ? await administeredPages(answer) : undefined,
      }
    },

    /**
     * LinkedIn's refresh tokens (granted to approved apps only) do not rotate: the same one renews the
     * access token for 60 more days until its own 365 days end. Without one, the account must reconnect.
     */
    async refreshCredentials(credentials: Credentials): Promise<Credentials> {
      if (!credentials.refreshToken) throw new ConnectorError('disconnected', 'LinkedIn gave this account no refresh token: reconnect it before the access token expires')
      const answer = await token('refresh', { grant_type: 'refresh_token', refresh_token: credentials.refreshToken })
      return toCredentials(answer, credentials.extra, credentials)
    },

    /** The author's posts since `since` with the exact commentary; then the thread's comments, in order. */
    async lookup({ credentials, content, since, known }: LookupArgs): Promise<PublishResult | null> {
      const author = authorOf(credentials)
      const ids = (known?.partIds ?? []).slice(0, content.parts.length)
      if (ids.length === 0) {
        const want = toLittleText(content.parts[0]?.text ?? '')
        const posts = (await recentPosts(credentials, author, since)).filter((p) => p.author === author && p.commentary === want)
        const first = posts.sort((a, b) => (a.createdAt ?? 0) - (b.createdAt ?? 0))[0]
        if (!first) return null
        ids.push(first.id)
      }
      if (ids.length < content.parts.length) {
        const { data } = await rest<{ elements?: LinkedInComment[] }>('read', credentials, `${commentsPath(ids[0]!)}?count=100`)
        const comments = (data.elements ?? []).filter((c) => c.actor === author).sort((a, b) => (a.created?.time ?? 0) - (b.created?.time ?? 0))
        for (const part of content.parts.slice(ids.length)) {
          const next = comments.find((c) => c.message?.text === part.text && !ids.includes(c.id))
          if (!next) break
          ids.push(next.id)
        }
      }
      return result(ids)
    },

    async delete({ credentials, remoteId }) {
      await rest<unknown>('write', credentials, `/rest/posts/${encodeURIComponent(remoteId)}`, { method: 'DELETE' })
    },
  }
}

function nextUtcMidnight(now: Date): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1))
}
