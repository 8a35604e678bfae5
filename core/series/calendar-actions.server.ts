/**
 * The calendar: its items and filters, and its actions on one occurrence (move it, skip its date, skip
 * one post). A move or a skip is an override of that occurrence, never a rule change; it re-plans
 * through the one path of planning.server.ts.
 */
import type { z } from 'zod'
import type { Tx } from '../../db/client'
import { listAccounts } from '../../db/queries/accounts'
import { listDeliveries, skipDelivery } from '../../db/queries/deliveries'
import { listSteps } from '../../db/queries/sequences'
import { listCalendarDeliveries, listSeries, updateSeriesTiming, type SeriesTimingRow, type SeriesTimingValues } from '../../db/queries/series'
import type { StoredOverride } from '../../db/schema/index'
import { PENDING_STATES } from '../../domain/delivery'
import { firstWords } from '../../domain/text'
import { isConnectorKind } from '../../connectors/registry'
import { formatLocal, instantToWall } from '../../domain/timing/zone'
import type { Services } from '../services.server'
import { InputError } from '../errors'
import { changeSeries, schedulerOf } from './planning.server'
import type { CalendarActionSchema } from './schemas'
import { planStoredSeries, TIMEZONES } from './timing'

// ─── The calendar ─────────────────────────────────────────────────────────────────────────────────

const CALENDAR_STATES = ['planned', 'queued', 'publishing', 'published', 'failed', 'missed', 'needs_review', 'skipped', 'canceled'] as const

export async function loadCalendar(services: Services, args: { workspaceId: string; params: URLSearchParams }) {
  const db = services.database.db
  const { workspaceId, params } = args
  const [accounts, series] = await Promise.all([listAccounts(db, { workspaceId }), listSeries(db, { workspaceId })])
  const pick = (name: string, allowed: string[]) => {
    const value = params.get(name) ?? ''
    return allowed.includes(value) ? value : ''
  }
  const account = pick('account', accounts.map((a) => a.id))
  const seriesId = pick('series', series.map((s) => s.id))
  const status = pick('status', [...CALENDAR_STATES])
  const tz = TIMEZONES.includes(params.get('tz') ?? '') || params.get('tz') === 'UTC' ? params.get('tz')! : (series.at(-1)?.timezone ?? 'UTC')
  const date = /^\d{4}-\d{2}-\d{2}$/.test(params.get('date') ?? '') ? params.get('date')! : undefined
  const rows = await listCalendarDeliveries(db, {
    workspaceId,
    accountIds: account ? [account] : undefined,
    sequenceIds: seriesId ? [seriesId] : undefined,
    states: status ? [status as (typeof CALENDAR_STATES)[number]] : ['planned', 'queued', 'publishing', 'published', 'failed', 'missed', 'needs_review', 'skipped'],
  })
  const firstPending = rows.find((r) => r.state === 'planned' || r.state === 'queued')
  return {
    items: rows.map((r) => ({
      id: r.id,
      seriesId: r.sequenceId,
      seriesName: r.seriesName,
      post: r.position + 1,
      /** The chip's text: the post's first words (the network and account travel beside it). */
      title: firstWords(r.text),
      text: r.text,
      handle: r.accountHandle,
      kind: r.accountKind,
      network: (isConnectorKind(r.accountKind) && services.connectors[r.accountKind]?.displayName) || r.accountKind.charAt(0).toUpperCase() + r.accountKind.slice(1),
      start: r.dueAt.toISOString(),
      local: formatLocal(instantToWall(tz, r.dueAt.getTime())).replace('T', ' '),
      state: r.state as string,
      editable: (r.state === 'planned' || r.state === 'queued') && r.sequenceStatus === 'active',
      lastError: r.lastError,
      remoteUrl: r.remoteUrl,
    })),
    filters: { tz, account, series: seriesId, status, date: date ?? (firstPending ? formatLocal(instantToWall(tz, firstPending.dueAt.getTime())).slice(0, 10) : undefined) },
    options: {
      timezones: ['UTC', ...TIMEZONES.filter((z) => z !== 'UTC')],
      accounts: accounts.map((a) => ({ value: a.id, label: `@${a.handle}` })),
      series: series.map((s) => ({ value: s.id, label: s.name })),
      statuses: CALENDAR_STATES.map((s) => ({ value: s, label: s.replace('_', ' ') })),
    },
  }
}

export type CalendarActionResult = { ok: true; message: string } | { ok: false; status: number; error: string; field?: string }

export async function runCalendarAction(services: Services, args: { workspaceId: string; action: z.infer<typeof CalendarActionSchema> }): Promise<CalendarActionResult> {
  const { action, workspaceId } = args
  const target = { workspaceId, seriesId: action.seriesId, deliveryId: action.deliveryId }
  try {
    if (action.intent === 'move') {
      await moveOccurrence(services, { ...target, to: new Date(action.to) })
      return { ok: true, message: 'The post was moved; the rule is unchanged.' }
    }
    if (action.intent === 'skip-post') {
      await skipPost(services, target)
      return { ok: true, message: 'The post was skipped; it will not be published.' }
    }
    await skipOccurrence(services, target)
    return { ok: true, message: 'The date was skipped; this post and the later ones moved to the following dates.' }
  } catch (error) {
    if (error instanceof InputError) return { ok: false, status: error.status, error: error.message, field: error.field }
    throw error
  }
}

// ─── Occurrence edits ─────────────────────────────────────────────────────────────────────────────

/** The planned slot of a delivery's step, for overrides. */
async function slotOfDelivery(tx: Tx, args: { workspaceId: string; deliveryId: string; row: SeriesTimingRow }) {
  const [delivery] = await listDeliveries(tx, { workspaceId: args.workspaceId, sequenceId: args.row.sequenceId, deliveryIds: [args.deliveryId] })
  if (!delivery) throw new InputError('deliveryId', 'No such post in this series', { status: 404 })
  if (!(PENDING_STATES as readonly string[]).includes(delivery.state)) {
    throw new InputError('deliveryId', `This post is ${delivery.state.replace('_', ' ')} and can no longer be changed`, { status: 409 })
  }
  const steps = await listSteps(tx, { workspaceId: args.workspaceId, sequenceId: args.row.sequenceId })
  const k = steps.findIndex((s) => s.id === delivery.stepId) + 1
  // Its round too (an evergreen series, decision 107): round 2's post 1 sits on its own occurrence.
  const slot = planStoredSeries(args.row, steps.length, { rounds: delivery.cycle > 0 }).find((p) => p.step === k && p.cycle === delivery.cycle + 1)
  if (!slot) throw new InputError('deliveryId', 'This post has no planned date', { status: 409 })
  return slot
}

function withOverride(row: SeriesTimingRow, revision: number, override: StoredOverride): Partial<SeriesTimingValues> {
  const replace = (list: StoredOverride[]) => [...list.filter((o) => o.occurrence !== override.occurrence), override]
  if (revision === 0) return { overrides: replace(row.overrides) }
  return { revisions: row.revisions.map((r, i) => (i === revision - 1 ? { ...r, overrides: replace(r.overrides) } : r)) }
}

/**
 * Move the occurrence a delivery sits on to another instant: an override of that occurrence (every
 * target of the step moves), not a rule change. Stored as the local time in the series' zone.
 */
export async function moveOccurrence(services: Services, args: { workspaceId: string; seriesId: string; deliveryId: string; to: Date }): Promise<void> {
  if (Number.isNaN(args.to.getTime())) throw new InputError('to', 'to: not a valid date-time')
  if (args.to <= services.clock.now()) throw new InputError('to', 'to: a post can only be moved into the future')
  await changeSeries(services, {
    workspaceId: args.workspaceId,
    sequenceId: args.seriesId,
    change: async (tx, row, now) => {
      const slot = await slotOfDelivery(tx, { ...args, row })
      const zone = slot.revision === 0 ? row.timezone : row.revisions[slot.revision - 1]!.timing.timezone
      const to = formatLocal(instantToWall(zone, args.to.getTime()))
      await updateSeriesTiming(tx, { workspaceId: args.workspaceId, sequenceId: args.seriesId, now, timing: withOverride(row, slot.revision, { kind: 'move', occurrence: slot.occurrenceIndex, to }) })
    },
  })
}

/** Leave the date of a delivery's occurrence out: this post and the later ones take the following dates. */
export async function skipOccurrence(services: Services, args: { workspaceId: string; seriesId: string; deliveryId: string }): Promise<void> {
  await changeSeries(services, {
    workspaceId: args.workspaceId,
    sequenceId: args.seriesId,
    change: async (tx, row, now) => {
      const slot = await slotOfDelivery(tx, { ...args, row })
      await updateSeriesTiming(tx, { workspaceId: args.workspaceId, sequenceId: args.seriesId, now, timing: withOverride(row, slot.revision, { kind: 'skip', occurrence: slot.occurrenceIndex }) })
    },
  })
}

/** Do not publish this one post (to this account); every other post keeps its date. */
export async function skipPost(services: Services, args: { workspaceId: string; seriesId: string; deliveryId: string }): Promise<void> {
  const [own] = await listCalendarDeliveries(services.database.db, { workspaceId: args.workspaceId, sequenceIds: [args.seriesId], deliveryIds: [args.deliveryId] })
  if (!own) throw new InputError('deliveryId', 'No such post in this series', { status: 404 })
  try {
    await skipDelivery(services.database.db, { workspaceId: args.workspaceId, deliveryId: args.deliveryId, clock: services.clock, scheduler: schedulerOf(services) })
  } catch (error) {
    throw new InputError('deliveryId', (error as Error).message.replace(/^state: /, ''), { status: 409 })
  }
}
