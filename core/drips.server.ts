import type { DbOrTx } from '../db/client'
import type { MailStep } from '../domain/mail/piece'
import { randomBytes } from 'node:crypto'
import { z } from 'zod'
import { campaignTag } from '../domain/campaign'
import { getEmailSettings } from '../db/queries/contacts'
import {
  deleteDripRow,
  getDrip as getDripRow,
  insertDrip,
  listDripRows,
  loadDripDefinitions,
  listDripSummaryRows,
  replaceDrip,
  setDripStatus,
  type DripRow,
  type DripWithSteps,
  type NewDripStep,
} from '../db/queries/drips'
import { dripStatsRollups, dripsTotalsRollups } from '../db/queries/drip-rollups'
import type { DripStats } from '../db/queries/enrollments'
import type { DripAction } from '../domain/drip/actions'
import { DripInputSchema, type DripInputParsed, type DripSettings, type DripStepSettings, type StepKind } from '../domain/drip/schema'
import { marketingProblems } from '../domain/email/template'
import { wakeDripRunner } from './drips/enroll.server'
import { dripNotFound as notFound, invalidDripInput as invalidInput } from './drips/errors'
import { InputError } from './errors'
import { dripReferenceProblems, requireValidDripReferences } from './drip-references.server'
import { mailConfigured } from './mail.server'
import { smsConfigured } from './sms.server'
import type { Services } from './services.server'

export { EnrollInputSchema, enrollContact, enrollContacts, enrollInto, onContactTrigger, wakeDripRunner, type EnrollInput, type EnrollResult } from './drips/enroll.server'

/**
 * The drip gateway (docs/decisions/016-drip-engine.md): create/edit/activate/pause drips, enroll
 * contacts (manual, CSV, API, triggers), per-step counts and the funnel, preview and test send. Routes
 * (API and the drip builder UI) call these; errors are `InputError`s (4xx naming the field).
 */

export { DripInputSchema, type DripInput, type DripInputParsed } from '../domain/drip/schema'

export type DripStepView = {
  id: string
  position: number
  kind: StepKind
  action: DripAction | null
  /** An SMS step's text (decision 081); empty for other kinds. */
  text: string
  /** A direct-mail step's postcard or letter (decision 089); null for other kinds. */
  mail: MailStep | null
  subject: string
  markdown: string
  settings: DripStepSettings
  counts: StepCounts
}

export type StepCounts = {
  /** Enrollments whose next step is this one (waiting for it). */
  waiting: number
  sent: number
  delivered: number
  opened: number
  clicked: number
  unsubscribed: number
  bounced: number
  complained: number
  skipped: number
  failed: number
}

export type DripView = {
  id: string
  name: string
  status: 'active' | 'paused'
  timezone: string
  /** Tracked links carry UTM parameters (decision 084). */
  utm: boolean
  /** The campaign tag shared with series (decision 094), or null. */
  campaign: string | null
  settings: DripSettings
  createdAt: Date
  updatedAt: Date
  steps: DripStepView[]
  totals: {
    enrolled: number
    active: number
    completed: number
    goalReached: number
    unsubscribed: number
    exited: number
    sent: number
    delivered: number
    opened: number
    clicked: number
    bounced: number
    complained: number
  }
  /** Per step: how many enrollments reached it (got past the previous steps), and the share of all enrolled. */
  funnel: Array<{ position: number; reached: number; sent: number; rate: number }>
}

export type DripSummary = Pick<DripView, 'id' | 'name' | 'status' | 'settings' | 'createdAt' | 'updatedAt'> & {
  totals: DripView['totals'] & { /** Emails sent in the last 7 days. */ sentLast7Days: number }
  stepCount: number
  /** Paused and never ran (no enrollment, no delivery): a drip being written rather than one stopped. */
  draft: boolean
}

const WEEK_MS = 7 * 86_400_000


/** Parse editor/API input or throw a 400 naming the first bad field. */
export function parseDripInput(input: unknown): DripInputParsed {
  const result = DripInputSchema.safeParse(input)
  if (!result.success) throw invalidInput(result.error)
  return result.data
}

function splitInput(input: DripInputParsed, keptSecret?: string): { settings: DripSettings; steps: NewDripStep[] } {
  // A drip's webhook secret is made with its first webhook step and kept across edits.
  const webhookSecret = keptSecret ?? (input.steps.some((s) => s.action?.type === 'webhook') ? randomBytes(32).toString('hex') : undefined)
  const settings: DripSettings = { triggers: input.triggers, reentry: input.reentry, goals: input.goals, attributionDays: input.attributionDays, window: input.window, quietHours: input.quietHours, webhookSecret }
  const steps = input.steps.map((s) => ({
    id: s.id,
    subject: s.subject ?? '',
    markdown: s.markdown ?? '',
    action: s.kind === 'action' ? s.action : undefined,
    sms: s.kind === 'sms' ? { text: s.text ?? '' } : undefined,
    mail: s.kind === 'mail' ? s.mail : undefined,
    settings: { delay: s.delay, after: s.after, window: s.window, quietHours: s.quietHours, condition: s.condition, onFalse: s.onFalse },
  }))
  return { settings, steps }
}

/** A new drip is created paused (a draft); `activateDrip` starts it. */
export async function createDrip(services: Services, args: { workspaceId: string; input: unknown }): Promise<DripView> {
  const input = parseDripInput(args.input)
  await requireValidDripReferences(services.database.db, { workspaceId: args.workspaceId, input })
  const { settings, steps } = splitInput(input)
  const at = services.clock.now()
  const created = await services.database.db.transaction((tx) => insertDrip(tx, { workspaceId: args.workspaceId, name: input.name, timezone: input.timezone, settings, steps, utm: input.utm, campaign: campaignTag(input.campaign), at }))
  return toView(created, emptyStats())
}

/** Replace a drip's definition (steps with an `id` keep their history). An active drip stays active. */
export async function updateDrip(services: Services, args: { workspaceId: string; dripId: string; input: unknown }): Promise<DripView> {
  const input = parseDripInput(args.input)
  await requireValidDripReferences(services.database.db, { workspaceId: args.workspaceId, dripId: args.dripId, input })
  const existing = await getDripRow(services.database.db, { workspaceId: args.workspaceId, dripId: args.dripId })
  if (!existing) throw notFound()
  const { settings, steps } = splitInput(input, existing.drip.settings.webhookSecret)
  const at = services.clock.now()
  await services.database.db.transaction(async (tx) => {
    const updated = await replaceDrip(tx, { workspaceId: args.workspaceId, dripId: args.dripId, name: input.name, timezone: input.timezone, settings, steps, utm: input.utm, campaign: campaignTag(input.campaign), at })
    if (!updated) throw notFound()
    // An active drip must stay sendable: a 422 rolls the whole edit back.
    // Checked on `tx`: a query on the pool while this transaction holds a connection can wait for a free
    // one forever when the worker holds the rest (the builder's save hung that way under the e2e test).
    if (updated.drip.status === 'active') await requireActivatable(services, updated, tx)
  })
  return getDrip(services, { workspaceId: args.workspaceId, dripId: args.dripId })
}

/** What keeps a drip from being activated, by field (`postalAddress`, `sender`, `steps.2.subject`, `triggers.1.segmentId`…). Empty: it may run. */
export async function activationProblems(services: Services, drip: DripWithSteps, db: DbOrTx = services.database.db): Promise<Array<{ field: string; message: string }>> {
  const settings = await getEmailSettings(db, { workspaceId: drip.drip.workspaceId })
  const problems: Array<{ field: string; message: string }> = []
  if (!settings) problems.push({ field: 'sender', message: 'Set up the sender (from address and SMTP) in the email settings first' })
  else if (!settings.senderAccountId) problems.push({ field: 'sender', message: 'Connect an SMTP sender in the email settings first' })
  if (drip.steps.length === 0) problems.push({ field: 'steps', message: 'Add at least one step' })
  const seen = new Set<string>()
  let sms = drip.steps.some((s) => s.content.sms) ? await smsConfigured(db, { workspaceId: drip.drip.workspaceId }) : true
  let mail = drip.steps.some((s) => s.content.mail) ? await mailConfigured(db, { workspaceId: drip.drip.workspaceId }) : true
  drip.steps.forEach((step, i) => {
    if (step.content.action) return
    if (step.content.mail) {
      if (!mail) problems.push({ field: 'mail', message: 'Set up direct mail (Lob API key and return address) under Settings → Direct mail first' })
      mail = true
      return
    }
    if (step.content.sms) {
      if (!sms) problems.push({ field: 'sms', message: 'Set up SMS (Twilio account SID, auth token and a from number) under Settings → SMS first' })
      sms = true
      return
    }
    const template = step.content.email ?? { subject: '', markdown: '' }
    for (const p of marketingProblems({ template, postalAddress: settings?.postalAddress })) {
      const field = p.path === 'postalAddress' ? 'postalAddress' : `steps.${i}.${p.path}`
      if (!seen.has(field)) problems.push({ field, message: p.message })
      seen.add(field)
    }
  })
  // Every trigger still names a form, segment or date field of the workspace (a field may have been deleted since the save).
  const steps = drip.steps.map((s) => ({ subject: s.content.email?.subject ?? '', markdown: s.content.email?.markdown ?? '', text: s.content.sms?.text, mail: s.content.mail, condition: s.settings.condition, action: s.content.action }))
  for (const p of await dripReferenceProblems(db, { workspaceId: drip.drip.workspaceId, dripId: drip.drip.id, drip: { triggers: drip.drip.settings.triggers, steps } })) {
    if (!seen.has(p.field)) problems.push(p)
    seen.add(p.field)
  }
  return problems
}

async function requireActivatable(services: Services, drip: DripWithSteps, db?: DbOrTx) {
  const problems = await activationProblems(services, drip, db)
  if (problems.length) throw new InputError(problems[0]!.field, `${problems[0]!.field}: ${problems[0]!.message}`, { status: 422, code: 'not_activatable' })
}

/** Start sending. Refuses (422 naming the field) without a postal address, sender or step content; the unsubscribe link is added to every message by the renderer. */
export async function activateDrip(services: Services, args: { workspaceId: string; dripId: string }): Promise<DripView> {
  const drip = await getDripRow(services.database.db, args)
  if (!drip) throw notFound()
  await requireActivatable(services, drip)
  await setDripStatus(services.database.db, { ...args, status: 'active', at: services.clock.now() })
  await wakeDripRunner(services)
  return getDrip(services, args)
}

/** Stop sending; enrollments keep their place and continue when the drip is activated again. */
export async function pauseDrip(services: Services, args: { workspaceId: string; dripId: string }): Promise<DripView> {
  const row = await setDripStatus(services.database.db, { ...args, status: 'paused', at: services.clock.now() })
  if (!row) throw notFound()
  return getDrip(services, args)
}

export async function deleteDrip(services: Services, args: { workspaceId: string; dripId: string }): Promise<void> {
  if (!(await deleteDripRow(services.database.db, args))) throw notFound()
}

export async function listDrips(services: Services, args: { workspaceId: string }): Promise<DripSummary[]> {
  const rows = await listDripSummaryRows(services.database.db, { workspaceId: args.workspaceId, since: new Date(services.clock.now().getTime() - WEEK_MS) })
  return rows.map(({ drip, stepCount, enrollments, deliveries, events }) => {
    const totals = { ...enrollmentTotals(enrollments), sent: deliveries.sent, delivered: deliveries.delivered, ...events, sentLast7Days: deliveries.sentSince }
    const status = dripStatusOf(drip)
    return { id: drip.id, name: drip.name, status, settings: drip.settings, createdAt: drip.createdAt, updatedAt: drip.updatedAt, totals, stepCount, draft: status === 'paused' && totals.enrolled === 0 && deliveries.any === 0 }
  })
}

const dripStatusOf = (drip: DripRow): DripView['status'] => (drip.status === 'active' ? 'active' : 'paused')

/** The enrollment part of a drip's totals, from its enrollments by status. */
function enrollmentTotals(e: Record<string, number>) {
  return {
    enrolled: Object.values(e).reduce((a, b) => a + b, 0),
    active: e.active ?? 0,
    completed: e.completed ?? 0,
    goalReached: e.goal_reached ?? 0,
    unsubscribed: e.unsubscribed ?? 0,
    exited: (e.exited ?? 0) + (e.bounced ?? 0) + (e.failed ?? 0),
  }
}

/** One drip with per-step counts and the funnel; 404 for a drip of another workspace. */
export async function getDrip(services: Services, args: { workspaceId: string; dripId: string }): Promise<DripView> {
  const drip = await getDripRow(services.database.db, args)
  if (!drip) throw notFound()
  const stats = await dripStatsRollups(services.database.db, { workspaceId: args.workspaceId, dripId: args.dripId })
  return toView(drip, stats)
}

/** A drip on the analytics overview: its steps' all-time counts from the roll-ups (no enrollment counted, so no `waiting`). */
export type DripOverview = Omit<DripView, 'steps' | 'totals' | 'funnel'> & {
  steps: Array<Omit<DripStepView, 'counts'> & { counts: Omit<StepCounts, 'waiting'> }>
  /** `unsubscribed`: messages unsubscribed from (the analytics' count), not enrollments ended by it. */
  totals: { enrolled: number; goalReached: number; sent: number; delivered: number; opened: number; clicked: number; unsubscribed: number; bounced: number; complained: number }
  /** Per step: its sends, and their share of the enrolled (the analytics funnel's "step k sent"). */
  funnel: Array<{ position: number; reached: number; sent: number; rate: number }>
}

/**
 * Every drip of the workspace with its per-step counts (the analytics overview), newest first: three
 * statements whatever the number and size of the drips, the counts from the roll-ups alone (decision 104).
 */
export async function listDripOverviews(services: Services, args: { workspaceId: string }): Promise<DripOverview[]> {
  const db = services.database.db
  const rows = await listDripRows(db, args)
  const dripIds = rows.map((r) => r.id)
  const [definitions, totals] = await Promise.all([loadDripDefinitions(db, { dripIds }), dripsTotalsRollups(db, { workspaceId: args.workspaceId, dripIds })])
  return rows.map((drip) => {
    const t = totals.get(drip.id)!
    const view = toView(definitions.get(drip.id) ?? { drip, steps: [] }, { ...emptyStats(), deliveriesByStep: t.deliveriesByStep, eventsByStep: t.eventsByStep })
    const steps = view.steps.map(({ counts: { waiting: _, ...counts }, ...step }) => ({ ...step, counts }))
    const sum = (k: keyof Omit<StepCounts, 'waiting'>) => steps.reduce((a, s) => a + s.counts[k], 0)
    return {
      ...view,
      steps,
      totals: { enrolled: t.enrolled, goalReached: t.goalReached, sent: sum('sent'), delivered: sum('delivered'), opened: sum('opened'), clicked: sum('clicked'), unsubscribed: sum('unsubscribed'), bounced: sum('bounced'), complained: sum('complained') },
      funnel: steps.map((s) => ({ position: s.position, reached: s.counts.sent, sent: s.counts.sent, rate: t.enrolled ? s.counts.sent / t.enrolled : 0 })),
    }
  })
}

function emptyStats(): DripStats {
  return { enrollments: {}, waitingByPosition: {}, positions: {}, deliveriesByStep: {}, eventsByStep: {} }
}

function toView(d: DripWithSteps, stats: DripStats): DripView {
  const enrollments = enrollmentTotals(stats.enrollments)
  const { enrolled } = enrollments
  const steps = d.steps.map((step): DripStepView => {
    const del = stats.deliveriesByStep[step.id] ?? {}
    const ev = stats.eventsByStep[step.id] ?? {}
    const sent = (del.published ?? 0) + (del.needs_review ?? 0)
    return {
      id: step.id,
      position: step.position,
      kind: step.content.action ? 'action' : step.content.sms ? 'sms' : step.content.mail ? 'mail' : 'email',
      mail: step.content.mail ?? null,
      action: step.content.action ?? null,
      text: step.content.sms?.text ?? '',
      subject: step.content.email?.subject ?? '',
      markdown: step.content.email?.markdown ?? step.content.parts.map((p) => p.text).join('\n\n'),
      settings: step.settings,
      counts: {
        waiting: stats.waitingByPosition[step.position] ?? 0,
        sent,
        delivered: del.published ?? 0,
        opened: ev.opened ?? 0,
        clicked: ev.clicked ?? 0,
        unsubscribed: ev.unsubscribed ?? 0,
        bounced: ev.bounced ?? 0,
        complained: ev.complained ?? 0,
        skipped: del.skipped ?? 0,
        failed: del.failed ?? 0,
      },
    }
  })
  const sum = (k: keyof StepCounts) => steps.reduce((a, s) => a + s.counts[k], 0)
  // Reached step k: every enrollment whose position got to k (waiting for it, past it, or ended at/after it).
  const funnel = steps.map((s) => {
    const reached = Object.entries(stats.positions).reduce((a, [p, n]) => (Number(p) >= s.position ? a + n : a), 0)
    return { position: s.position, reached, sent: s.counts.sent, rate: enrolled ? reached / enrolled : 0 }
  })
  return {
    id: d.drip.id,
    name: d.drip.name,
    status: dripStatusOf(d.drip),
    timezone: d.drip.timezone,
    utm: d.drip.shortLinks,
    campaign: d.drip.campaign,
    settings: d.drip.settings,
    createdAt: d.drip.createdAt,
    updatedAt: d.drip.updatedAt,
    steps,
    totals: {
      ...enrollments,
      sent: sum('sent'),
      delivered: sum('delivered'),
      opened: sum('opened'),
      clicked: sum('clicked'),
      bounced: sum('bounced'),
      complained: sum('complained'),
    },
    funnel,
  }
}

/** The `dripId` route parameter, or a 404 (API routes). */
export function dripIdOf(params: { dripId?: string }): string {
  const id = z.uuid().safeParse(params.dripId)
  if (!id.success) throw new InputError(undefined, 'No such drip', { status: 404 })
  return id.data
}
