import { and, asc, eq } from 'drizzle-orm'
import { decayedScore } from '../../domain/email/score'
import { matchesSegment } from '../../domain/email/segment'
import type { SegmentRule } from '../../domain/email/types'
import type { Db, DbOrTx } from '../client'
import { segments } from '../schema'
import { walkContacts, type Contact } from './contacts'
import { listActivitySince } from './events'

export async function insertSegment(db: DbOrTx, args: { workspaceId: string; name: string; rule: SegmentRule; at: Date }) {
  const [row] = await db.insert(segments).values({ workspaceId: args.workspaceId, name: args.name, rule: args.rule, createdAt: args.at, updatedAt: args.at }).returning()
  return row!
}

export async function getSegment(db: DbOrTx, args: { workspaceId: string; segmentId: string }) {
  const [row] = await db
    .select()
    .from(segments)
    .where(and(eq(segments.workspaceId, args.workspaceId), eq(segments.id, args.segmentId)))
  return row ?? null
}

export async function listSegments(db: DbOrTx, args: { workspaceId: string }) {
  return db.select().from(segments).where(eq(segments.workspaceId, args.workspaceId)).orderBy(asc(segments.name))
}

/** How far back activity conditions can look (the longest `withinDays` the schema allows). */
const ACTIVITY_HORIZON_DAYS = 3660

/**
 * Contacts matching a rule, walked in id order a batch at a time (rules are evaluated by
 * domain/email/segment over each batch and its activity). Yields the matching contacts of each batch.
 */
export async function* walkSegmentMembers(
  db: Db,
  args: { workspaceId: string; rule: SegmentRule; now: Date; halfLifeDays: number | null; batchSize?: number },
): AsyncGenerator<Contact[]> {
  const since = new Date(args.now.getTime() - ACTIVITY_HORIZON_DAYS * 86_400_000)
  for await (const batch of walkContacts(db, { workspaceId: args.workspaceId, batchSize: args.batchSize })) {
    const activity = await listActivitySince(db, { workspaceId: args.workspaceId, contactIds: batch.map((c) => c.id), since })
    const byContact = new Map<string, typeof activity>()
    for (const a of activity) byContact.set(a.contactId, [...(byContact.get(a.contactId) ?? []), a])
    const members = batch.filter((contact) =>
      matchesSegment({
        rule: args.rule,
        now: args.now,
        contact: {
          ...contact,
          score: decayedScore({ stored: { score: contact.leadScore, at: contact.leadScoreAt }, now: args.now, halfLifeDays: args.halfLifeDays }),
          activity: byContact.get(contact.id) ?? [],
        },
      }),
    )
    if (members.length > 0) yield members
  }
}
