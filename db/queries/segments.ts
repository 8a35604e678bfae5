import { and, asc, eq, inArray, lt, sql } from 'drizzle-orm'
import { decayedScore } from '../../domain/email/score'
import { matchesSegment } from '../../domain/email/segment'
import type { SegmentRule } from '../../domain/email/types'
import type { Db, DbOrTx } from '../client'
import { dripSegmentMembers, segments } from '../schema'
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

/**
 * Of these current members of a drip's trigger segment, the ones entering it now (not in it when the
 * trigger job last looked), each with its entry number (1 for a first entry).
 */
export async function segmentEntrants(db: DbOrTx, args: { sequenceId: string; contactIds: string[] }): Promise<Map<string, number>> {
  if (args.contactIds.length === 0) return new Map()
  const rows = await db
    .select({ contactId: dripSegmentMembers.contactId, inSegment: dripSegmentMembers.inSegment, entries: dripSegmentMembers.entries })
    .from(dripSegmentMembers)
    .where(and(eq(dripSegmentMembers.sequenceId, args.sequenceId), inArray(dripSegmentMembers.contactId, args.contactIds)))
  const known = new Map(rows.map((r) => [r.contactId, r]))
  return new Map(
    args.contactIds.flatMap((id): Array<[string, number]> => {
      const row = known.get(id)
      return row?.inSegment ? [] : [[id, (row?.entries ?? 0) + 1]]
    }),
  )
}

/** Record these contacts as in the segment at `at`; an entry is counted for those who were out. */
export async function markSegmentMembers(db: DbOrTx, args: { workspaceId: string; sequenceId: string; contactIds: string[]; at: Date }): Promise<void> {
  if (args.contactIds.length === 0) return
  const t = dripSegmentMembers
  await db
    .insert(t)
    .values(args.contactIds.map((contactId) => ({ workspaceId: args.workspaceId, sequenceId: args.sequenceId, contactId, inSegment: true, entries: 1, seenAt: args.at, changedAt: args.at })))
    .onConflictDoUpdate({
      target: [t.sequenceId, t.contactId],
      set: {
        entries: sql`CASE WHEN ${t.inSegment} THEN ${t.entries} ELSE ${t.entries} + 1 END`,
        changedAt: sql`CASE WHEN ${t.inSegment} THEN ${t.changedAt} ELSE excluded.changed_at END`,
        inSegment: true,
        seenAt: sql`excluded.seen_at`,
      },
    })
}

/** After a full walk at `seenAt`: members not seen in it have left the segment. */
export async function markSegmentLeavers(db: DbOrTx, args: { sequenceId: string; seenAt: Date }): Promise<void> {
  const t = dripSegmentMembers
  await db
    .update(t)
    .set({ inSegment: false, changedAt: args.seenAt })
    .where(and(eq(t.sequenceId, args.sequenceId), eq(t.inSegment, true), lt(t.seenAt, args.seenAt)))
}
