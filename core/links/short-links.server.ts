/**
 * Short links with UTM parameters (docs/decisions/084-short-links-and-post-metrics.md): the one place
 * where a post's links are rewritten, at publish time (core/publishing/publish.server.ts) and when the
 * reconciler looks a post up (the same codes, so the same text), and where `/l/{code}` records a click.
 */
import { randomBytes } from 'node:crypto'
import { isbot } from 'isbot'
import type { ChannelContent, Connector } from '../../connectors/types'
import type { DbOrTx } from '../../db/client'
import { ensureShortLinks, findShortLink, insertLinkClick, linkContextOfDelivery } from '../../db/queries/short-links'
import type { Clock } from '../../domain/clock'
import type { Services } from '../services.server'
import { campaignSlug, distinctLinks, replaceLinks, stepContent, withUtm, type Utm } from '../../domain/links/utm'

/** 96 random bits as 16 base64url characters: not guessable, and unique by the table's index. */
export function newShortCode(): string {
  return randomBytes(12).toString('base64url')
}

export const SHORT_CODE = /^[A-Za-z0-9_-]{16}$/

export function shortLinkUrl(appUrl: string, code: string): string {
  return new URL(`/l/${code}`, appUrl).toString()
}

/**
 * A delivery's content with every link replaced by its short link (whose target carries the UTM
 * parameters), when its series has short links on. A part whose rewritten text the network would refuse
 * (its own length counting, through `connector.validate`: X and Mastodon count any link as 23 characters,
 * Bluesky counts every character) keeps its links as written. No links, or short links off: unchanged.
 */
export async function applyShortLinks(
  db: DbOrTx,
  args: { appUrl: string | undefined; workspaceId: string; deliveryId: string; content: ChannelContent; connector: Pick<Connector, 'validate'>; clock: Clock },
): Promise<ChannelContent> {
  if (!args.appUrl) return args.content
  const urls = distinctLinks(args.content.parts.map((p) => p.text))
  if (urls.length === 0) return args.content
  const context = await linkContextOfDelivery(db, { workspaceId: args.workspaceId, deliveryId: args.deliveryId })
  if (!context?.shortLinks || !context.network) return args.content
  const utm: Utm = { source: context.network, medium: 'social', campaign: campaignSlug(context.sequenceName), content: stepContent(context.position) }
  let codes = new Map<string, string>()
  // A second round only if a fresh code collided with an existing one (2^-96 per pair).
  for (let round = 0; round < 3 && codes.size < urls.length; round++) {
    const missing = urls.filter((u) => !codes.has(u))
    const links = missing.map((originalUrl) => ({ originalUrl, targetUrl: withUtm(originalUrl, utm), code: newShortCode() }))
    codes = new Map([...codes, ...(await ensureShortLinks(db, { workspaceId: args.workspaceId, deliveryId: args.deliveryId, context, links, now: args.clock.now() }))])
  }
  const appUrl = args.appUrl
  return {
    ...args.content,
    parts: args.content.parts.map((part) => {
      const text = replaceLinks(part.text, (url) => {
        const code = codes.get(url)
        return code ? shortLinkUrl(appUrl, code) : undefined
      })
      if (text === part.text) return part
      const fits = (t: string) => args.connector.validate({ parts: [{ ...part, text: t }] }).every((p) => !p.path.endsWith('.text'))
      return fits(text) || !fits(part.text) ? { ...part, text } : part
    }),
  }
}

/**
 * `/l/{code}`: where to send the visitor, or null for an unknown code. A person's click is recorded
 * (per network and step through the link's row); a bot's (isbot on the User-Agent: link previews,
 * crawlers) is not, and neither is a request without a User-Agent.
 */
export async function followShortLink(
  services: Pick<Services, 'database' | 'clock'>,
  args: { code: string; userAgent: string | null },
): Promise<{ location: string; recorded: boolean } | null> {
  if (!SHORT_CODE.test(args.code)) return null
  const db = services.database.db
  const link = await findShortLink(db, { code: args.code })
  if (!link) return null
  const human = !!args.userAgent && !isbot(args.userAgent)
  if (human) await insertLinkClick(db, { workspaceId: link.workspaceId, shortLinkId: link.id, at: services.clock.now() })
  return { location: link.targetUrl, recorded: human }
}
