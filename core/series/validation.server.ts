/**
 * A series' posts checked as publishing would check them: the target accounts are the workspace's, the
 * images exist, and each target network's connector accepts every post (its own validation).
 */
import { getConnector, isConnectorKind } from '../../connectors/registry'
import type { ChannelContent, ContentProblem } from '../../connectors/types'
import { listAccounts, type AccountSummary } from '../../db/queries/accounts'
import { readImages } from '../media.server'
import type { Services } from '../services.server'
import { InputError } from '../errors'
import { publishedParts, type PostInput, type SeriesInput } from './schemas'

/** Accounts must be the workspace's; posts must pass each target network's validation (as publishing would). */
export async function checkTargetsAndPosts(services: Services, args: { workspaceId: string; input: SeriesInput }): Promise<void> {
  const accounts = await listAccounts(services.database.db, { workspaceId: args.workspaceId })
  const targets = args.input.accountIds.map((id) => accounts.find((a) => a.id === id))
  const missing = targets.findIndex((a) => !a)
  if (missing >= 0) throw new InputError(`accountIds.${missing}`, `accountIds: no account ${args.input.accountIds[missing]} in this workspace`)
  const images = await imagesOf(services, { workspaceId: args.workspaceId, posts: args.input.posts })
  for (const [i, post] of args.input.posts.entries()) {
    post.parts.forEach((part, j) =>
      part.images.forEach((image, k) => {
        if (!images.has(image.mediaId)) {
          const field = `posts.${i}.parts.${j}.images.${k}.mediaId`
          throw new InputError(field, `${field}: no such image in this workspace (upload it again)`)
        }
      }),
    )
    for (const account of targets as AccountSummary[]) {
      const [problem] = validatePost(services, { account, content: channelContent(post, images) })
      if (!problem) continue
      const { field, where } = problemField(i, post, problem)
      throw new InputError(field, `${field}: ${where} on @${account.handle}: ${problem.message}`)
    }
  }
}

type ImageBytes = Map<string, { mimeType: string; data: Uint8Array }>

export async function imagesOf(services: Services, args: { workspaceId: string; posts: PostInput[] }): Promise<ImageBytes> {
  const ids = args.posts.flatMap((p) => p.parts.flatMap((part) => part.images.map((i) => i.mediaId)))
  return ids.length ? readImages(services, { workspaceId: args.workspaceId, mediaIds: ids }) : new Map()
}

/** What the connectors validate and publish: the parts with their images' bytes and alt text. */
export function channelContent(post: PostInput, images: ImageBytes): ChannelContent {
  return {
    parts: publishedParts(post).map((part) => ({
      text: part.text,
      ...(part.images.length
        ? { media: part.images.flatMap((i) => { const found = images.get(i.mediaId); return found ? [{ mimeType: found.mimeType, data: found.data, altText: i.alt }] : [] }) }
        : {}),
    })),
  }
}

/** A connector's problem path (`parts[1].media[0].altText`) as the form field it is about. */
function problemField(i: number, post: PostInput, problem: ContentProblem): { field: string; where: string } {
  const match = /^parts\[(\d+)\](?:\.(text|media)(?:\[(\d+)\])?)?/.exec(problem.path)
  if (!match) return { field: `posts.${i}`, where: `post ${i + 1}` }
  const j = Number(match[1])
  if (j === post.parts.length && post.firstComment) return { field: `posts.${i}.firstComment`, where: `the first comment of post ${i + 1}` }
  const where = post.parts.length > 1 ? `post ${i + 1}, part ${j + 1} of the thread,` : `post ${i + 1}`
  if (match[2] === 'media') return { field: `posts.${i}.parts.${j}.images${match[3] !== undefined ? `.${match[3]}` : ''}`, where }
  return { field: `posts.${i}.parts.${j}.text`, where }
}

/** A post without images checked for one account (the import preview). */
export function validatePostFor(services: Services, args: { account: Pick<AccountSummary, 'kind' | 'maxPostLength'>; post: PostInput }): ContentProblem[] {
  return validatePost(services, { account: args.account, content: channelContent(args.post, new Map()) })
}

export function validatePost(services: Services, args: { account: Pick<AccountSummary, 'kind' | 'maxPostLength'>; content: ChannelContent }): ContentProblem[] {
  if (!isConnectorKind(args.account.kind) || !services.connectors[args.account.kind]) return []
  return getConnector(services.connectors, args.account.kind).validate(args.content, { maxLength: args.account.maxPostLength ?? undefined })
}
