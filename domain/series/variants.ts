/**
 * Per-network variants of a post (decision 098): one post may carry its own text and images for a
 * network (shorter on X, hashtags on Instagram, a long form on LinkedIn), keyed by the connector's kind;
 * every network without one uses the main text. Pure: which content a network gets, and how a variant's
 * length problem is said.
 */

/** One part of a post as a step stores it (the shape of `StepContent.parts`). */
export type VariantPart = { text: string; images?: Array<{ mediaId: string; alt: string }> }

/** A network's own version of a post: its thread parts. The first comment stays the post's (shared). */
export type PostVariant = { parts: VariantPart[] }

/** The content a step stores, as far as variants are concerned (a subset of `StepContent`). */
export type VariantContent = { parts: VariantPart[]; firstComment?: true; variants?: Record<string, PostVariant> }

/** Connector kinds are lowercase words (`x`, `linkedin`, `mastodon`): a variant's key. */
export const NETWORK_KEY = /^[a-z][a-z0-9_]{0,31}$/

/**
 * The content `network` publishes: its variant's parts when the post has one (then the post's first
 * comment, shared by every network, as the last reply), else the main parts. `variants` is dropped, so
 * what a connector sees never carries the other networks' texts.
 */
export function contentForNetwork<C extends VariantContent>(content: C, network: string): Omit<C, 'variants'> {
  const { variants, ...rest } = content
  const variant = variants?.[network]
  if (!variant || variant.parts.length === 0) return rest
  const comment = content.firstComment && content.parts.length > 1 ? [content.parts.at(-1)!] : []
  return { ...rest, parts: [...variant.parts, ...comment], ...(comment.length ? { firstComment: true as const } : {}) } as Omit<C, 'variants'>
}

/** The networks among `variants` that have a variant with at least one part. */
export function variantNetworks(content: Pick<VariantContent, 'variants'>): string[] {
  return Object.entries(content.variants ?? {})
    .filter(([, v]) => v.parts.length > 0)
    .map(([k]) => k)
}

const number = (n: number) => n.toLocaleString('en-US')

/**
 * Where a problem sits, as people read it: "Post 3", "Post 3, LinkedIn variant", "Post 3, LinkedIn
 * variant, part 2" (post and part 1-based here).
 */
export function variantPlace(args: { post: number; network?: string; part?: number; parts: number }): string {
  const place = [`Post ${args.post}`]
  if (args.network) place.push(`${args.network} variant`)
  if (args.part !== undefined && args.parts > 1) place.push(`part ${args.part}`)
  return place.join(', ')
}

/** "Post 3, LinkedIn variant: 3,100 characters, LinkedIn allows 3,000" (the network's own count). */
export function lengthProblem(args: { place: string; network: string; length: number; max: number }): string {
  return `${args.place}: ${number(args.length)} characters, ${args.network} allows ${number(args.max)}`
}
