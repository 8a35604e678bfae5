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
  if (!part.text.trim() && media.length === 0) problems.push({ path: 'parts[0].text', message: 'A Facebook post needs text or an image.' })
  if (length > maxLength) problems.push({ path: 'parts[0].text', message: `Too long for Facebook: ${length} characters, at most ${maxLength}.` })
  if (media.length > FACEBOOK_LIMITS.maxMediaPerPost) problems.push({ path: 'parts[0].media', message: `A Facebook post has at most ${FACEBOOK_LIMITS.maxMediaPerPost} images.` })
  media.forEach((item, j) => {
    const path = `parts[0].media[${j}]`
    if (!IMAGE_TYPES.has(item.mimeType)) problems.push({ path: `${path}.mimeType`, message: 'Facebook takes JPEG, PNG, GIF or WebP images.' })
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
      if (!part) throw new ConnectorError('invalid-content', 'A Facebook post needs text or an image.')
      const media = part.media ?? []
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

    /** The Page's own posts since the claim, newest first: the one with exactly this text. */
    async lookup({ credentials, content, since, known }: LookupArgs): Promise<PublishResult | null> {
      const first = known?.partIds[0]
      if (first) return result(first)
      const text = content.parts[0]?.text ?? ''
      const { data } = await graph.call<{ data?: Post[] }>('read', `/${pageOf(credentials)}/posts`, {
        token: credentials.accessToken,
        params: { fields: 'id,message,created_time,permalink_url', since: String(Math.floor(since.getTime() / 1000) - 1), limit: String(LOOKUP_POSTS) },
      })
      const found = [...(data.data ?? [])].reverse().find((p) => (p.message ?? '') === text)
      return found ? result(found.id, found.permalink_url) : null
    },

    async delete({ credentials, remoteId }) {
      await graph.call<unknown>('write', `/${remoteId}`, { token: credentials.accessToken, method: 'DELETE' })
    },
  }
}
