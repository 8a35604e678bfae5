import { checkVideo, describeVideoProblems, FACEBOOK_VIDEO_LIMITS, isVideoType } from '../../domain/media/video'
import {
  ConnectorError,
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
import { createMetaGraph, findPage, firstLink, noSuchPage, pageCredentials, type MetaGraphConfig } from './graph'

/**
 * Facebook Pages through the Graph API (decision 100). Facebook Login with `state`; the user token is
 * exchanged for a long-lived one, which buys the Page access token (no expiry) of the Page named when
 * connecting (`server`: its name, address or id; one Page per account). A post is `POST /{page}/feed`
 * (the text, its first link as the link), one image `POST /{page}/photos`, or 2–10 images uploaded
 * unpublished and attached to one feed post. Facebook takes no idempotency key and a post carries no
 * hidden field: `lookup` finds the text among the Page's posts since the claim.
 *
 * A video (decision 105) is `POST /{page}/videos` (multipart `source`, the text as `description`): that
 * request is the post, which Facebook shows once it has processed the file. The connector then reads the
 * video's `status` (1, 2, 4, then 8 s apart): `error` is invalid content (Facebook shows nothing); still
 * processing when the deadline comes is a published post all the same (re-sending it would post it
 * twice). `lookup` also looks among the Page's videos.
 */
export type FacebookConnectorConfig = MetaGraphConfig & { scopes?: string[] }

/** 63,206 characters; up to 10 images; no threads. */
export const FACEBOOK_LIMITS = { maxLength: 63_206, maxMediaPerPost: 10, maxThreadLength: 1 }
const IMAGE_TYPES = new Set(['image/jpeg', 'image/png', 'image/gif', 'image/webp'])
/** Facebook asks for photos under 4 MB. */
export const FACEBOOK_MAX_IMAGE_BYTES = 4 * 1024 * 1024
const SCOPES = ['pages_show_list', 'pages_read_engagement', 'pages_manage_posts']
const LOOKUP_POSTS = 100

type Post = { id: string; message?: string; created_time?: string; permalink_url?: string }

export function validateFacebookContent(content: ChannelContent, options: ValidateOptions = {}): ContentProblem[] {
  const maxLength = options.maxLength ?? FACEBOOK_LIMITS.maxLength
  const problems: ContentProblem[] = []
  if (content.parts.length === 0) problems.push({ path: 'parts', message: 'Add a post.' })
  if (content.parts.length > 1) problems.push({ path: 'parts', message: 'A Facebook Page post is one post: Trickle does not post threads there.' })
  const part = content.parts[0]
  if (!part) return problems
  const media = part.media ?? []
  const length = [...part.text].length
  if (!part.text.trim() && media.length === 0) problems.push({ path: 'parts[0].text', message: 'A Facebook post needs text, an image or a video.' })
  if (media.length > 1 && media.some((item) => isVideoType(item.mimeType))) problems.push({ path: 'parts[0].media', message: 'A Facebook video post has one video and nothing else.' })
  if (length > maxLength) problems.push({ path: 'parts[0].text', message: `Too long for Facebook: ${length} characters, at most ${maxLength}.` })
  if (media.length > FACEBOOK_LIMITS.maxMediaPerPost) problems.push({ path: 'parts[0].media', message: `A Facebook post has at most ${FACEBOOK_LIMITS.maxMediaPerPost} images.` })
  media.forEach((item, j) => {
    const path = `parts[0].media[${j}]`
    if (isVideoType(item.mimeType)) return void problems.push(...checkVideo({ path, mimeType: item.mimeType, data: item.data, limits: FACEBOOK_VIDEO_LIMITS }))
    if (!IMAGE_TYPES.has(item.mimeType)) problems.push({ path: `${path}.mimeType`, message: 'Facebook takes JPEG, PNG, GIF or WebP images, or MP4 or MOV videos.' })
    if (item.data.byteLength > FACEBOOK_MAX_IMAGE_BYTES) problems.push({ path: `${path}.data`, message: 'Images on Facebook are at most 4 MB.' })
  })
  return problems
}

export function createFacebookConnector(input: FacebookConnectorConfig): Connector<'facebook'> {
  const graph = createMetaGraph({ ...input, network: 'Facebook' })
  const scopes = input.scopes ?? SCOPES

  function pageOf(credentials: Credentials): string {
    const page = credentials.extra?.pageId
    if (!page) throw new ConnectorError('disconnected', 'credentials.extra.pageId: the Facebook Page is missing')
    return page
  }

  const result = (id: string, url?: string): PublishResult => ({ remoteId: id, partIds: [id], url: url ?? `https://www.facebook.com/${id}` })

  function photoForm(image: { mimeType: string; data: Uint8Array }): FormData {
    const form = new FormData()
    form.set('source', new Blob([new Uint8Array(image.data)], { type: image.mimeType }), `image.${image.mimeType.split('/')[1] ?? 'jpg'}`)
    return form
  }

  /**
   * A video post: the upload is the create. Then its processing is awaited only to report a file Facebook
   * refuses; anything else after the upload (a deadline, a failed status read) leaves a published post.
   */
  async function publishVideo(page: string, token: string, part: { text: string }, video: { mimeType: string; data: Uint8Array }, signal?: AbortSignal): Promise<PublishResult> {
    const form = new FormData()
    form.set('source', new Blob([new Uint8Array(video.data)], { type: video.mimeType }), video.mimeType === 'video/quicktime' ? 'video.mov' : 'video.mp4')
    const created = await graph.call<{ id: string }>('write', `/${page}/videos`, { token, method: 'POST', params: { ...(part.text.trim() ? { description: part.text } : {}), published: 'true' }, form, signal, upload: true })
    const id = created.data.id
    try {
      await graph.awaitProcessing({
        signal,
        check: async () => {
          const { data } = await graph.call<{ status?: { video_status?: string; processing_phase?: { errors?: Array<{ message?: string }> } } }>('read', `/${id}`, { token, params: { fields: 'status' }, signal })
          const state = data.status?.video_status
          if (state === 'error') {
            const reason = data.status?.processing_phase?.errors?.map((e) => e.message).filter(Boolean).join(' ') || 'no details'
            throw new ConnectorError('invalid-content', `Facebook could not process the video: ${reason}`, { detail: { code: 'media-processing-failed' } })
          }
          return state === 'ready' ? true : undefined
        },
        onTimeout: () => true,
      })
    } catch (error) {
      if (error instanceof ConnectorError && error.kind === 'invalid-content') throw error
      // The post exists: Facebook shows it once processed. Sending it again would post it twice.
    }
    return result(id)
  }

  return {
    kind: 'facebook',
    displayName: 'Facebook',
    limits: FACEBOOK_LIMITS,
    look: { layout: 'card', linkCard: true },
    validate: validateFacebookContent,
    connectField: {
      label: 'Facebook Page',
      description: 'The Page posts go to: its name or its address (facebook.com/yourpage). Connect again for another Page.',
      placeholder: 'Acme Bakery',
      missing: 'Enter the Facebook Page to post to, e.g. Acme Bakery',
    },

    async publish({ credentials, content, signal, resume }: PublishArgs): Promise<PublishResult> {
      const known = resume?.partIds[0]
      if (known) return result(known)
      const page = pageOf(credentials)
      const token = credentials.accessToken
      const part = content.parts[0]
      if (!part) throw new ConnectorError('invalid-content', 'A Facebook post needs text, an image or a video.')
      const media = part.media ?? []
      const video = media.find((item) => isVideoType(item.mimeType))
      if (video) {
        // A video Facebook would refuse (type, size, duration, or with other media) fails before any byte is sent.
        const refused = validateFacebookContent(content).filter((p) => p.path.startsWith('parts[0].media'))
        if (refused.length) throw new ConnectorError('invalid-content', describeVideoProblems(refused), { detail: { code: 'video-limits' } })
        return publishVideo(page, token, part, video, signal)
      }
      const message: Record<string, string> = part.text.trim() ? { message: part.text } : {}
      if (media.length === 1) {
        const created = await graph.call<{ id: string; post_id?: string }>('write', `/${page}/photos`, { token, method: 'POST', params: { ...message, published: 'true' }, form: photoForm(media[0]!), signal })
        return result(created.data.post_id ?? `${page}_${created.data.id}`)
      }
      const attached: Record<string, string> = {}
      for (const [i, image] of media.entries()) {
        // Unpublished, temporary photos are seen by nobody and expire: uploading one can be retried.
        const photo = await graph.call<{ id: string }>('read', `/${page}/photos`, { token, method: 'POST', params: { published: 'false', temporary: 'true' }, form: photoForm(image), signal, errorKind: 'container' })
        attached[`attached_media[${i}]`] = JSON.stringify({ media_fbid: photo.data.id })
      }
      const link = media.length === 0 ? firstLink(part.text) : undefined
      const created = await graph.call<{ id: string }>('write', `/${page}/feed`, { token, method: 'POST', params: { ...message, ...(link ? { link } : {}), ...attached }, signal })
      return result(created.data.id)
    },

    /** The Page the user named: kept with the pending authorization until the callback. */
    async prepareAuthorization({ server }) {
      const page = server?.trim() ?? ''
      if (!page) throw new Error('server: enter the Facebook Page to post to')
      return { page }
    },

    authorizeUrl({ redirectUri, state }) {
      return graph.authorizeUrl({ redirectUri, state, scopes })
    },

    async completeAuthorization({ redirectUri, code, context }): Promise<AuthorizedAccount> {
      const wanted = (context?.page ?? '').trim()
      const { user, pages } = await graph.pagesOf({ redirectUri, code, fields: 'id,name,access_token,tasks' })
      const page = findPage(pages, wanted)
      if (!page) throw noSuchPage(user, pages, wanted)
      if (page.tasks && !page.tasks.includes('CREATE_CONTENT')) {
        throw new ConnectorError('invalid-content', `${user.name} may not post on the Page "${page.name}": ask one of its admins for the "Create content" task`, { detail: { code: 'page-task' } })
      }
      return { credentials: pageCredentials(page, { user: user.name }), remoteAccountId: `page:${page.id}`, handle: page.name, displayName: user.name }
    },

    /** The Page's own posts since the claim, newest first: the one with exactly this text; else its videos, by description. */
    async lookup({ credentials, content, since, known }: LookupArgs): Promise<PublishResult | null> {
      const first = known?.partIds[0]
      if (first) return result(first)
      const text = content.parts[0]?.text ?? ''
      const params = { since: String(Math.floor(since.getTime() / 1000) - 1), limit: String(LOOKUP_POSTS) }
      const { data } = await graph.call<{ data?: Post[] }>('read', `/${pageOf(credentials)}/posts`, {
        token: credentials.accessToken,
        params: { fields: 'id,message,created_time,permalink_url', ...params },
      })
      const found = [...(data.data ?? [])].reverse().find((p) => (p.message ?? '') === text)
      if (found) return result(found.id, found.permalink_url)
      // A video post is listed among the posts only once processed: its video is there from the upload on.
      const videos = await graph.call<{ data?: Array<{ id: string; description?: string }> }>('read', `/${pageOf(credentials)}/videos`, {
        token: credentials.accessToken,
        params: { fields: 'id,description,created_time,permalink_url', ...params },
      })
      const video = [...(videos.data.data ?? [])].reverse().find((v) => (v.description ?? '') === text)
      return video ? result(video.id) : null
    },

    async delete({ credentials, remoteId }) {
      await graph.call<unknown>('write', `/${remoteId}`, { token: credentials.accessToken, method: 'DELETE' })
    },
  }
}
