/**
 * Series: the one re-plan path (docs/decisions/011-series-and-calendar.md) behind the editor (new and
 * edit), the calendar's move/skip, pause/resume, approval and the API.
 *
 * Every change follows one path: record the user's intent (posts, targets, timing edits) → planSeries
 * → diff against the existing deliveries (published and other settled ones keep their times, changed
 * pending ones move, removed ones are canceled, new ones are planned), all in one transaction → after
 * commit, jobs are scheduled or removed through the pipeline's DeliveryScheduler.
 */
import type { Tx } from '../../db/client'
import { enqueuePlanned, listDeliveries, type DeliveryScheduler } from '../../db/queries/deliveries'
import { getSequence, listSteps, type Sequence } from '../../db/queries/sequences'
import { getSeriesTiming, insertSeriesDeliveries, listSeriesTargets, reschedulePending, settlePendingDelivery, type SeriesTimingRow } from '../../db/queries/series'
import { PENDING_STATES } from '../../domain/delivery'
import { deliveryScheduler } from '../../jobs/enqueue'
import type { Services } from '../services.server'
import { InputError } from '../errors'
import { planStoredSeries } from './timing'

export type JobEffects = { schedule: Array<{ deliveryId: string; runAt: Date }>; cancel: string[] }

/** Diff the plan against the series' deliveries and write the difference (inside the caller's transaction). */
export async function replanInTx(tx: Tx, args: { workspaceId: string; sequenceId: string; now: Date }): Promise<JobEffects> {
  const { workspaceId, sequenceId, now } = args
  const row = await getSeriesTiming(tx, { workspaceId, sequenceId, forUpdate: true })
  if (!row) throw new InputError('seriesId', 'No such series in this workspace', { status: 404 })
  const steps = await listSteps(tx, { workspaceId, sequenceId })
  const targets = new Set(await listSeriesTargets(tx, { workspaceId, sequenceId }))
  // Every round of an evergreen series (decision 107): a delivery is keyed by its step, account and cycle
  // (0 = the plan's first round).
  const key = (step: number, cycle: number) => `${cycle}/${step}`
  const plan = new Map(planStoredSeries(row, steps.length, { rounds: true }).map((p) => [key(p.step, p.cycle - 1), p]))
  const stepNumber = new Map(steps.map((s, i) => [s.id, i + 1]))
  const existing = await listDeliveries(tx, { workspaceId, sequenceId })
  const effects: JobEffects = { schedule: [], cancel: [] }
  const seen = new Set<string>()
  for (const delivery of existing) {
    seen.add(`${delivery.stepId}/${delivery.accountId}/${delivery.cycle}`)
    if (!(PENDING_STATES as readonly string[]).includes(delivery.state)) continue // settled: keeps its time
    const planned = plan.get(key(stepNumber.get(delivery.stepId) ?? 0, delivery.cycle))
    const ref = { workspaceId, deliveryId: delivery.id, now }
    if (!planned || !delivery.accountId || !targets.has(delivery.accountId)) {
      if (await settlePendingDelivery(tx, { ...ref, state: 'canceled' })) effects.cancel.push(delivery.id)
    } else if (planned.status === 'skipped') {
      if (await settlePendingDelivery(tx, { ...ref, state: 'skipped' })) effects.cancel.push(delivery.id)
    } else if (planned.at.getTime() !== delivery.dueAt.getTime()) {
      if (await reschedulePending(tx, { ...ref, dueAt: planned.at })) effects.schedule.push({ deliveryId: delivery.id, runAt: planned.at })
    }
  }
  const items = [...plan.values()].flatMap((planned) => {
    const step = steps[planned.step - 1]
    if (!step) return []
    const cycle = planned.cycle - 1
    return [...targets]
      .filter((accountId) => !seen.has(`${step.id}/${accountId}/${cycle}`))
      // A later round planned after its date (evergreen turned on long after the last post): recorded as
      // skipped, never published late.
      .map((accountId) => ({ stepId: step.id, accountId, cycle, dueAt: planned.at, state: cycle > 0 && planned.at <= now ? ('skipped' as const) : planned.status }))
  })
  const inserted = await insertSeriesDeliveries(tx, { workspaceId, sequenceId, items, now })
  for (const d of inserted) if (d.state === 'planned') effects.schedule.push({ deliveryId: d.id, runAt: d.dueAt })
  return effects
}

export function schedulerOf(services: Services): DeliveryScheduler {
  return deliveryScheduler(services.jobs.agenda)
}

/** After commit: move or remove jobs (best effort: the reconciler enqueues a `planned` row whose job is missing). */
export async function applyJobEffects(services: Services, args: { workspaceId: string; sequence: Sequence; effects: JobEffects }): Promise<void> {
  const scheduler = schedulerOf(services)
  for (const deliveryId of args.effects.cancel) await scheduler.cancel({ deliveryId }).catch(() => undefined)
  if (args.sequence.status !== 'active') return // resuming schedules them
  // A failed enqueue stays `planned`; the reconciler enqueues it.
  await enqueuePlanned(services.database.db, { workspaceId: args.workspaceId, items: args.effects.schedule, scheduler, clock: services.clock })
}

/**
 * Change the stored timing/edits and re-plan, in one transaction; jobs follow after commit. `change` may
 * return delivery ids whose jobs must be removed (a series it put on hold).
 */
export async function changeSeries(
  services: Services,
  args: { workspaceId: string; sequenceId: string; change: (tx: Tx, row: SeriesTimingRow, now: Date) => Promise<string[] | void> },
): Promise<void> {
  const { workspaceId, sequenceId } = args
  const now = services.clock.now()
  const { sequence, effects } = await services.database.db.transaction(async (tx) => {
    const before = await getSequence(tx, { workspaceId, sequenceId })
    const row = before?.kind === 'series' ? await getSeriesTiming(tx, { workspaceId, sequenceId, forUpdate: true }) : null
    if (!before || !row) throw new InputError('seriesId', 'No such series in this workspace', { status: 404 })
    const held = (await args.change(tx, row, now)) ?? []
    const effects = await replanInTx(tx, { workspaceId, sequenceId, now })
    effects.cancel.push(...held)
    // Re-read: the change may have put the series on hold (then nothing is scheduled).
    return { sequence: (await getSequence(tx, { workspaceId, sequenceId })) ?? before, effects }
  })
  await applyJobEffects(services, { workspaceId, sequence, effects })
}
