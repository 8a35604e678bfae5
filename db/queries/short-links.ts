/**
 * Short links and their clicks (docs/decisions/084-short-links-and-post-metrics.md): what a delivery's
 * links are rewritten to, and the clicks `/l/{code}` records. Scoped to a workspace except the lookup by
 * code, which is what the public redirect has.
 */
import { and, eq, inArray, sql } from 'drizzle-orm'
import type { DbOrTx } from '../client'
import { accounts, deliveries, linkClicks, sequenceSteps, sequences, shortLinks } from '../schema'

export type LinkContext = { sequenceId: string; stepId: string; sequenceName: string; shortLinks: boolean; position: number; network: string | null }

/** The sequence, step and account kind of a delivery, for its links' UTM parameters. */
export async function linkContextOfDelivery(db: DbOrTx, args: { workspaceId: string; deliveryId: string }): Promise<LinkContext | null> {
  const [row] = await db
    .select({
      sequenceId: deliveries.sequenceId,
      stepId: deliveries.stepId,
      sequenceName: sequences.name,
      shortLinks: sequences.shortLinks,
      position: sequenceSteps.position,
      network: accounts.kind,
    })
    .from(deliveries)
    .innerJoin(sequences, eq(sequences.id, deliveries.sequenceId))
    .innerJoin(sequenceSteps, eq(sequenceSteps.id, deliveries.stepId))
    .leftJoin(accounts, eq(accounts.id, deliveries.accountId))
    .where(and(eq(deliveries.workspaceId, args.workspaceId), eq(deliveries.id, args.deliveryId)))
  return row ?? null
}

/**
 * The short link of each of a delivery's links, created the first time (a code that is taken, or a link
 * another attempt created meanwhile, is left to the row that exists). Returns original URL → code.
 */
export async function ensureShortLinks(
  db: DbOrTx,
  args: {
    workspaceId: string
    deliveryId: string
    context: LinkContext
    links: Array<{ originalUrl: string; targetUrl: string; code: string }>
    now: Date
  },
): Promise<Map<string, string>> {
  if (args.links.length) {
    await db
      .insert(shortLinks)
      .values(
        args.links.map((l) => ({
          workspaceId: args.workspaceId,
          code: l.code,
          deliveryId: args.deliveryId,
          sequenceId: args.context.sequenceId,
          stepId: args.context.stepId,
          network: args.context.network ?? 'unknown',
          originalUrl: l.originalUrl,
          targetUrl: l.targetUrl,
          createdAt: args.now,
        })),
      )
      .onConflictDoNothing()
  }
  const rows = await db
    .select({ originalUrl: shortLinks.originalUrl, code: shortLinks.code })
    .from(shortLinks)
    .where(
      and(
        eq(shortLinks.workspaceId, args.workspaceId),
        eq(shortLinks.deliveryId, args.deliveryId),
        inArray(
          shortLinks.originalUrl,
          args.links.map((l) => l.originalUrl),
        ),
      ),
    )
  return new Map(rows.map((r) => [r.originalUrl, r.code]))
}

export type ShortLinkTarget = { id: string; workspaceId: string; targetUrl: string }

/** The link a code names (any workspace: the code is the secret). */
export async function findShortLink(db: DbOrTx, args: { code: string }): Promise<ShortLinkTarget | null> {
  const [row] = await db
    .select({ id: shortLinks.id, workspaceId: shortLinks.workspaceId, targetUrl: shortLinks.targetUrl })
    .from(shortLinks)
    .where(eq(shortLinks.code, args.code))
  return row ?? null
}

export async function insertLinkClick(db: DbOrTx, args: { workspaceId: string; shortLinkId: string; at: Date }): Promise<void> {
  await db.insert(linkClicks).values({ workspaceId: args.workspaceId, shortLinkId: args.shortLinkId, clickedAt: args.at })
}

/** Clicks per delivery of a sequence (for the series analytics), all time up to `to`. */
export async function clicksByDelivery(db: DbOrTx, args: { workspaceId: string; sequenceId: string; to: Date }): Promise<Map<string, number>> {
  const rows = await db
    .select({ deliveryId: shortLinks.deliveryId, clicks: sql<number>`count(${linkClicks.id})::int` })
    .from(shortLinks)
    .innerJoin(linkClicks, eq(linkClicks.shortLinkId, shortLinks.id))
    .where(and(eq(shortLinks.workspaceId, args.workspaceId), eq(shortLinks.sequenceId, args.sequenceId), sql`${linkClicks.clickedAt} < ${args.to.toISOString()}::timestamptz`))
    .groupBy(shortLinks.deliveryId)
  return new Map(rows.map((r) => [r.deliveryId, Number(r.clicks)]))
}
