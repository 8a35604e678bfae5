import { randomUUID } from 'node:crypto'
import { ConnectorError, type ChannelContent } from '../../connectors/types'
import { releaseClaims, settleEnrollments, type MarkResult, type SendRecord, type Settlement } from '../../db/queries/enrollments'
import { recordAndMarkGroup } from '../../db/queries/send-groups'
import { decideSendFailure } from '../../domain/drip/failure'
import { afterSend } from '../../domain/drip/runner'
import { TemplateError } from '../../domain/email/liquid'
import { skippedStepRefs, toDripDef, toStepDefs } from './steps/shared'
import type { DripPassReport, DripRunnerDeps, SendItem } from './steps/types'
import { receivesMarketing } from '../../domain/email/contact'

/** Messages a worker may have handed over without their outcome recorded (decision 099); 1 is decision 016's one at a time. */
export const DEFAULT_SEND_WINDOW = 10

/**
 * The sends of one batch, whatever their channel (core/drips/steps/), as a pipeline of groups
 * (decision 099). One statement records the outcomes of a group whose replies are all in and marks
 * the next group `publishing` after re-checking, for each of its contacts, the suppression list, the
 * status and the channel's own conditions; then that group is sent at once (the connector's pool
 * spreads it over its connections). Two such lanes alternate, so one lane's statement overlaps the
 * other's SMTP round trips. At most `sendWindow` messages per worker are ever handed over without
 * their outcome recorded: a SIGKILL re-sends at most that many (each with its original's Message-ID),
 * loses none. Kinds without `concurrentSends` (SMS, direct mail) keep a window of 1: one at a time,
 * one statement per message, as in decision 016.
 */
export async function sendQueue(deps: DripRunnerDeps, args: { queue: SendItem[]; claimId: string; report: DripPassReport; retryAt: Date; /** performance.now() when the batch was claimed: the lease runs from there. */ claimedAt: number }): Promise<void> {
  const window = Math.max(1, Math.floor(deps.sendWindow ?? DEFAULT_SEND_WINDOW))
  const grouped = args.queue.filter((q) => q.channel.kind.concurrentSends)
  const single = args.queue.filter((q) => !q.channel.kind.concurrentSends)
  const state: QueueState = { stopped: false, leaseSpent: false, sinceHeartbeat: 0, late: [] }
  // One kind after the other: the window bounds what is in flight at any moment.
  const left = [...(await sendGroups(deps, { ...args, queue: grouped, window: grouped.length ? window : 1, state })), ...(await sendGroups(deps, { ...args, queue: single, window: 1, state }))]
  if (state.late.length) await settleEnrollments(deps.db, { items: state.late, now: deps.clock.now() })
  // Given back: at once when the lease ran out, after the retry delay when the channel failed.
  if (left.length) await releaseClaims(deps.db, { claimId: args.claimId, retryAt: state.leaseSpent ? deps.clock.now() : args.retryAt })
}

type QueueState = { stopped: boolean; leaseSpent: boolean; sinceHeartbeat: number; late: Settlement[] }

/** Sends `queue` in groups over two lanes (one for a window of 1); returns the items never marked (to give back). */
async function sendGroups(deps: DripRunnerDeps, args: { queue: SendItem[]; claimId: string; report: DripPassReport; retryAt: Date; claimedAt: number; window: number; state: QueueState }): Promise<SendItem[]> {
  const { queue, claimId, report, state } = args
  const { db, clock } = deps
  const leaseMs = deps.leaseMs ?? 120_000
  const render = (item: SendItem): ChannelContent | ConnectorError => {
    try {
      return item.channel.kind.render(deps, item)
    } catch (error) {
      // A template that cannot be rendered for this contact (a limit reached): that send fails, the batch goes on.
      if (error instanceof TemplateError) return new ConnectorError('invalid-content', `template: ${error.message}`)
      throw error
    }
  }
  let next = 0

  /** Decide what an unmarked item means (sent before, blocked since the claim); returns nothing to send. */
  const unmarked = (item: SendItem, mark: MarkResult | undefined, at: Date): void => {
    const e = item.enrollment
    const step = item.drip.steps[item.position]!
    const skippedSteps = skippedStepRefs(item.drip, item.skipped)
    const advance = afterSend({ drip: toDripDef(item.drip), steps: toStepDefs(item.drip), position: item.position, sentAt: at, enrolledAt: e.startedAt, contactTimezone: e.contact.timezone })
    if (mark && mark.alreadySettled) {
      // Sent before (a re-claimed enrollment whose delivery was recorded): just move on.
      state.late.push({ id: e.id, claimId, status: advance.status, stepPosition: advance.position, nextDueAt: advance.nextDueAt, endReason: null, skipped: skippedSteps })
    } else if (mark && !mark.alreadySettled && mark.deliveryId === null && mark.blocked.enrollmentActive && mark.blocked.channelBlocked && receivesMarketing(mark.blocked)) {
      // The channel's own condition failed since the claim (an SMS opt-out, a lost phone or consent): skipped, the enrollment goes on.
      report.skipped++
      const reason = item.channel.kind.blockedReason ?? 'blocked'
      state.late.push({ id: e.id, claimId, status: advance.status, stepPosition: advance.position, nextDueAt: advance.nextDueAt, endReason: advance.status === 'completed' ? 'all steps done' : null, skipped: [...skippedSteps, { workspaceId: e.workspaceId, sequenceId: e.sequenceId, stepId: step.id, reason }] })
    } else if (mark && !mark.alreadySettled && mark.deliveryId === null && mark.blocked.enrollmentActive) {
      // Unsubscribed or suppressed since the claim: nothing is sent, the enrollment ends.
      report.blocked++
      const status = mark.blocked.suppressed || mark.blocked.status === 'unsubscribed' ? 'unsubscribed' : 'exited'
      state.late.push({ id: e.id, claimId, status, stepPosition: item.position, nextDueAt: null, endReason: mark.blocked.suppressed ? 'suppressed' : `contact is ${mark.blocked.status}`, skipped: skippedSteps })
    } else report.blocked++
  }

  /** Send one marked message; never throws: its outcome comes back as the record to write. */
  const send = async (item: SendItem, message: ChannelContent | ConnectorError, deliveryId: string, attemptId: string, at: Date): Promise<SendRecord> => {
    const kind = item.channel.kind
    const e = item.enrollment
    const step = item.drip.steps[item.position]!
    const advance = afterSend({ drip: toDripDef(item.drip), steps: toStepDefs(item.drip), position: item.position, sentAt: at, enrolledAt: e.startedAt, contactTimezone: e.contact.timezone })
    const base = { deliveryId, attemptId, claimId, enrollmentId: e.id, workspaceId: e.workspaceId, sequenceId: e.sequenceId, stepId: step.id, contactId: e.contactId }
    try {
      if (message instanceof ConnectorError) throw message
      const result = await kind.publish(deps, { item, content: message, idempotencyKey: `${e.id}:${step.id}` })
      report.sent++
      return { ...base, state: 'published', remoteId: result.remoteId, lastError: null, lastErrorKind: null, status: advance.status, stepPosition: advance.position, nextDueAt: advance.nextDueAt, endReason: advance.status === 'completed' ? 'all steps done' : null, sentKey: `sent:${e.id}:${step.id}`, at: clock.now() }
    } catch (error) {
      const done = clock.now()
      const err = error instanceof ConnectorError ? error : new ConnectorError('unknown-outcome', (error as Error).message)
      // What the failure means is decided in domain/drip/failure.ts; here it is recorded.
      const refusal = kind.refusal?.(error, err) ?? { hardBounce: false, refused: null }
      const outcome = decideSendFailure({ kind: err.kind, message: err.message, hardBounce: refusal.hardBounce, refused: refusal.refused, position: item.position, next: advance, retryAt: args.retryAt })
      report.failed++
      if (outcome.suppress) await kind.suppress?.(deps, { item, error, err, refusal, at: done })
      if (outcome.stopBatch) state.stopped = true
      const { enrollment } = outcome
      return {
        ...base,
        state: outcome.delivery.state,
        remoteId: null,
        lastError: err.message,
        lastErrorKind: outcome.delivery.errorKind,
        status: enrollment.status,
        stepPosition: enrollment.position,
        nextDueAt: enrollment.nextDueAt,
        endReason: enrollment.endReason,
        sentKey: outcome.countAsSent ? `sent:${e.id}:${step.id}` : null,
        at: done,
      }
    }
  }

  /** One lane: take a group, record the lane's previous group and mark this one in one statement, send it, repeat. */
  const lane = async (size: number): Promise<void> => {
    let records: SendRecord[] = []
    for (;;) {
      // Never send on a claim that may have expired: past 80% of the lease (wall time since the claim, planning and
      // address verification included), give the rest back.
      if (!state.stopped && performance.now() - args.claimedAt > leaseMs * 0.8) {
        state.stopped = true
        state.leaseSpent = true
      }
      if (state.stopped || next >= queue.length) break
      const group = queue.slice(next, next + size)
      next += group.length
      state.sinceHeartbeat += group.length
      if (state.sinceHeartbeat >= 50) {
        state.sinceHeartbeat = 0
        await deps.heartbeat?.()
      }
      const at = clock.now()
      const planned = group.map((item) => ({ item, attemptId: randomUUID(), message: render(item) }))
      const marks = await recordAndMarkGroup(db, {
        records,
        marks: planned.map(({ item, attemptId }) => {
          const e = item.enrollment
          const kind = item.channel.kind
          return { workspaceId: e.workspaceId, sequenceId: e.sequenceId, stepId: item.drip.steps[item.position]!.id, enrollmentId: e.id, contactId: e.contactId, claimId, attemptId, dueAt: e.nextDueAt, at, ...(kind.markChannel ? { channel: kind.markChannel } : {}) }
        }),
      })
      records = []
      const sends: Array<Promise<SendRecord>> = []
      for (const p of planned) {
        const mark = marks.get(p.item.enrollment.id)
        if (mark?.deliveryId) sends.push(send(p.item, p.message, mark.deliveryId, p.attemptId, at))
        else unmarked(p.item, mark, at)
      }
      records = await Promise.all(sends)
    }
    if (records.length) await recordAndMarkGroup(db, { records, marks: [] })
  }

  const sizes = args.window === 1 ? [1] : [Math.ceil(args.window / 2), Math.floor(args.window / 2)]
  // Both lanes end before this returns, even when one fails (a statement's error): nothing runs on behind the pass.
  const ended = await Promise.allSettled(sizes.map(lane))
  for (const r of ended) if (r.status === 'rejected') throw r.reason
  return queue.slice(next)
}
