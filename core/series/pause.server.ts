/**
 * Pause and resume a series. A resume never bursts: the posts whose dates fell inside the pause move
 * on (`shift`) or are left out (`skip`).
 */
import { pauseSequence, resumeSequence } from '../../db/queries/deliveries'
import { getSequence } from '../../db/queries/sequences'
import { getSeriesTiming, updateSeriesTiming } from '../../db/queries/series'
import type { Services } from '../services.server'
import { InputError } from '../errors'
import { changeSeries, schedulerOf } from './planning.server'

export async function pauseSeries(services: Services, args: { workspaceId: string; seriesId: string }): Promise<void> {
  const db = services.database.db
  const now = services.clock.now()
  await db.transaction(async (tx) => {
    const row = await getSeriesTiming(tx, { workspaceId: args.workspaceId, sequenceId: args.seriesId, forUpdate: true })
    const sequence = await getSequence(tx, { workspaceId: args.workspaceId, sequenceId: args.seriesId })
    if (!row || !sequence) throw new InputError('seriesId', 'No such series in this workspace', { status: 404 })
    if (sequence.status === 'paused') throw new InputError('intent', row.approval === 'approved' ? 'The series is already paused' : 'The series waits for approval: nothing is published until an owner approves it', { status: 409 })
    await updateSeriesTiming(tx, { workspaceId: args.workspaceId, sequenceId: args.seriesId, now, timing: { pauses: [...row.pauses, { from: now.toISOString() }] } })
  })
  await pauseSequence(db, { workspaceId: args.workspaceId, sequenceId: args.seriesId, clock: services.clock, scheduler: schedulerOf(services) })
}

/**
 * Resume without a burst: `shift` moves the posts whose dates fell inside the pause (and all later ones)
 * onto the rule's next dates; `skip` leaves them out and keeps every other date.
 */
export async function resumeSeries(services: Services, args: { workspaceId: string; seriesId: string; policy: 'shift' | 'skip' }): Promise<void> {
  await changeSeries(services, {
    workspaceId: args.workspaceId,
    sequenceId: args.seriesId,
    change: async (tx, row, now) => {
      const open = row.pauses.at(-1)
      if (!open || open.until) throw new InputError('intent', 'The series is not paused', { status: 409 })
      if (open.reason === 'approval') throw new InputError('intent', 'The series waits for an owner’s approval; approving it resumes it.', { status: 409 })
      await updateSeriesTiming(tx, {
        workspaceId: args.workspaceId,
        sequenceId: args.seriesId,
        now,
        timing: { pauses: [...row.pauses.slice(0, -1), { ...open, until: now.toISOString(), policy: args.policy }] },
      })
    },
  })
  await resumeSequence(services.database.db, { workspaceId: args.workspaceId, sequenceId: args.seriesId, clock: services.clock, scheduler: schedulerOf(services) })
}
