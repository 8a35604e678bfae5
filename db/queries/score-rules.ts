import { and, asc, desc, eq, gt, inArray, sql } from 'drizzle-orm'
import { DEFAULT_SCORE_RULES } from '../../domain/email/score'
import type { ScoreRule } from '../../domain/email/types'
import type { DbOrTx } from '../client'
import { contactEvents, contacts, scoreChanges, scoreRules } from '../schema'

/** A workspace's lead-score rules and the score changes they made (db/schema/score.ts). */

export type ScoreRuleRow = typeof scoreRules.$inferSelect
export type StoredScoreRule = ScoreRule & { id: string; createdAt: Date; updatedAt: Date }

/** The row as the domain reads it. */
export function ruleOf(row: ScoreRuleRow): StoredScoreRule {
  const meta = { id: row.id, points: row.points, createdAt: row.createdAt, updatedAt: row.updatedAt }
  switch (row.kind) {
    case 'event':
      return { ...meta, on: 'event', name: row.eventName }
    case 'inactive':
      return { ...meta, on: 'inactive', everyDays: row.everyDays ?? 1 }
    default:
      return { ...meta, on: row.kind }
  }
}

function columnsOf(rule: ScoreRule) {
  return { kind: rule.on, eventName: rule.on === 'event' ? rule.name : '', points: rule.points, everyDays: rule.on === 'inactive' ? rule.everyDays : null }
}

const scoped = (args: { workspaceId: string; ruleId: string }) => and(eq(scoreRules.workspaceId, args.workspaceId), eq(scoreRules.id, args.ruleId))

/** Opens, clicks, events by name, then the decay. */
export async function listScoreRules(db: DbOrTx, args: { workspaceId: string; kinds?: ScoreRule['on'][] }): Promise<StoredScoreRule[]> {
  const rows = await db
    .select()
    .from(scoreRules)
    .where(and(eq(scoreRules.workspaceId, args.workspaceId), args.kinds ? inArray(scoreRules.kind, args.kinds) : undefined))
    .orderBy(sql`array_position(ARRAY['opened', 'clicked', 'event', 'inactive'], ${scoreRules.kind})`, asc(scoreRules.eventName))
  return rows.map(ruleOf)
}

export async function getScoreRule(db: DbOrTx, args: { workspaceId: string; ruleId: string }): Promise<StoredScoreRule | null> {
  const [row] = await db.select().from(scoreRules).where(scoped(args))
  return row ? ruleOf(row) : null
}

/** Null when the workspace already has a rule for that activity (or event name, or a decay). */
export async function insertScoreRule(db: DbOrTx, args: { workspaceId: string; rule: ScoreRule; at: Date }): Promise<StoredScoreRule | null> {
  const [row] = await db
    .insert(scoreRules)
    .values({ workspaceId: args.workspaceId, ...columnsOf(args.rule), createdAt: args.at, updatedAt: args.at })
    .onConflictDoNothing()
    .returning()
  return row ? ruleOf(row) : null
}

/** Null when there is no such rule; throws a unique violation when another rule has that activity already. */
export async function updateScoreRule(db: DbOrTx, args: { workspaceId: string; ruleId: string; rule: ScoreRule; at: Date }): Promise<StoredScoreRule | null> {
  const [row] = await db
    .update(scoreRules)
    .set({ ...columnsOf(args.rule), updatedAt: args.at })
    .where(scoped(args))
    .returning()
  return row ? ruleOf(row) : null
}

export async function deleteScoreRule(db: DbOrTx, args: { workspaceId: string; ruleId: string }): Promise<StoredScoreRule | null> {
  const [row] = await db.delete(scoreRules).where(scoped(args)).returning()
  return row ? ruleOf(row) : null
}

/** Replace every rule of the workspace (callers that set the email settings wholesale, see saveEmailSettings). */
export async function replaceScoreRules(db: DbOrTx, args: { workspaceId: string; rules: ScoreRule[]; at: Date }): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.delete(scoreRules).where(eq(scoreRules.workspaceId, args.workspaceId))
    if (args.rules.length === 0) return
    await tx
      .insert(scoreRules)
      .values(args.rules.map((rule) => ({ workspaceId: args.workspaceId, ...columnsOf(rule), createdAt: args.at, updatedAt: args.at })))
      .onConflictDoNothing()
  })
}

/** A new workspace scores opens +1 and clicks +2 until someone changes the rules. */
export async function insertDefaultScoreRules(db: DbOrTx, args: { workspaceId: string; at: Date }): Promise<void> {
  await db.insert(scoreRules).values(DEFAULT_SCORE_RULES.map((rule) => ({ workspaceId: args.workspaceId, ...columnsOf(rule), createdAt: args.at, updatedAt: args.at })))
}

export type NewScoreChange = { contactId: string; ruleId: string | null; rule: string; points: number; eventId: string | null; occurredAt: Date }

export async function insertScoreChanges(db: DbOrTx, args: { workspaceId: string; changes: NewScoreChange[] }): Promise<void> {
  if (args.changes.length === 0) return
  await db.insert(scoreChanges).values(args.changes.map((c) => ({ workspaceId: args.workspaceId, ...c })))
}

/** A contact's score history, newest first. */
export async function listScoreChanges(db: DbOrTx, args: { workspaceId: string; contactId: string; limit?: number }) {
  return db
    .select({ id: scoreChanges.id, ruleId: scoreChanges.ruleId, rule: scoreChanges.rule, points: scoreChanges.points, eventId: scoreChanges.eventId, occurredAt: scoreChanges.occurredAt })
    .from(scoreChanges)
    .where(and(eq(scoreChanges.workspaceId, args.workspaceId), eq(scoreChanges.contactId, args.contactId)))
    .orderBy(desc(scoreChanges.occurredAt), desc(scoreChanges.id))
    .limit(args.limit ?? 50)
}

/** Activity that restarts a decay's clock. */
const ACTIVITY = ['opened', 'clicked', 'event'] as const

export type DecayCandidate = {
  id: string
  leadScore: number
  leadScoreAt: Date | null
  createdAt: Date
  lastActivityAt: Date | null
  lastDecayAt: Date | null
}

// Column references in a select list render unqualified: name the outer table's columns in full.
const lastActivity = sql<Date | null>`(SELECT max(e.occurred_at) FROM ${contactEvents} e
  WHERE e.workspace_id = "contacts"."workspace_id" AND e.contact_id = "contacts"."id" AND e.type IN (${sql.join(ACTIVITY.map((a) => sql`${a}`), sql`, `)}))`

function lastDecay(ruleId: string) {
  return sql<Date | null>`(SELECT max(s.occurred_at) FROM ${scoreChanges} s WHERE s.rule_id = ${ruleId} AND s.contact_id = "contacts"."id")`
}

const candidateColumns = (ruleId: string) => ({
  id: contacts.id,
  leadScore: contacts.leadScore,
  leadScoreAt: contacts.leadScoreAt,
  createdAt: contacts.createdAt,
  lastActivityAt: lastActivity.mapWith((v: string | Date | null) => (v === null ? null : new Date(v))),
  lastDecayAt: lastDecay(ruleId).mapWith((v: string | Date | null) => (v === null ? null : new Date(v))),
})

/** Contacts with a positive stored score, in id order after `after`, with what a decay rule needs to know. */
export async function listDecayCandidates(db: DbOrTx, args: { workspaceId: string; ruleId: string; after: string; limit: number }): Promise<DecayCandidate[]> {
  return db
    .select(candidateColumns(args.ruleId))
    .from(contacts)
    .where(and(eq(contacts.workspaceId, args.workspaceId), gt(contacts.leadScore, 0), gt(contacts.id, args.after)))
    .orderBy(asc(contacts.id))
    .limit(args.limit)
}

/** The same facts for one contact, read again under its lock. */
export async function getDecayCandidate(db: DbOrTx, args: { workspaceId: string; ruleId: string; contactId: string }): Promise<DecayCandidate | null> {
  const [row] = await db
    .select(candidateColumns(args.ruleId))
    .from(contacts)
    .where(and(eq(contacts.workspaceId, args.workspaceId), eq(contacts.id, args.contactId)))
  return row ?? null
}

/** Workspaces with a decay rule, and the rule. */
export async function listDecayRules(db: DbOrTx): Promise<Array<StoredScoreRule & { workspaceId: string }>> {
  const rows = await db.select().from(scoreRules).where(eq(scoreRules.kind, 'inactive')).orderBy(asc(scoreRules.workspaceId))
  return rows.map((row) => ({ ...ruleOf(row), workspaceId: row.workspaceId }))
}
