import { and, asc, eq, isNotNull, sql } from 'drizzle-orm'
import type { DbOrTx } from '../client'
import { sequences } from '../schema'

/** The series and drips of the workspace tagged with a campaign (decision 094). */
export async function listCampaignSequences(db: DbOrTx, args: { workspaceId: string; campaign: string }) {
  return db
    .select({ id: sequences.id, kind: sequences.kind, name: sequences.name })
    .from(sequences)
    .where(and(eq(sequences.workspaceId, args.workspaceId), eq(sequences.campaign, args.campaign)))
    .orderBy(asc(sequences.kind), asc(sequences.name))
}

/** The workspace's campaign tags with how many series and drips carry each. */
export async function listCampaigns(db: DbOrTx, args: { workspaceId: string }) {
  return db
    .select({
      campaign: sql<string>`${sequences.campaign}`,
      series: sql<number>`count(*) FILTER (WHERE ${sequences.kind} = 'series')`.mapWith(Number),
      drips: sql<number>`count(*) FILTER (WHERE ${sequences.kind} = 'drip')`.mapWith(Number),
    })
    .from(sequences)
    .where(and(eq(sequences.workspaceId, args.workspaceId), isNotNull(sequences.campaign)))
    .groupBy(sequences.campaign)
    .orderBy(asc(sequences.campaign))
}
