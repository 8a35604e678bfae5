import type { MailStep } from '../../domain/mail/piece'
import { and, asc, desc, eq, inArray, notInArray, or, sql } from 'drizzle-orm'
import type { DripAction } from '../../domain/drip/actions'
import type { DripSettings, DripStepSettings, DripTriggerKind } from '../../domain/drip/schema'
import type { DbOrTx } from '../client'
import type { SegmentRule } from '../../domain/email/types'
import { segments, sequenceSteps, sequences, signupForms } from '../schema'

/** Drips: `sequences` rows of kind `drip` (docs/decisions/016-drip-engine.md). Always scoped by workspace. */

export type DripRow = typeof sequences.$inferSelect & { settings: DripSettings }
export type DripStepRow = typeof sequenceSteps.$inferSelect & { settings: DripStepSettings }
export type DripWithSteps = { drip: DripRow; steps: DripStepRow[] }

export type NewDripStep = { id?: string; subject: string; markdown: string; action?: DripAction; sms?: { text: string }; mail?: MailStep; settings: DripStepSettings }

const isDrip = eq(sequences.kind, 'drip')

export async function insertDrip(
  tx: DbOrTx,
  args: { workspaceId: string; name: string; timezone: string; settings: DripSettings; steps: NewDripStep[]; utm?: boolean; campaign?: string | null; at: Date },
): Promise<DripWithSteps> {
  const [drip] = await tx
    .insert(sequences)
    .values({ workspaceId: args.workspaceId, kind: 'drip', name: args.name, timezone: args.timezone, status: 'paused', settings: args.settings, shortLinks: args.utm ?? false, campaign: args.campaign ?? null, createdAt: args.at, updatedAt: args.at })
    .returning()
  const steps = await tx
    .insert(sequenceSteps)
    .values(args.steps.map((s, position) => ({ workspaceId: args.workspaceId, sequenceId: drip!.id, position, ...stepColumns(s), createdAt: args.at, updatedAt: args.at })))
    .returning()
  return { drip: drip as DripRow, steps: (steps as DripStepRow[]).sort((a, b) => a.position - b.position) }
}

function stepColumns(s: NewDripStep) {
  if (s.action) return { content: { parts: [], action: s.action }, settings: s.settings }
  if (s.sms) return { content: { parts: [], sms: s.sms }, settings: s.settings }
  if (s.mail) return { content: { parts: [], mail: s.mail }, settings: s.settings }
  return { content: { parts: [{ text: s.markdown }], email: { subject: s.subject, markdown: s.markdown } }, settings: s.settings }
}

/**
 * Replace a drip's definition. Steps that carry an `id` of this drip keep it (their deliveries and
 * counts stay); steps left out are deleted (their deliveries go with them).
 */
export async function replaceDrip(
  tx: DbOrTx,
  args: { workspaceId: string; dripId: string; name: string; timezone: string; settings: DripSettings; steps: NewDripStep[]; utm?: boolean; campaign?: string | null; at: Date },
): Promise<DripWithSteps | null> {
  const [drip] = await tx
    .update(sequences)
    .set({ name: args.name, timezone: args.timezone, settings: args.settings, ...(args.utm === undefined ? {} : { shortLinks: args.utm }), ...(args.campaign === undefined ? {} : { campaign: args.campaign }), updatedAt: args.at })
    .where(and(eq(sequences.workspaceId, args.workspaceId), eq(sequences.id, args.dripId), isDrip))
    .returning()
  if (!drip) return null
  const existing = await tx.select({ id: sequenceSteps.id }).from(sequenceSteps).where(eq(sequenceSteps.sequenceId, args.dripId))
  const existingIds = new Set(existing.map((r) => r.id))
  const keep = args.steps.map((s) => s.id).filter((id): id is string => !!id && existingIds.has(id))
  await tx.delete(sequenceSteps).where(and(eq(sequenceSteps.sequenceId, args.dripId), keep.length ? notInArray(sequenceSteps.id, keep) : undefined))
  // Positions are unique: move kept steps out of the way first.
  if (keep.length) await tx.update(sequenceSteps).set({ position: sql`${sequenceSteps.position} + 100000` }).where(inArray(sequenceSteps.id, keep))
  for (const [position, s] of args.steps.entries()) {
    if (s.id && existingIds.has(s.id)) {
      await tx.update(sequenceSteps).set({ position, ...stepColumns(s), updatedAt: args.at }).where(eq(sequenceSteps.id, s.id))
    } else {
      await tx.insert(sequenceSteps).values({ workspaceId: args.workspaceId, sequenceId: args.dripId, position, ...stepColumns(s), createdAt: args.at, updatedAt: args.at })
    }
  }
  return getDrip(tx, { workspaceId: args.workspaceId, dripId: args.dripId })
}

export async function getDrip(db: DbOrTx, args: { workspaceId: string; dripId: string }): Promise<DripWithSteps | null> {
  const [drip] = await db
    .select()
    .from(sequences)
    .where(and(eq(sequences.workspaceId, args.workspaceId), eq(sequences.id, args.dripId), isDrip))
  if (!drip) return null
  const steps = await db.select().from(sequenceSteps).where(eq(sequenceSteps.sequenceId, drip.id)).orderBy(asc(sequenceSteps.position))
  return { drip: drip as DripRow, steps: steps as DripStepRow[] }
}

export async function listDripRows(db: DbOrTx, args: { workspaceId: string }): Promise<DripRow[]> {
  return (await db
    .select()
    .from(sequences)
    .where(and(eq(sequences.workspaceId, args.workspaceId), isDrip))
    .orderBy(desc(sequences.createdAt))) as DripRow[]
}

/** Every step of the given drips (any workspace: the runner serves all), by drip id. */
export async function loadDripDefinitions(db: DbOrTx, args: { dripIds: string[] }): Promise<Map<string, DripWithSteps>> {
  const out = new Map<string, DripWithSteps>()
  if (args.dripIds.length === 0) return out
  const rows = await db
    .select({ drip: sequences, step: sequenceSteps })
    .from(sequences)
    .innerJoin(sequenceSteps, eq(sequenceSteps.sequenceId, sequences.id))
    .where(and(inArray(sequences.id, args.dripIds), isDrip))
    .orderBy(asc(sequenceSteps.position))
  for (const { drip, step } of rows) {
    let entry = out.get(drip.id)
    if (!entry) out.set(drip.id, (entry = { drip: drip as DripRow, steps: [] }))
    entry.steps.push(step as DripStepRow)
  }
  return out
}

export async function setDripStatus(db: DbOrTx, args: { workspaceId: string; dripId: string; status: 'active' | 'paused'; at: Date }): Promise<DripRow | null> {
  const [row] = await db
    .update(sequences)
    .set({ status: args.status, updatedAt: args.at })
    .where(and(eq(sequences.workspaceId, args.workspaceId), eq(sequences.id, args.dripId), isDrip))
    .returning()
  return (row as DripRow) ?? null
}

export async function deleteDripRow(db: DbOrTx, args: { workspaceId: string; dripId: string }): Promise<boolean> {
  const rows = await db.delete(sequences).where(and(eq(sequences.workspaceId, args.workspaceId), eq(sequences.id, args.dripId), isDrip)).returning({ id: sequences.id })
  return rows.length === 1
}

/** Active drips (of a workspace, or all) with a trigger of this kind (and key: form id, event name, date field, segment id). */
export async function findTriggeredDrips(db: DbOrTx, args: { workspaceId?: string; kind: DripTriggerKind; key?: string }): Promise<DripRow[]> {
  const keyField = { form: 'formId', event: 'event', segment: 'segmentId', date: 'field', email_activity: 'activity', sms_reply: 'keyword', field_changed: 'field', manual: null }[args.kind]
  const wanted = [{ kind: args.kind, ...(args.key !== undefined && keyField ? { [keyField]: args.key } : {}) }]
  return (await db
    .select()
    .from(sequences)
    .where(
      and(
        args.workspaceId ? eq(sequences.workspaceId, args.workspaceId) : undefined,
        isDrip,
        eq(sequences.status, 'active'),
        sql`${sequences.settings}->'triggers' @> ${JSON.stringify(wanted)}::jsonb`,
      ),
    )) as DripRow[]
}

/** Active drips of a workspace that end on this goal event. */
export async function findDripsWithGoal(db: DbOrTx, args: { workspaceId: string; event: string }): Promise<DripRow[]> {
  return (await db
    .select()
    .from(sequences)
    .where(and(eq(sequences.workspaceId, args.workspaceId), isDrip, sql`${sequences.settings}->'goals' ? ${args.event}`))) as DripRow[]
}

/** Every active drip with its steps (all workspaces: the runner's view for one pass). */
export async function loadActiveDrips(db: DbOrTx): Promise<Map<string, DripWithSteps>> {
  const ids = await db.select({ id: sequences.id }).from(sequences).where(and(isDrip, eq(sequences.status, 'active')))
  return loadDripDefinitions(db, { dripIds: ids.map((r) => r.id) })
}

/** The key of `loadSegmentRules`' map: a segment only answers for its own workspace. */
export const segmentRuleKey = (workspaceId: string, segmentId: string) => `${workspaceId}/${segmentId}`

/** Segment rules by workspace and id (conditions that name a saved segment), keyed by `segmentRuleKey`. */
export async function loadSegmentRules(db: DbOrTx, args: { refs: Array<{ workspaceId: string; segmentId: string }> }): Promise<Map<string, SegmentRule>> {
  const refs = [...new Map(args.refs.map((r) => [segmentRuleKey(r.workspaceId, r.segmentId), r])).values()]
  if (refs.length === 0) return new Map()
  const rows = await db
    .select({ workspaceId: segments.workspaceId, id: segments.id, rule: segments.rule })
    .from(segments)
    .where(or(...refs.map((r) => and(eq(segments.workspaceId, r.workspaceId), eq(segments.id, r.segmentId)))))
  return new Map(rows.map((r) => [segmentRuleKey(r.workspaceId, r.id), r.rule]))
}

/** Which of these signup forms and segments belong to the workspace (a drip may name only its own). */
export async function ownedDripReferences(db: DbOrTx, args: { workspaceId: string; formIds: string[]; segmentIds: string[] }): Promise<{ formIds: Set<string>; segmentIds: Set<string> }> {
  const [forms, segs] = await Promise.all([
    args.formIds.length === 0
      ? []
      : db.select({ id: signupForms.id }).from(signupForms).where(and(eq(signupForms.workspaceId, args.workspaceId), inArray(signupForms.id, args.formIds))),
    args.segmentIds.length === 0
      ? []
      : db.select({ id: segments.id }).from(segments).where(and(eq(segments.workspaceId, args.workspaceId), inArray(segments.id, args.segmentIds))),
  ])
  return { formIds: new Set(forms.map((r) => r.id)), segmentIds: new Set(segs.map((r) => r.id)) }
}

export type DripSummaryRow = {
  drip: DripRow
  stepCount: number
  /** Enrollments by status (`active`, `completed`, `goal_reached`, …). */
  enrollments: Record<string, number>
  /** Deliveries to enrollments of the drip's current steps: sent (published or needs review), delivered (published), sent since `since`, and any at all. */
  deliveries: { sent: number; delivered: number; sentSince: number; any: number }
  /** Per current step, enrollments with an event of the type, summed over the steps (as the drip page counts them). */
  events: { opened: number; clicked: number; bounced: number; complained: number }
}

/**
 * The drip list in one statement: every drip of the workspace, newest first, with its step count,
 * enrollments by status, deliveries (and those sent since `since`) and email events, each counted by a
 * correlated aggregate over the workspace's rows.
 */
export async function listDripSummaryRows(db: DbOrTx, args: { workspaceId: string; since: Date }): Promise<DripSummaryRow[]> {
  const w = args.workspaceId
  const since = args.since.toISOString()
  // Qualified: drizzle writes a column as a bare "id", which inside the subqueries would name theirs.
  const dripId = sql.raw('"sequences"."id"')
  const rows = await db
    .select({
      drip: sequences,
      stepCount: sql<number>`(SELECT count(*) FROM sequence_steps st WHERE st.workspace_id = ${w} AND st.sequence_id = ${dripId})`.mapWith(Number),
      enrollments: sql<string>`(SELECT coalesce(json_object_agg(status, n), '{}'::json)::text FROM (SELECT status, count(*) AS n FROM enrollments e WHERE e.workspace_id = ${w} AND e.sequence_id = ${dripId} GROUP BY status) t)`,
      deliveries: sql<string>`(SELECT json_build_object(
          'sent', count(*) FILTER (WHERE st.id IS NOT NULL AND d.state IN ('published', 'needs_review')),
          'delivered', count(*) FILTER (WHERE st.id IS NOT NULL AND d.state = 'published'),
          'sentSince', count(*) FILTER (WHERE st.id IS NOT NULL AND d.state IN ('published', 'needs_review') AND coalesce(d.published_at, d.updated_at) >= ${since}::timestamptz),
          'any', count(*))::text
        FROM deliveries d LEFT JOIN sequence_steps st ON st.id = d.step_id AND st.sequence_id = d.sequence_id
        WHERE d.workspace_id = ${w} AND d.sequence_id = ${dripId} AND d.enrollment_id IS NOT NULL)`,
      events: sql<string>`(SELECT json_build_object(
          'opened', coalesce(sum(n) FILTER (WHERE type = 'opened'), 0),
          'clicked', coalesce(sum(n) FILTER (WHERE type = 'clicked'), 0),
          'bounced', coalesce(sum(n) FILTER (WHERE type = 'bounced'), 0),
          'complained', coalesce(sum(n) FILTER (WHERE type = 'complained'), 0))::text
        FROM (SELECT ce.step_id, ce.type, count(DISTINCT ce.enrollment_id) AS n FROM contact_events ce JOIN sequence_steps st ON st.id = ce.step_id AND st.sequence_id = ce.sequence_id
              WHERE ce.workspace_id = ${w} AND ce.sequence_id = ${dripId} AND ce.type IN ('opened', 'clicked', 'bounced', 'complained') GROUP BY ce.step_id, ce.type) t)`,
    })
    .from(sequences)
    .where(and(eq(sequences.workspaceId, w), isDrip))
    .orderBy(desc(sequences.createdAt))
  const numbers = <T extends Record<string, number>>(text: string) => Object.fromEntries(Object.entries(JSON.parse(text) as Record<string, unknown>).map(([k, v]) => [k, Number(v)])) as T
  return rows.map((r) => ({
    drip: r.drip as DripRow,
    stepCount: r.stepCount,
    enrollments: numbers(r.enrollments),
    deliveries: numbers<DripSummaryRow['deliveries']>(r.deliveries),
    events: numbers<DripSummaryRow['events']>(r.events),
  }))
}

/** Which of `dripIds` are drips of this workspace (an action step names another drip). */
export async function ownedDripIds(db: DbOrTx, args: { workspaceId: string; dripIds: string[] }): Promise<Set<string>> {
  if (args.dripIds.length === 0) return new Set()
  const rows = await db
    .select({ id: sequences.id })
    .from(sequences)
    .where(and(eq(sequences.workspaceId, args.workspaceId), isDrip, inArray(sequences.id, args.dripIds)))
  return new Set(rows.map((r) => r.id))
}
