/**
 * Approval (docs/decisions/012-series-approval-threads-import.md): an editor's series waits for an
 * owner; an owner approves it once, or sends it back with a comment.
 */
import type { Tx } from '../../db/client'
import { listDeliveries, markQueued, resumeSequence } from '../../db/queries/deliveries'
import { getSeriesTiming, holdSequenceInTx, updateSeriesTiming, type SeriesTimingRow } from '../../db/queries/series'
import type { ApprovalState, Role } from '../../db/schema/index'
import type { Services } from '../services.server'
import { InputError } from '../errors'
import { changeSeries, schedulerOf } from './planning.server'

/**
 * Who saves a series. Owners' series are approved at once; an editor's new series is a `draft` held
 * until an owner approves it, and an editor's edit of an approved series sends it back for approval
 * (docs/decisions/012-series-approval-threads-import.md). Without an actor (internal callers) nothing changes.
 */
export type SeriesActor = { userId: string; role: Role }
export const needsApproval = (actor: SeriesActor | undefined): actor is SeriesActor => actor !== undefined && actor.role !== 'owner'

/**
 * An editor changed an approved series: back to `pending_approval`, and its not-yet-published deliveries
 * are held (the sequence paused, an approval pause recorded) until an owner approves again. A series the
 * user had already paused stays paused under its own pause. Returns the ids whose jobs to remove.
 */
export async function holdForApproval(tx: Tx, args: { workspaceId: string; sequenceId: string; row: SeriesTimingRow; actor: SeriesActor; now: Date }): Promise<string[]> {
  const { workspaceId, sequenceId, row, now } = args
  const open = row.pauses.at(-1) && !row.pauses.at(-1)!.until
  await updateSeriesTiming(tx, {
    workspaceId,
    sequenceId,
    now,
    timing: {
      approval: 'pending_approval',
      approvalBy: args.actor.userId,
      approvalAt: now,
      ...(open ? {} : { pauses: [...row.pauses, { from: now.toISOString(), reason: 'approval' as const }] }),
    },
  })
  return holdSequenceInTx(tx, { workspaceId, sequenceId, now })
}

async function lockSeries(tx: Tx, args: { workspaceId: string; seriesId: string }): Promise<SeriesTimingRow> {
  const row = await getSeriesTiming(tx, { workspaceId: args.workspaceId, sequenceId: args.seriesId, forUpdate: true })
  if (!row) throw new InputError('seriesId', 'No such series in this workspace', { status: 404 })
  return row
}

const APPROVAL_WORDS: Record<ApprovalState, string> = {
  draft: 'a draft',
  pending_approval: 'waiting for approval',
  changes_requested: 'sent back for changes',
  approved: 'approved',
}

/** An editor (or owner) asks an owner to approve a draft or a series sent back for changes. */
export async function submitForApproval(services: Services, args: { workspaceId: string; seriesId: string; actor: SeriesActor }): Promise<void> {
  if (args.actor.role === 'viewer') throw new InputError('role', 'Submitting a series for approval needs the editor role; you are a viewer.', { status: 403 })
  const now = services.clock.now()
  await services.database.db.transaction(async (tx) => {
    const row = await lockSeries(tx, args)
    if (row.approval === 'pending_approval' || row.approval === 'approved') {
      throw new InputError('approval', `This series is already ${APPROVAL_WORDS[row.approval]}.`, { status: 409 })
    }
    await updateSeriesTiming(tx, { workspaceId: args.workspaceId, sequenceId: args.seriesId, now, timing: { approval: 'pending_approval', approvalBy: args.actor.userId, approvalAt: now } })
  })
}

const onlyOwners = (what: string, role: Role) => new InputError('role', `Only workspace owners can ${what}; you are ${role === 'editor' ? 'an editor' : 'a viewer'}.`, { status: 403 })

/**
 * An owner approves the whole series once. Its approval hold is released like a resume with `shift`:
 * posts whose dates passed while waiting take the next dates (no burst), the others keep theirs.
 */
export async function approveSeries(services: Services, args: { workspaceId: string; seriesId: string; actor: SeriesActor }): Promise<void> {
  if (args.actor.role !== 'owner') throw onlyOwners('approve a series', args.actor.role)
  let release = false
  await changeSeries(services, {
    workspaceId: args.workspaceId,
    sequenceId: args.seriesId,
    change: async (tx, row, now) => {
      if (row.approval === 'approved') throw new InputError('approval', 'This series is already approved.', { status: 409 })
      const open = row.pauses.at(-1)
      release = !!open && !open.until && open.reason === 'approval'
      await updateSeriesTiming(tx, {
        workspaceId: args.workspaceId,
        sequenceId: args.seriesId,
        now,
        timing: {
          approval: 'approved',
          approvalComment: null,
          approvalBy: args.actor.userId,
          approvalAt: now,
          // A hold that lasted no time at all is dropped (a pause must end after it began).
          ...(release
            ? { pauses: [...row.pauses.slice(0, -1), ...(now > new Date(open!.from) ? [{ ...open!, until: now.toISOString(), policy: 'shift' as const }] : [])] }
            : {}),
        },
      })
    },
  })
  if (!release) return
  const db = services.database.db
  const { jobsSynced } = await resumeSequence(db, { workspaceId: args.workspaceId, sequenceId: args.seriesId, clock: services.clock, scheduler: schedulerOf(services) })
  // Rows that were never enqueued (a draft's) are `planned`: their jobs now exist (else the reconciler enqueues them).
  if (!jobsSynced) return
  const planned = (await listDeliveries(db, { workspaceId: args.workspaceId, sequenceId: args.seriesId })).filter((d) => d.state === 'planned')
  await markQueued(db, { workspaceId: args.workspaceId, deliveryIds: planned.map((d) => d.id), clock: services.clock })
}

/** An owner sends a series back to its editor with a comment; it stays held. */
export async function requestChanges(services: Services, args: { workspaceId: string; seriesId: string; actor: SeriesActor; comment: string }): Promise<void> {
  if (args.actor.role !== 'owner') throw onlyOwners('request changes', args.actor.role)
  const now = services.clock.now()
  await services.database.db.transaction(async (tx) => {
    const row = await lockSeries(tx, args)
    if (row.approval === 'approved') throw new InputError('approval', 'This series is approved; pause it instead.', { status: 409 })
    await updateSeriesTiming(tx, {
      workspaceId: args.workspaceId,
      sequenceId: args.seriesId,
      now,
      timing: { approval: 'changes_requested', approvalComment: args.comment, approvalBy: args.actor.userId, approvalAt: now },
    })
  })
}
