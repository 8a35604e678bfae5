import { checkVideo, describeVideoProblems, INSTAGRAM_REEL_LIMITS, isVideoType } from '../../domain/media/video'
import { createMetaGraph, findPage, type MetaGraphConfig, type PageAccount } from '../facebook/graph'
import {
  ConnectorError,
  isConnectorError,
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
 * Instagram business and creator accounts linked to a Facebook Page, through the Graph API with
 * Facebook Login (decision 100): the same consent as Facebook Pages, the account is the Page's
 * `instagram_business_account`, and the Page access token (no expiry) makes every call. A post is an
 * image (or a carousel of 2–10): Instagram fetches each image from a public `image_url`: Trickle's
 * signed address (`publicMediaUrl`, decision 111) where APP_URL is public https; otherwise each image is
 * first uploaded to the linked Page as an unpublished, temporary photo (seen by nobody) and its CDN
 * address is handed over (decision 100). Then the two steps: a container
 * (`POST /{ig}/media`, invisible, retryable), polled until its `status_code` is FINISHED (ERROR: the
 * content's fault), then `media_publish` (the create). Before the first upload the account's 24-hour
 * publishing quota (`content_publishing_limit`) is read; a full quota is rate-limited until its oldest
 * post leaves the window. Instagram takes no idempotency key: `lookup` finds the caption among the
 * account's media since the claim.
 *
 * A video is a reel (decision 105): a `REELS` container with `upload_type=resumable`, whose answer names
 * the address (rupload.facebook.com) the bytes are sent to straight from Trickle, no public URL needed;
 * then its `status_code` is read (1, 2, 4, then 8 s apart) until FINISHED, and `media_publish` as for an
 * image. Type, size and duration are checked before the container is made.
 */
export type InstagramConnectorConfig = MetaGraphConfig & {
  scopes?: string[]
  /** How long to wait between reads of a container's status (1 s), and how many reads at most (20). */
  pollIntervalMs?: number
  maxPolls?: number
}

/** 2,200 characters of caption, 1 to 10 images, no threads. */
export const INSTAGRAM_LIMITS = { maxLength: 2200, maxMediaPerPost: 10, maxThreadLength: 1 }
/** Instagram publishes JPEG images of at most 8 MB. */
export const INSTAGRAM_MAX_IMAGE_BYTES = 8 * 1024 * 1024
const MAX_HASHTAGS = 30
const MAX_MENTIONS = 20
const SCOPES = ['instagram_basic', 'instagram_content_publish', 'pages_show_list', 'pages_read_engagement', 'pages_manage_posts']
const LOOKUP_POSTS = 100

type Media = { id: string; caption?: string; timestamp?: string; permalink?: string }

export function validateInstagramContent(content: ChannelContent, options: ValidateOptions = {}): ContentProblem[] {
  const maxLength = options.maxLength ?? INSTAGRAM_LIMITS.maxLength
  const problems: ContentProblem[] = []
  if (content.parts.length === 0) problems.push({ path: 'parts', message: 'Add a post.' })
  if (content.parts.length > 1) problems.push({ path: 'parts', message: 'An Instagram post is one post: Instagram has no threads.' })
  const part = content.parts[0]
  if (!part) return problems
  const media = part.media ?? []
  const length = [...part.text].length
  if (length > maxLength) problems.push({ path: 'parts[0].text', message: `Too long for an Instagram caption: ${length} characters, at most ${maxLength}.` })
  if ((part.text.match(/(^|\s)#[\p{L}\p{N}_]+/gu) ?? []).length > MAX_HASHTAGS) problems.push({ path: 'parts[0].text', message: `An Instagram caption has at most ${MAX_HASHTAGS} hashtags.` })
  if ((part.text.match(/(^|\s)@[\w.]+/g) ?? []).length > MAX_MENTIONS) problems.push({ path: 'parts[0].text', message: `An Instagram caption mentions at most ${MAX_MENTIONS} accounts.` })
  if (media.length === 0) problems.push({ path: 'parts[0].media', message: 'An Instagram post needs an image (or up to 10 for a carousel) or a video.' })
  if (media.length > INSTAGRAM_LIMITS.maxMediaPerPost) problems.push({ path: 'parts[0].media', message: `An Instagram carousel has at most ${INSTAGRAM_LIMITS.maxMediaPerPost} images.` })
  if (media.length > 1 && media.some((item) => isVideoType(item.mimeType))) problems.push({ path: 'parts[0].media', message: 'A video goes to Instagram as a reel, alone: remove the other media.' })
  media.forEach((item, j) => {
    const path = `parts[0].media[${j}]`
    if (isVideoType(item.mimeType)) return void problems.push(...checkVideo({ path, mimeType: item.mimeType, data: item.data, limits: INSTAGRAM_REEL_LIMITS }))
    if (item.mimeType !== 'image/jpeg') problems.push({ path: `${path}.mimeType`, message: 'Instagram publishes JPEG images (or an MP4 or MOV video as a reel).' })
    if (item.data.byteLength > INSTAGRAM_MAX_IMAGE_BYTES) problems.push({ path: `${path}.data`, message: 'Images on Instagram are at most 8 MB.' })
  })
  return problems
}

export function createInstagramConnector(input: InstagramConnectorConfig): Connector<'instagram'> {
  const graph = createMetaGraph({ ...input, network: 'Instagram' })
  const scopes = input.scopes ?? SCOPES
  const pollIntervalMs = input.pollIntervalMs ?? 1000
  const maxPolls = input.maxPolls ?? 20

  function accountOf(credentials: Credentials): { igUserId: string; pageId: string } {
    const igUserId = credentials.extra?.igUserId
    const pageId = credentials.extra?.pageId
    if (!igUserId || !pageId) throw new ConnectorError('disconnected', 'credentials.extra.igUserId: the Instagram account or its Page is missing')
    return { igUserId, pageId }
  }

  const result = (id: string, url?: string): PublishResult => ({ remoteId: id, partIds: [id], ...(url ? { url } : {}) })

  /** A full 24-hour quota: rate-limited until the oldest post of the window leaves it. */
  async function checkQuota(token: string, igUserId: string, signal?: AbortSignal): Promise<void> {
    const { data } = await graph.call<{ data?: Array<{ quota_usage?: number; config?: { quota_total?: number; quota_duration?: number } }> }>('read', `/${igUserId}/content_publishing_limit`, {
      token,
      params: { fields: 'quota_usage,config' },
      signal,
    })
    const limit = data.data?.[0]
    const total = limit?.config?.quota_total
    if (limit?.quota_usage === undefined || total === undefined || limit.quota_usage < total) return
    const windowMs = (limit.config?.quota_duration ?? 86_400) * 1000
    const now = graph.clock.now().getTime()
    let resetAt = new Date(now + 3600_000)
    try {
      const recent = await graph.call<{ data?: Media[] }>('read', `/${igUserId}/media`, { token, params: { fields: 'id,timestamp', since: String(Math.floor((now - windowMs) / 1000)), limit: String(Math.min(total, LOOKUP_POSTS)) }, signal })
      const oldest = Math.min(...(recent.data.data ?? []).map((m) => Date.parse(m.timestamp ?? '')).filter(Number.isFinite))
      if (Number.isFinite(oldest) && oldest + windowMs > now) resetAt = new Date(oldest + windowMs)
    } catch {
      // The hour stands.
    }
    throw new ConnectorError('rate-limited', `Instagram allows ${total} posts in 24 hours; this account has used them`, { resetAt, detail: { code: 'content_publishing_limit' } })
  }

  /** An unpublished, temporary photo of the linked Page, and the CDN address Instagram can fetch. */
  async function hostImage(token: string, pageId: string, image: { mimeType: string; data: Uint8Array }, signal?: AbortSignal): Promise<{ id: string; url: string }> {
    const form = new FormData()
    form.set('source', new Blob([new Uint8Array(image.data)], { type: image.mimeType }), 'image.jpg')
    const photo = await graph.call<{ id: string }>('read', `/${pageId}/photos`, { token, method: 'POST', params: { published: 'false', temporary: 'true' }, form, signal, errorKind: 'container' })
    const { data } = await graph.call<{ images?: Array<{ source: string; width?: number }> }>('read', `/${photo.data.id}`, { token, params: { fields: 'images' }, signal })
    const largest = [...(data.images ?? [])].sort((a, b) => (b.width ?? 0) - (a.width ?? 0))[0]
    if (!largest) throw new ConnectorError('transient', 'Facebook kept the image but named no address for it')
    return { id: photo.data.id, url: largest.source }
  }

  async function waitFinished(token: string, container: string, signal?: AbortSignal): Promise<void> {
    for (let poll = 0; poll < maxPolls; poll++) {
      const { data } = await graph.call<{ status_code?: string; status?: string }>('read', `/${container}`, { token, params: { fields: 'status_code,status' }, signal })
      if (data.status_code === 'FINISHED' || data.status_code === 'PUBLISHED') return
      if (data.status_code === 'ERROR') throw new ConnectorError('invalid-content', `Instagram could not use the image: ${data.status ?? 'no details'}`, { detail: { code: 'container-error' } })
      if (data.status_code === 'EXPIRED') throw new ConnectorError('transient', 'The Instagram container expired before it was published', { detail: { code: 'container-expired' } })
      await sleep(pollIntervalMs, signal)
    }
    throw new ConnectorError('transient', `Instagram was still processing the post after ${maxPolls} checks; nothing was published`, { detail: { code: 'container-in-progress' } })
  }

  /**
   * A reel: the container, its bytes to the address it names, then its processing. Everything here is
   * invisible until `media_publish`: any failure can be retried (a new container; the old one expires).
   */
  async function createReel(token: string, igUserId: string, part: { text: string }, video: { mimeType: string; data: Uint8Array }, signal?: AbortSignal): Promise<string> {
    const container = await graph.call<{ id: string; uri?: string }>('read', `/${igUserId}/media`, {
      token,
      method: 'POST',
      params: { media_type: 'REELS', upload_type: 'resumable', caption: part.text, share_to_feed: 'true' },
      signal,
      errorKind: 'container',
    })
    await graph.rupload({ uri: container.data.uri ?? '', token, data: video.data, signal })
    await graph.awaitProcessing({
      signal,
      check: async () => {
        const { data } = await graph.call<{ status_code?: string; status?: string }>('read', `/${container.data.id}`, { token, params: { fields: 'status_code,status' }, signal })
        if (data.status_code === 'FINISHED') return true
        if (data.status_code === 'ERROR') throw new ConnectorError('invalid-content', `Instagram could not process the video: ${data.status ?? 'no details'}`, { detail: { code: 'media-processing-failed' } })
        if (data.status_code === 'EXPIRED') throw new ConnectorError('transient', 'The Instagram container expired before it was published; nothing was published', { detail: { code: 'container-expired' } })
        return undefined
      },
      onTimeout: () => {
        throw new ConnectorError('transient', `Instagram was still processing the video after ${Math.round(graph.processingTimeoutMs / 1000)} s; nothing was published`, {
          detail: { code: 'media-processing-timeout' },
        })
      },
    })
    return container.data.id
  }

  async function permalink(token: string, id: string): Promise<string | undefined> {
    try {
      return (await graph.call<Media>('read', `/${id}`, { token, params: { fields: 'permalink' } })).data.permalink
    } catch {
      return undefined // Only the link is missing: the post is out.
    }
  }

  return {
    kind: 'instagram',
    displayName: 'Instagram',
    limits: INSTAGRAM_LIMITS,
    look: { layout: 'card', linkCard: false },
    validate: validateInstagramContent,
    connectField: {
      label: 'Instagram account',
      description: 'The professional account posts go to: its @username, or the Facebook Page it is linked to. Connect again for another account.',
      placeholder: '@acme.bakery',
      missing: 'Enter the Instagram account to post to, e.g. @acme.bakery',
    },

    async publish({ credentials, content, signal, resume, publicMediaUrl }: PublishArgs): Promise<PublishResult> {
      const known = resume?.partIds[0]
      if (known) return result(known)
      const { igUserId, pageId } = accountOf(credentials)
      const token = credentials.accessToken
      const part = content.parts[0]
      const images = part?.media ?? []
      if (!part || images.length === 0) throw new ConnectorError('invalid-content', 'An Instagram post needs an image (or up to 10 for a carousel) or a video.')
      if (images.length > INSTAGRAM_LIMITS.maxMediaPerPost) throw new ConnectorError('invalid-content', `An Instagram carousel has at most ${INSTAGRAM_LIMITS.maxMediaPerPost} images.`)
      const video = images.find((item) => isVideoType(item.mimeType))
      if (video) {
        // A video Instagram would refuse (type, size, duration, or with other media) fails before any byte is sent.
        const refused = validateInstagramContent(content).filter((p) => p.path.startsWith('parts[0].media'))
        if (refused.length) throw new ConnectorError('invalid-content', describeVideoProblems(refused), { detail: { code: 'video-limits' } })
        await checkQuota(token, igUserId, signal)
        const creation = await createReel(token, igUserId, part, video, signal)
        const published = await graph.call<{ id: string }>('write', `/${igUserId}/media_publish`, { token, method: 'POST', params: { creation_id: creation }, signal })
        return result(published.data.id, await permalink(token, published.data.id))
      }
      await checkQuota(token, igUserId, signal)
      const hosted: string[] = []
      try {
        // Everything before media_publish is invisible: a failure there can be retried.
        const containers: string[] = []
        for (const image of images) {
          let imageUrl = publicAddress(image, publicMediaUrl)
          if (!imageUrl) {
            const photo = await hostImage(token, pageId, image, signal)
            hosted.push(photo.id)
            imageUrl = photo.url
          }
          const item = await graph.call<{ id: string }>('read', `/${igUserId}/media`, {
            token,
            method: 'POST',
            params: {
              image_url: imageUrl,
              ...(images.length > 1 ? { is_carousel_item: 'true' } : { caption: part.text }),
              ...(image.altText ? { alt_text: image.altText } : {}),
            },
            signal,
            errorKind: 'container',
          })
          containers.push(item.data.id)
        }
        for (const id of containers) await waitFinished(token, id, signal)
        let creation = containers[0]!
        if (containers.length > 1) {
          const carousel = await graph.call<{ id: string }>('read', `/${igUserId}/media`, { token, method: 'POST', params: { media_type: 'CAROUSEL', children: containers.join(','), caption: part.text }, signal, errorKind: 'container' })
          creation = carousel.data.id
          await waitFinished(token, creation, signal)
        }
        const published = await graph.call<{ id: string }>('write', `/${igUserId}/media_publish`, { token, method: 'POST', params: { creation_id: creation }, signal })
        return result(published.data.id, await permalink(token, published.data.id))
      } finally {
        // Instagram has its copy once the container is FINISHED; the temporary photos would expire anyway.
        for (const id of hosted) await graph.call<unknown>('read', `/${id}`, { token, method: 'DELETE' }).catch(() => undefined)
      }
    },

    /** The account the user named: kept with the pending authorization until the callback. */
    async prepareAuthorization({ server }) {
      const account = server?.trim() ?? ''
      if (!account) throw new Error('server: enter the Instagram account to post to')
      return { account }
    },

    authorizeUrl({ redirectUri, state }) {
      return graph.authorizeUrl({ redirectUri, state, scopes })
    },

    async completeAuthorization({ redirectUri, code, context }): Promise<AuthorizedAccount> {
      const wanted = (context?.account ?? '').trim()
      const { user, pages } = await graph.pagesOf({ redirectUri, code, fields: 'id,name,access_token,tasks,instagram_business_account{id,username,name}' })
      const username = (/instagram\.com\/([^/?#]+)/i.exec(wanted)?.[1] ?? wanted).replace(/^@/, '').toLowerCase()
      const linked = pages.filter((p): p is PageAccount & { instagram_business_account: NonNullable<PageAccount['instagram_business_account']> } => Boolean(p.instagram_business_account))
      const page = linked.find((p) => p.instagram_business_account.username?.toLowerCase() === username || p.instagram_business_account.id === wanted) ?? findPage(pages, wanted)
      if (!page) {
        const names = linked.map((p) => `@${p.instagram_business_account.username ?? p.instagram_business_account.id}`)
        throw new ConnectorError(
          'invalid-content',
          names.length === 0
            ? `None of ${user.name}'s Facebook Pages has an Instagram professional account linked (or Trickle was granted none): link one in the Page's settings, then connect again`
            : `${user.name} has no Instagram account "${wanted}"; the accounts linked to their Pages are: ${names.slice(0, 20).join(', ')}`,
          { detail: { code: 'account-not-found' } },
        )
      }
      const ig = page.instagram_business_account
      if (!ig) throw new ConnectorError('invalid-content', `The Page "${page.name}" has no Instagram professional account linked: link one in the Page's settings (Linked accounts), then connect again`, { detail: { code: 'no-instagram' } })
      const handle = ig.username ?? ig.id
      return {
        credentials: { accessToken: page.access_token, extra: { igUserId: ig.id, username: handle, pageId: page.id, page: page.name, server: ig.id } },
        remoteAccountId: `ig:${ig.id}`,
        handle: `@${handle}`,
        displayName: ig.name ?? page.name,
      }
    },

    /** The account's media since the claim, newest first: the one with exactly this caption. */
    async lookup({ credentials, content, since, known }: LookupArgs): Promise<PublishResult | null> {
      const first = known?.partIds[0]
      if (first) return result(first)
      const { igUserId } = accountOf(credentials)
      const caption = content.parts[0]?.text ?? ''
      const { data } = await graph.call<{ data?: Media[] }>('read', `/${igUserId}/media`, {
        token: credentials.accessToken,
        params: { fields: 'id,caption,timestamp,permalink', since: String(Math.floor(since.getTime() / 1000) - 1), limit: String(LOOKUP_POSTS) },
      })
      const found = [...(data.data ?? [])].reverse().find((m) => (m.caption ?? '') === caption)
      return found ? result(found.id, found.permalink) : null
    },
  }
}

/**
 * Trickle's signed public address of a stored image (decision 111), which Instagram fetches itself; or
 * undefined where there is none (APP_URL not public https, or no stored copy): then the Page-photo
 * detour of decision 100.
 */
function publicAddress(image: PostMedia, publicMediaUrl: PublishArgs['publicMediaUrl']): string | undefined {
  if (!publicMediaUrl) return undefined
  try {
    return publicMediaUrl(image)
  } catch (error) {
    if (isConnectorError(error) && error.detail?.code === 'public-media-unavailable') return undefined
    throw error
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new ConnectorError('transient', 'Gave up waiting for Instagram; nothing was published', { cause: signal.reason }))
    const timer = setTimeout(resolve, ms)
    signal?.addEventListener('abort', () => {
      clearTimeout(timer)
      reject(new ConnectorError('transient', 'Gave up waiting for Instagram; nothing was published', { cause: signal.reason }))
    }, { once: true })
  })
}
