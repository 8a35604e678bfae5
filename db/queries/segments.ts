import { and, asc, eq, inArray, lt, sql } from 'drizzle-orm'
import { decayedScore } from '../../domain/email/score'
import { matchesSegment, type ContactFacts } from '../../domain/email/segment'
import type { SegmentRule } from '../../domain/email/types'
import type { Db, DbOrTx } from '../client'
import { dripSegmentMembers, segments, sequenceSteps, sequences } from '../schema'
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
 * Every contact of the workspace in id order, a batch at a time, each with the facts a segment rule
 * sees (its decayed score and its activity within the horizon): the one place those facts are built.
 */
export async function* walkContactFacts(
  db: Db,
  args: { workspaceId: string; now: Date; halfLifeDays: number | null; batchSize?: number; after?: string },
): AsyncGenerator<Array<{ contact: Contact; facts: ContactFacts }>> {
  const since = new Date(args.now.getTime() - ACTIVITY_HORIZON_DAYS * 86_400_000)
  for await (const batch of walkContacts(db, { workspaceId: args.workspaceId, batchSize: args.batchSize, after: args.after })) {
    const activity = await listActivitySince(db, { workspaceId: args.workspaceId, contactIds: batch.map((c) => c.id), since })
    const byContact = new Map<string, typeof activity>()
    for (const a of activity) byContact.set(a.contactId, [...(byContact.get(a.contactId) ?? []), a])
    yield batch.map((contact) => ({
      contact,
      facts: {
        ...contact,
        score: decayedScore({ stored: { score: contact.leadScore, at: contact.leadScoreAt }, now: args.now, halfLifeDays: args.halfLifeDays }),
        activity: byContact.get(contact.id) ?? [],
      },
    }))
  }
}

/**
 * Contacts matching a rule, walked in id order a batch at a time (rules are evaluated by
 * domain/email/segment over each batch and its activity). Yields the matching contacts of each batch.
 */
export async function* walkSegmentMembers(
  db: Db,
  args: { workspaceId: string; rule: SegmentRule; now: Date; halfLifeDays: number | null; batchSize?: number },
): AsyncGenerator<Contact[]> {
  for await (const batch of walkContactFacts(db, args)) {
    const members = batch.filter(({ facts }) => matchesSegment({ rule: args.rule, now: args.now, contact: facts })).map(({ contact }) => contact)
    if (members.length > 0) yield members
  }
}

/** How many contacts match each rule (by key), in one walk over the workspace's contacts. */
export async function countSegmentMembers(
  db: Db,
  args: { workspaceId: string; rules: Map<string, SegmentRule>; now: Date; halfLifeDays: number | null; batchSize?: number },
): Promise<Map<string, number>> {
  const counts = new Map([...args.rules.keys()].map((key) => [key, 0]))
  if (args.rules.size === 0) return counts
  for await (const batch of walkContactFacts(db, args)) {
    for (const [key, rule] of args.rules) {
      const n = batch.filter(({ facts }) => matchesSegment({ rule, now: args.now, contact: facts })).length
      counts.set(key, counts.get(key)! + n)
    }
  }
  return counts
}

export async function updateSegment(db: DbOrTx, args: { workspaceId: string; segmentId: string; name?: string; rule?: SegmentRule; at: Date }) {
  const [row] = await db
    .update(segments)
    .set({ ...(args.name === undefined ? {} : { name: args.name }), ...(args.rule === undefined ? {} : { rule: args.rule }), updatedAt: args.at })
    .where(and(eq(segments.workspaceId, args.workspaceId), eq(segments.id, args.segmentId)))
    .returning()
  return row ?? null
}

/** The segment row, locked until the transaction ends (a delete checks its users under this lock). */
export async function lockSegment(tx: DbOrTx, args: { workspaceId: string; segmentId: string }) {
  const [row] = await tx
    .select()
    .from(segments)
    .where(and(eq(segments.workspaceId, args.workspaceId), eq(segments.id, args.segmentId)))
    .for('update')
  return row ?? null
}

export async function deleteSegmentRow(db: DbOrTx, args: { workspaceId: string; segmentId: string }): Promise<boolean> {
  const rows = await db
    .delete(segments)
    .where(and(eq(segments.workspaceId, args.workspaceId), eq(segments.id, args.segmentId)))
    .returning({ id: segments.id })
  return rows.length > 0
}

export type SegmentUse = { segmentId: string; dripId: string; dripName: string; as: 'trigger' | 'condition' }

/**
 * The drips of a workspace that name these segments (all of them when `segmentIds` is left out): in one
 * of their triggers (`settings.triggers[].segmentId`) or in a step's condition (`settings.condition.segmentId`).
 */
export async function listSegmentUses(db: DbOrTx, args: { workspaceId: string; segmentIds?: string[] }): Promise<SegmentUse[]> {
  if (args.segmentIds?.length === 0) return []
  const trigger = sql`jsonb_array_elements(${sequences.settings}->'triggers')`
  const triggerId = sql<string>`t.value->>'segmentId'`
  const conditionId = sql<string>`${sequenceSteps.settings}->'condition'->>'segmentId'`
  const [triggers, conditions] = await Promise.all([
    db
      .selectDistinct({ segmentId: triggerId, dripId: sequences.id, dripName: sequences.name })
      .from(sequences)
      .innerJoin(sql`${trigger} AS t(value)`, sql`true`)
      .where(
        and(
          eq(sequences.workspaceId, args.workspaceId),
          eq(sequences.kind, 'drip'),
          sql`t.value->>'kind' = 'segment'`,
          args.segmentIds ? inArray(triggerId, args.segmentIds) : undefined,
        ),
      ),
    db
      .selectDistinct({ segmentId: conditionId, dripId: sequences.id, dripName: sequences.name })
      .from(sequenceSteps)
      .innerJoin(sequences, eq(sequences.id, sequenceSteps.sequenceId))
      .where(
        and(
          eq(sequenceSteps.workspaceId, args.workspaceId),
          eq(sequences.workspaceId, args.workspaceId),
          eq(sequences.kind, 'drip'),
          sql`${sequenceSteps.settings}->'condition'->>'kind' = 'segment'`,
          args.segmentIds ? inArray(conditionId, args.segmentIds) : undefined,
        ),
      ),
  ])
  return [...triggers.map((r) => ({ ...r, as: 'trigger' as const })), ...conditions.map((r) => ({ ...r, as: 'condition' as const }))].sort(
    (a, b) => a.dripName.localeCompare(b.dripName) || a.as.localeCompare(b.as),
  )
}

/** One segment trigger of one drip: the key of `drip_segment_members`' rows. */
export type SegmentTriggerRef = { sequenceId: string; segmentId: string }

/**
 * Of these current members of a drip's trigger segment, the ones entering it now (not in it when the
 * trigger job last looked), each with its entry number (1 for a first entry).
 */
export async function segmentEntrants(db: DbOrTx, args: SegmentTriggerRef & { contactIds: string[] }): Promise<Map<string, number>> {
  if (args.contactIds.length === 0) return new Map()
  const t = dripSegmentMembers
  const rows = await db
    .select({ contactId: t.contactId, inSegment: t.inSegment, entries: t.entries })
    .from(t)
    .where(and(eq(t.sequenceId, args.sequenceId), eq(t.segmentId, args.segmentId), inArray(t.contactId, args.contactIds)))
  const known = new Map(rows.map((r) => [r.contactId, r]))
  return new Map(
    args.contactIds.flatMap((id): Array<[string, number]> => {
      const row = known.get(id)
      return row?.inSegment ? [] : [[id, (row?.entries ?? 0) + 1]]
    }),
  )
}

/** Record these contacts as in the segment at `at`; an entry is counted for those who were out. */
export async function markSegmentMembers(db: DbOrTx, args: SegmentTriggerRef & { workspaceId: string; contactIds: string[]; at: Date }): Promise<void> {
  if (args.contactIds.length === 0) return
  const t = dripSegmentMembers
  const { workspaceId, sequenceId, segmentId, at } = args
  await db
    .insert(t)
    .values(args.contactIds.map((contactId) => ({ workspaceId, sequenceId, segmentId, contactId, inSegment: true, entries: 1, seenAt: at, changedAt: at })))
    .onConflictDoUpdate({
      target: [t.sequenceId, t.segmentId, t.contactId],
      set: {
        entries: sql`CASE WHEN ${t.inSegment} THEN ${t.entries} ELSE ${t.entries} + 1 END`,
        changedAt: sql`CASE WHEN ${t.inSegment} THEN ${t.changedAt} ELSE excluded.changed_at END`,
        inSegment: true,
        seenAt: sql`excluded.seen_at`,
      },
    })
}

/** After a full walk at `seenAt`: members not seen in it have left the segment. */
export async function markSegmentLeavers(db: DbOrTx, args: SegmentTriggerRef & { seenAt: Date }): Promise<void> {
  const t = dripSegmentMembers
  await db
    .update(t)
    .set({ inSegment: false, changedAt: args.seenAt })
    .where(and(eq(t.sequenceId, args.sequenceId), eq(t.segmentId, args.segmentId), eq(t.inSegment, true), lt(t.seenAt, args.seenAt)))
}
