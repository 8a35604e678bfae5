/**
 * A series' posts checked as publishing would check them: the target accounts are the workspace's, the
 * images exist, and each target network's connector accepts every post (its own validation).
 */
import { getConnector, isConnectorKind } from '../../connectors/registry'
import type { ChannelContent, ContentProblem } from '../../connectors/types'
import { listAccounts, type AccountSummary } from '../../db/queries/accounts'
import { readImages } from '../media.server'
import { publicMediaAvailability } from '../public-media.server'
import type { Services } from '../services.server'
import { InputError } from '../errors'
import { lengthProblem, variantPlace } from '../../domain/series/variants'
import { postForNetwork, publishedParts, type PostInput, type SeriesInput } from './schemas'

/** Accounts must be the workspace's; posts must pass each target network's validation (as publishing would). */
export async function checkTargetsAndPosts(services: Services, args: { workspaceId: string; input: SeriesInput }): Promise<void> {
  const accounts = await listAccounts(services.database.db, { workspaceId: args.workspaceId })
  const targets = args.input.accountIds.map((id) => accounts.find((a) => a.id === id))
  const missing = targets.findIndex((a) => !a)
  if (missing >= 0) throw new InputError(`accountIds.${missing}`, `accountIds: no account ${args.input.accountIds[missing]} in this workspace`)
  const images = await imagesOf(services, { workspaceId: args.workspaceId, posts: args.input.posts })
  const kinds = new Set((targets as AccountSummary[]).map((a) => a.kind))
  for (const [i, post] of args.input.posts.entries()) {
    const checkImages = (parts: PostInput['parts'], prefix: string) =>
      parts.forEach((part, j) =>
        part.images.forEach((image, k) => {
          if (!images.has(image.mediaId)) {
            const field = `${prefix}.parts.${j}.images.${k}.mediaId`
            throw new InputError(field, `${field}: no such image in this workspace (upload it again)`)
          }
        }),
      )
    checkImages(post.parts, `posts.${i}`)
    for (const [network, variant] of Object.entries(post.variants ?? {})) {
      const field = `posts.${i}.variants.${network}`
      if (!kinds.has(network)) throw new InputError(field, `${field}: Post ${i + 1} has a variant for ${networkName(services, network)}, but none of the chosen accounts is on ${networkName(services, network)}`)
      checkImages(variant.parts, field)
    }
    for (const account of targets as AccountSummary[]) {
      const variant = post.variants?.[account.kind]
      const published = postForNetwork(post, account.kind)
      const [problem] = validatePost(services, { account, content: channelContent(published, images) })
      if (!problem) continue
      if (!variant) {
        const { field, where } = problemField(i, post, problem)
        throw new InputError(field, `${field}: ${where} on @${account.handle}: ${problem.message}`)
      }
      throw variantProblem(services, { i, account, post: published, problem })
    }
  }
}

function networkName(services: Services, kind: string): string {
  return (isConnectorKind(kind) && services.connectors[kind]?.displayName) || kind
}

/**
 * A variant's problem named by post, network and part ("Post 3, LinkedIn variant: 3,100 characters,
 * LinkedIn allows 3,000"); `field` is the variant's field (`posts.2.variants.linkedin.parts.0.text`).
 */
function variantProblem(services: Services, args: { i: number; account: AccountSummary; post: PostInput; problem: ContentProblem }): InputError {
  const { i, account, post, problem } = args
  const network = networkName(services, account.kind)
  const prefix = `posts.${i}.variants.${account.kind}`
  const match = /^parts\[(\d+)\](?:\.(text|media)(?:\[(\d+)\])?)?/.exec(problem.path)
  const j = match ? Number(match[1]) : undefined
  if (j !== undefined && j === post.parts.length && post.firstComment) return new InputError(`posts.${i}.firstComment`, `Post ${i + 1}, first comment on ${network} (after the ${network} variant): ${problem.message}`)
  const place = variantPlace({ post: i + 1, network, part: j === undefined ? undefined : j + 1, parts: post.parts.length })
  if (j === undefined) return new InputError(prefix, `${place}: ${problem.message}`)
  if (match![2] === 'media') return new InputError(`${prefix}.parts.${j}.images${match![3] !== undefined ? `.${match![3]}` : ''}`, `${place}: ${problem.message}`)
  const connector = isConnectorKind(account.kind) ? services.connectors[account.kind] : undefined
  const text = post.parts[j]!.text
  const length = connector?.measure?.(text) ?? [...text].length
  const max = account.maxPostLength ?? connector?.limits.maxLength ?? 0
  const message = max > 0 && length > max ? lengthProblem({ place, network, length, max }) : `${place}: ${problem.message}`
  return new InputError(`${prefix}.parts.${j}.text`, message)
}

type ImageBytes = Map<string, { mimeType: string; data: Uint8Array }>

export async function imagesOf(services: Services, args: { workspaceId: string; posts: PostInput[] }): Promise<ImageBytes> {
  const ids = args.posts.flatMap((p) => [p.parts, ...Object.values(p.variants ?? {}).map((v) => v.parts)].flatMap((parts) => parts.flatMap((part) => part.images.map((i) => i.mediaId))))
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
export function validatePostFor(services: Services, args: { account: Pick<AccountSummary, 'kind' | 'maxPostLength'> & { limits?: AccountSummary['limits'] }; post: PostInput }): ContentProblem[] {
  return validatePost(services, { account: args.account, content: channelContent(args.post, new Map()) })
}

export function validatePost(services: Services, args: { account: Pick<AccountSummary, 'kind' | 'maxPostLength'> & { limits?: AccountSummary['limits'] }; content: ChannelContent }): ContentProblem[] {
  if (!isConnectorKind(args.account.kind) || !services.connectors[args.account.kind]) return []
  const connector = getConnector(services.connectors, args.account.kind)
  const problems = connector.validate(args.content, { maxLength: args.account.maxPostLength ?? undefined, limits: args.account.limits ?? undefined })
  // A network that fetches media from Trickle's address cannot reach a private APP_URL (decision 111).
  const availability = connector.fetchesMediaFromUrl ? publicMediaAvailability(services.config) : { ok: true as const }
  if (!availability.ok) {
    const j = args.content.parts.findIndex((part) => (part.media ?? []).length > 0)
    if (j >= 0) problems.push({ path: `parts[${j}].media`, message: availability.reason })
  }
  return problems
}
