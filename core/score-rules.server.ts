import { z } from 'zod'
import type { DbOrTx } from '../db/client'
import { getEmailSettings, lockContact, setLeadScore, type Contact } from '../db/queries/contacts'
import { setEventScoreDelta } from '../db/queries/events'
import {
  deleteScoreRule,
  getDecayCandidate,
  getScoreRule as getScoreRuleRow,
  insertScoreChanges,
  insertScoreRule,
  listDecayCandidates,
  listDecayRules,
  listScoreChanges,
  listScoreRules as listScoreRuleRows,
  updateScoreRule,
  type DecayCandidate,
  type StoredScoreRule,
} from '../db/queries/score-rules'
import { addScore, decayDue, decayedScore, describeScoreRule, matchingRules, type ScoreActivity } from '../domain/email/score'
import { ScoreRuleSchema, type ScoreRule } from '../domain/email/types'
import { recordAuditEvent } from './audit.server'
import { InputError } from './errors'
import type { Services } from './services.server'

/**
 * Lead-score rules (docs/decisions/072-score-rules-and-audience-navigation.md): a workspace's rules
 * (list, add, replace, remove; one rule per activity, event name or decay), the scoring of an activity
 * under them with a history row per rule that applied, and the decay job's pass. Scoped to one
 * workspace; bad input is an `InputError` naming the field.
 */

export type ScoreRuleView = {
  id: string
  on: ScoreRule['on']
  /** The event's name, for `event` rules. */
  name: string | null
  points: number
  /** For `inactive` (decay) rules: the period without activity, in days. */
  everyDays: number | null
  /** For people: "Clicked a link: +2". */
  label: string
  createdAt: Date
  updatedAt: Date
}

export type ScoreChangeView = { id: number; ruleId: string | null; rule: string; points: number; occurredAt: Date }

function toView(rule: StoredScoreRule): ScoreRuleView {
  return {
    id: rule.id,
    on: rule.on,
    name: rule.on === 'event' ? rule.name : null,
    points: rule.points,
    everyDays: rule.on === 'inactive' ? rule.everyDays : null,
    label: describeScoreRule(rule),
    createdAt: rule.createdAt,
    updatedAt: rule.updatedAt,
  }
}

function notFound() {
  return new InputError(undefined, 'No such score rule', { status: 404 })
}

/** The id in a route's params, or a 404 (an id that is not a uuid names no rule). */
export function scoreRuleIdOf(params: { ruleId?: string }): string {
  const id = z.uuid().safeParse(params.ruleId)
  if (!id.success) throw notFound()
  return id.data
}

/** Parse a rule or throw a 400 naming the first bad field (`on`, `name`, `points`, `everyDays`). */
export function parseScoreRule(input: unknown): ScoreRule {
  const result = ScoreRuleSchema.safeParse(input)
  if (result.success) return result.data
  const issue = result.error.issues[0]!
  const path = issue.code === 'unrecognized_keys' ? [...issue.path, issue.keys[0]!] : issue.path
  const field = path.map(String).join('.') || 'on'
  const message = issue.code === 'invalid_union' ? 'choose what earns the points: opened, clicked, event or inactive' : issue.message
  return throwInput(field, message)
}

function throwInput(field: string, message: string): never {
  throw new InputError(field, `${field}: ${message}`)
}

function taken(rule: ScoreRule): InputError {
  const field = rule.on === 'event' ? 'name' : 'on'
  const what = { opened: 'opened emails', clicked: 'clicked links', event: `the event ${rule.on === 'event' ? rule.name : ''}`, inactive: 'inactivity (a decay)' }[rule.on]
  return new InputError(field, `${field}: there is already a rule for ${what}: edit that one instead`, { status: 409 })
}

function isUniqueViolation(error: unknown): boolean {
  for (let e = error as { code?: unknown; cause?: unknown } | undefined; e; e = e.cause as typeof e) if (e.code === '23505') return true
  return false
}

/** The workspace's rules: opens, clicks, events by name, then the decay. */
export async function listScoreRules(services: Services, args: { workspaceId: string }): Promise<ScoreRuleView[]> {
  return (await listScoreRuleRows(services.database.db, args)).map(toView)
}

export async function getScoreRule(services: Services, args: { workspaceId: string; ruleId: string }): Promise<ScoreRuleView> {
  const rule = await getScoreRuleRow(services.database.db, args)
  if (!rule) throw notFound()
  return toView(rule)
}

type Actor = { workspaceId: string; actorUserId: string }

async function audit(services: Services, args: Actor & { kind: 'score-rule.created' | 'score-rule.changed' | 'score-rule.removed'; rule: StoredScoreRule }) {
  await recordAuditEvent(services, { workspaceIds: args.workspaceId, kind: args.kind, actorUserId: args.actorUserId, target: { type: 'score-rule', id: args.rule.id }, detail: { rule: describeScoreRule(args.rule) } })
}

/** Add a rule; 409 when the workspace has one for that activity (or event, or a decay) already. Applies to activity from now on. */
export async function createScoreRule(services: Services, args: Actor & { input: unknown }): Promise<ScoreRuleView> {
  const rule = parseScoreRule(args.input)
  const row = await insertScoreRule(services.database.db, { workspaceId: args.workspaceId, rule, at: services.clock.now() })
  if (!row) throw taken(rule)
  await audit(services, { ...args, kind: 'score-rule.created', rule: row })
  return toView(row)
}

/** Replace a rule (the whole of it); past score changes keep what they were. */
export async function replaceScoreRule(services: Services, args: Actor & { ruleId: string; input: unknown }): Promise<ScoreRuleView> {
  const rule = parseScoreRule(args.input)
  let row: StoredScoreRule | null
  try {
    row = await updateScoreRule(services.database.db, { workspaceId: args.workspaceId, ruleId: args.ruleId, rule, at: services.clock.now() })
  } catch (error) {
    if (isUniqueViolation(error)) throw taken(rule)
    throw error
  }
  if (!row) throw notFound()
  await audit(services, { ...args, kind: 'score-rule.changed', rule: row })
  return toView(row)
}

/** Remove a rule; the score changes it made stay in the contacts' history. */
export async function removeScoreRule(services: Services, args: Actor & { ruleId: string }): Promise<void> {
  const row = await deleteScoreRule(services.database.db, args)
  if (!row) throw notFound()
  await audit(services, { ...args, kind: 'score-rule.removed', rule: row })
}

/** A contact's score changes, newest first: which rule, when, how many points. */
export async function listScoreHistory(services: Services, args: { workspaceId: string; contactId: string; limit?: number }): Promise<ScoreChangeView[]> {
  return listScoreChanges(services.database.db, args)
}

/**
 * Add the points of every rule an activity matches to a locked contact (inside `tx`), with one history
 * row per rule, and the total on the event. Nothing matches: nothing is written.
 */
export async function scoreActivity(
  tx: DbOrTx,
  args: { contact: Contact; activity: ScoreActivity; eventId: string; halfLifeDays: number | null; at: Date },
): Promise<{ points: number; contact: Contact }> {
  const { contact, at } = args
  const workspaceId = contact.workspaceId
  const rules = matchingRules({ rules: await listScoreRuleRows(tx, { workspaceId, kinds: [args.activity.type] }), activity: args.activity })
  if (rules.length === 0) return { points: 0, contact }
  const points = rules.reduce((sum, rule) => sum + rule.points, 0)
  const stored = addScore({ stored: { score: contact.leadScore, at: contact.leadScoreAt }, points, now: at, halfLifeDays: args.halfLifeDays })
  await setLeadScore(tx, { workspaceId, contactId: contact.id, score: stored.score, at })
  await setEventScoreDelta(tx, { workspaceId, eventId: args.eventId, scoreDelta: points })
  await insertScoreChanges(tx, {
    workspaceId,
    changes: rules.map((rule) => ({ contactId: contact.id, ruleId: rule.id, rule: describeScoreRule(rule), points: rule.points, eventId: args.eventId, occurredAt: at })),
  })
  return { points, contact: { ...contact, leadScore: stored.score, leadScoreAt: at } }
}

type DecayRule = StoredScoreRule & { on: 'inactive'; workspaceId: string }

function dueDecay(candidate: DecayCandidate, rule: DecayRule, halfLifeDays: number | null, now: Date) {
  return decayDue({
    rule,
    score: decayedScore({ stored: { score: candidate.leadScore, at: candidate.leadScoreAt }, now, halfLifeDays }),
    anchor: candidate.lastActivityAt ?? candidate.createdAt,
    lastDecayAt: candidate.lastDecayAt,
    now,
  })
}

/**
 * The daily pass of the decay rules (`inactive`: points taken away every N days without activity), for
 * every workspace that has one. Each contact due is decayed in its own transaction under its lock, with
 * what is due read again there; a contact is decayed at most once per period whatever the job's timing.
 */
export async function applyScoreDecay(services: Pick<Services, 'database' | 'clock'>, options: { batchSize?: number } = {}): Promise<{ contacts: number; points: number }> {
  const db = services.database.db
  const now = services.clock.now()
  const totals = { contacts: 0, points: 0 }
  for (const rule of (await listDecayRules(db)) as DecayRule[]) {
    const { workspaceId } = rule
    const halfLifeDays = (await getEmailSettings(db, { workspaceId }))?.scoreHalfLifeDays ?? null
    let after = '00000000-0000-0000-0000-000000000000'
    for (;;) {
      const batch = await listDecayCandidates(db, { workspaceId, ruleId: rule.id, after, limit: options.batchSize ?? 500 })
      if (batch.length === 0) break
      after = batch.at(-1)!.id
      for (const candidate of batch.filter((c) => dueDecay(c, rule, halfLifeDays, now))) {
        const points = await db.transaction(async (tx) => {
          const contact = await lockContact(tx, { workspaceId, contactId: candidate.id })
          const fresh = contact && (await getDecayCandidate(tx, { workspaceId, ruleId: rule.id, contactId: contact.id }))
          const due = fresh && dueDecay(fresh, rule, halfLifeDays, now)
          if (!contact || !due) return 0
          const stored = addScore({ stored: { score: contact.leadScore, at: contact.leadScoreAt }, points: due.points, now, halfLifeDays })
          await setLeadScore(tx, { workspaceId, contactId: contact.id, score: stored.score, at: now })
          await insertScoreChanges(tx, { workspaceId, changes: [{ contactId: contact.id, ruleId: rule.id, rule: describeScoreRule(rule), points: due.points, eventId: null, occurredAt: due.at }] })
          return due.points
        })
        if (points !== 0) {
          totals.contacts += 1
          totals.points += points
        }
      }
    }
  }
  return totals
}

export type ScoreRuleFormResult = { ok: true; rule: ScoreRuleView } | { ok: false; status: number; fieldErrors: Record<string, string> }

/** The rule a form describes (`on`, `name`, `points`, `everyDays` as text): the fields its kind takes, numbers as numbers. */
function scoreRuleInputOf(form: FormData): unknown {
  const text = (key: string) => String(form.get(key) ?? '').trim()
  const number = (key: string) => (text(key) === '' ? undefined : Number(text(key)))
  const on = text('on')
  return { on, points: number('points'), ...(on === 'event' ? { name: text('name') } : {}), ...(on === 'inactive' ? { everyDays: number('everyDays') } : {}) }
}

/** The score rules page's save (a new rule when `ruleId` is left out): errors come back under the form's fields. */
export async function saveScoreRuleForm(services: Services, args: Actor & { ruleId?: string; form: FormData }): Promise<ScoreRuleFormResult> {
  const input = scoreRuleInputOf(args.form)
  try {
    const rule = args.ruleId ? await replaceScoreRule(services, { ...args, ruleId: args.ruleId, input }) : await createScoreRule(services, { ...args, input })
    return { ok: true, rule }
  } catch (error) {
    if (!(error instanceof InputError) || error.status === 404) throw error
    const field = error.field ?? 'form'
    const message = error.message.startsWith(`${field}: `) ? error.message.slice(field.length + 2) : error.message
    return { ok: false, status: error.status, fieldErrors: { [field]: message } }
  }
}
