import { randomUUID } from 'node:crypto'
import { ConnectorError, type ChannelContent } from '../../connectors/types'
import { recordAndMark, releaseClaims, settleEnrollments, type SendRecord, type Settlement } from '../../db/queries/enrollments'
import { decideSendFailure } from '../../domain/drip/failure'
import { afterSend } from '../../domain/drip/runner'
import { TemplateError } from '../../domain/email/liquid'
import { skippedStepRefs, toDripDef, toStepDefs } from './steps/shared'
import type { DripPassReport, DripRunnerDeps, SendItem } from './steps/types'

/**
 * The sends of one batch, one at a time, whatever their channel (core/drips/steps/): each costs one
 * statement that records the previous message and marks the next one `publishing` after re-checking
 * the suppression list, the contact's status and the channel's own conditions. So at most one message
 * per worker is ever in flight without its outcome recorded.
 */
export async function sendQueue(deps: DripRunnerDeps, args: { queue: SendItem[]; claimId: string; report: DripPassReport; retryAt: Date; /** performance.now() when the batch was claimed: the lease runs from there. */ claimedAt: number }): Promise<void> {
  const { queue, claimId, report } = args
  const { db, clock } = deps
  const late: Settlement[] = []
  let record: SendRecord | null = null
  const render = (item: SendItem): ChannelContent | ConnectorError => {
    try {
      return item.channel.kind.render(deps, item)
    } catch (error) {
      // A template that cannot be rendered for this contact (a limit reached): that send fails, the batch goes on.
      if (error instanceof TemplateError) return new ConnectorError('invalid-content', `template: ${error.message}`)
      throw error
    }
  }
  let nextMessage = render(queue[0]!)
  let stopAt = queue.length
  const started = args.claimedAt
  const leaseMs = deps.leaseMs ?? 120_000
  let leaseSpent = false
  for (let i = 0; i < stopAt; i++) {
    // Never send on a claim that may have expired: past 80% of the lease (wall time since the claim, planning and
    // address verification included), give the rest back.
    if (performance.now() - started > leaseMs * 0.8) {
      stopAt = i
      leaseSpent = true
      break
    }
    if (i > 0 && i % 50 === 0) await deps.heartbeat?.()
    const item = queue[i]!
    const kind = item.channel.kind
    const e = item.enrollment
    const step = item.drip.steps[item.position]!
    const message = nextMessage
    const attemptId = randomUUID()
    const at = clock.now()
    const marking = recordAndMark(db, {
      record,
      mark: { workspaceId: e.workspaceId, sequenceId: e.sequenceId, stepId: step.id, enrollmentId: e.id, contactId: e.contactId, claimId, attemptId, dueAt: e.nextDueAt, at, ...(kind.markChannel ? { channel: kind.markChannel } : {}) },
    })
    // Render the next message while the database works on this statement.
    if (i + 1 < stopAt) nextMessage = render(queue[i + 1]!)
    const mark = await marking
    record = null
    const skippedSteps = skippedStepRefs(item.drip, item.skipped)
    const advance = afterSend({ drip: toDripDef(item.drip), steps: toStepDefs(item.drip), position: item.position, sentAt: at, enrolledAt: e.startedAt, contactTimezone: e.contact.timezone })
    if (!mark || mark.deliveryId === null) {
      if (mark && mark.alreadySettled) {
        // Sent before (a re-claimed enrollment whose delivery was recorded): just move on.
        late.push({ id: e.id, claimId, status: advance.status, stepPosition: advance.position, nextDueAt: advance.nextDueAt, endReason: null, skipped: skippedSteps })
      } else if (mark && !mark.alreadySettled && mark.blocked.enrollmentActive && mark.blocked.channelBlocked && mark.blocked.contactAllowed) {
        // The channel's own condition failed since the claim (an SMS opt-out, a lost phone or consent): skipped, the enrollment goes on.
        report.skipped++
        const reason = kind.blockedReason ?? 'blocked'
        late.push({ id: e.id, claimId, status: advance.status, stepPosition: advance.position, nextDueAt: advance.nextDueAt, endReason: advance.status === 'completed' ? 'all steps done' : null, skipped: [...skippedSteps, { workspaceId: e.workspaceId, sequenceId: e.sequenceId, stepId: step.id, reason }] })
      } else if (mark && !mark.alreadySettled && mark.blocked.enrollmentActive) {
        // Unsubscribed or suppressed since the claim: nothing is sent, the enrollment ends.
        report.blocked++
        const status = mark.blocked.suppressed || mark.blocked.status === 'unsubscribed' ? 'unsubscribed' : 'exited'
        late.push({ id: e.id, claimId, status, stepPosition: item.position, nextDueAt: null, endReason: mark.blocked.suppressed ? 'suppressed' : `contact is ${mark.blocked.status}`, skipped: skippedSteps })
      } else report.blocked++
      continue
    }
    const base = { deliveryId: mark.deliveryId, attemptId, claimId, enrollmentId: e.id, workspaceId: e.workspaceId, sequenceId: e.sequenceId, stepId: step.id, contactId: e.contactId }
    try {
      if (message instanceof ConnectorError) throw message
      const result = await kind.publish(deps, { item, content: message, idempotencyKey: `${e.id}:${step.id}` })
      const done = clock.now()
      report.sent++
      record = { ...base, state: 'published', remoteId: result.remoteId, lastError: null, lastErrorKind: null, status: advance.status, stepPosition: advance.position, nextDueAt: advance.nextDueAt, endReason: advance.status === 'completed' ? 'all steps done' : null, sentKey: `sent:${e.id}:${step.id}`, at: done }
    } catch (error) {
      const done = clock.now()
      const err = error instanceof ConnectorError ? error : new ConnectorError('unknown-outcome', (error as Error).message)
      // What the failure means is decided in domain/drip/failure.ts; here it is recorded.
      const refusal = kind.refusal?.(error, err) ?? { hardBounce: false, refused: null }
      const outcome = decideSendFailure({ kind: err.kind, message: err.message, hardBounce: refusal.hardBounce, refused: refusal.refused, position: item.position, next: advance, retryAt: args.retryAt })
      report.failed++
      if (outcome.suppress) await kind.suppress?.(deps, { item, error, err, refusal, at: done })
      const { enrollment } = outcome
      record = {
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
      if (outcome.stopBatch) stopAt = i + 1
    }
  }
  await recordAndMark(db, { record, mark: null })
  if (late.length) await settleEnrollments(db, { items: late, now: clock.now() })
  // Given back: at once when the lease ran out, after the retry delay when SMTP failed.
  if (stopAt < queue.length) await releaseClaims(db, { claimId, retryAt: leaseSpent ? clock.now() : args.retryAt })
}
