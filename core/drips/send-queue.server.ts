import { randomUUID } from 'node:crypto'
import { ConnectorError, type ChannelContent } from '../../connectors/types'
import { releaseClaims, settleEnrollments, type MarkResult, type SendRecord, type Settlement } from '../../db/queries/enrollments'
import { recordAndMarkGroup } from '../../db/queries/send-groups'
import { decideSendFailure } from '../../domain/drip/failure'
import { afterSend } from '../../domain/drip/runner'
import { TemplateError } from '../../domain/email/liquid'
import { skippedStepRefs, toDripDef, toStepDefs } from './steps/shared'
import type { DripPassReport, DripRunnerDeps, SendItem } from './steps/types'

/** Messages a worker may have handed over without their outcome recorded (decision 099); 1 is decision 016's one at a time. */
export const DEFAULT_SEND_WINDOW = 10

/**
 * The sends of one batch, whatever their channel (core/drips/steps/), as a pipeline with group commit
 * (decision 099). Messages are marked `publishing` ahead, up to the window, by a statement that re-checks
 * each contact's status, the suppression list, the claim and the channel's own conditions; they are
 * handed to the connector (whose pool spreads them over its connections) as long as fewer than
 * `sendWindow` messages are handed over without their outcome recorded; as soon as half a window of
 * replies is in (or the last ones), one statement records them and marks the next messages, while the
 * rest stay in flight. Up to two statements run at once (decision 113): the next group's record does not
 * wait for the previous group's commit, and the messages a statement marks are rendered while it runs.
 * So a SIGKILL re-sends at most `sendWindow` messages (each with its original's
 * Message-ID) and loses none. Kinds without `concurrentSends` (SMS, direct mail) use a window of 1: one
 * at a time, one statement per message, as in decision 016.
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

/** Sends `queue` keeping at most `window` messages unrecorded; returns the items never marked (to give back). */
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
    } else if (mark && !mark.alreadySettled && mark.deliveryId === null && mark.blocked.enrollmentActive && mark.blocked.channelBlocked && mark.blocked.contactAllowed) {
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

  type Planned = { item: SendItem; attemptId: string; message: ChannelContent | ConnectorError; deliveryId: string; at: Date }
  const window = args.window
  /** Replies recorded together: a statement starts once this many are in (or nothing more is coming). */
  const group = Math.ceil(window / 2)
  /** Statements at once: a group's record may start while the previous group's commits (they touch different rows). */
  const maxStatements = window > 1 ? 2 : 1
  /** Marked `publishing`, not handed over yet (never more than the window). */
  const ready: Planned[] = []
  /** Handed over, reply not in yet. */
  let inflight = 0
  /** Replies in, outcome not being recorded yet. */
  const done: SendRecord[] = []
  /** Outcomes in running statements (still unrecorded until they commit), and messages being marked. */
  let recording = 0
  let marking = 0
  let statements = 0
  let failure: { error: unknown } | null = null
  let beating = false

  /** A marked message that will not be sent (the batch stopped): recorded as `queued`, its enrollment due again. */
  const notSent = (p: Planned): SendRecord => {
    const e = p.item.enrollment
    return {
      deliveryId: p.deliveryId, attemptId: p.attemptId, claimId, enrollmentId: e.id, workspaceId: e.workspaceId, sequenceId: e.sequenceId, stepId: p.item.drip.steps[p.item.position]!.id, contactId: e.contactId,
      state: 'queued', remoteId: null, lastError: null, lastErrorKind: null, status: 'active', stepPosition: p.item.position, nextDueAt: state.leaseSpent ? clock.now() : args.retryAt, endReason: null, sentKey: null, at: clock.now(),
    }
  }

  return new Promise<SendItem[]>((resolve, reject) => {
    const fail = (error: unknown) => {
      failure ??= { error }
      state.stopped = true
      pump()
    }
    const pump = (): void => {
      try {
        step()
      } catch (error) {
        // A render that threw something other than a template error: mark nothing more, record what is in, then fail the pass.
        fail(error)
      }
    }
    const handOver = (p: Planned): void => {
      inflight++
      state.sinceHeartbeat++
      send(p.item, p.message, p.deliveryId, p.attemptId, p.at).then(
        (record) => {
          inflight--
          done.push(record)
          pump()
        },
        (error) => {
          inflight--
          fail(error)
        },
      )
    }
    const step = (): void => {
      // Never send on a claim that may have expired: past 80% of the lease (wall time since the claim, planning and
      // address verification included), stop and give the rest back.
      if (!state.stopped && performance.now() - args.claimedAt > leaseMs * 0.8) {
        state.stopped = true
        state.leaseSpent = true
      }
      // Hand over what the window allows: at most `window` messages without their outcome recorded.
      while (!state.stopped && ready.length > 0 && inflight + done.length + recording < window) handOver(ready.shift()!)
      if (state.sinceHeartbeat >= 50 && !beating && deps.heartbeat) {
        state.sinceHeartbeat = 0
        beating = true
        void deps.heartbeat().finally(() => (beating = false))
      }
      if (state.stopped) for (const p of ready.splice(0)) done.push(notSent(p))
      while (statements < maxStatements) {
        // Marked ahead up to a window (topped up by every statement); a statement only to mark when nothing is ready and the window has room.
        const room = !state.stopped && next < queue.length ? Math.min(queue.length - next, window - ready.length - marking) : 0
        const recordDue = done.length >= group || (done.length > 0 && inflight === 0)
        const markDue = room > 0 && ready.length + marking === 0 && inflight + done.length + recording < window
        if (!recordDue && !markDue) break
        statement(done.splice(0), room)
      }
      if (statements === 0 && inflight === 0 && done.length === 0 && ready.length === 0 && (state.stopped || next >= queue.length)) {
        if (failure) reject(failure.error)
        else resolve(queue.slice(next))
      }
    }
    /** One statement: record `records` (replies that are in) and mark the next `count` messages `publishing`. */
    const statement = (records: SendRecord[], count: number): void => {
      const at = clock.now()
      const marks = queue.slice(next, next + count).map((item) => ({ item, attemptId: randomUUID() }))
      next += marks.length
      statements++
      recording += records.length
      marking += marks.length
      const written = recordAndMarkGroup(db, {
        records,
        marks: marks.map(({ item, attemptId }) => {
          const e = item.enrollment
          const kind = item.channel.kind
          return { workspaceId: e.workspaceId, sequenceId: e.sequenceId, stepId: item.drip.steps[item.position]!.id, enrollmentId: e.id, contactId: e.contactId, claimId, attemptId, dueAt: e.nextDueAt, at, ...(kind.markChannel ? { channel: kind.markChannel } : {}) }
        }),
      })
      // Rendered while the statement is on its way: the messages are ready to hand over when it commits. A render
      // that throws (other than a template error) stops the batch: its marked messages are recorded as not sent.
      let renderError: { error: unknown } | null = null
      const messages = marks.map(({ item }) => {
        if (renderError) return null
        try {
          return render(item)
        } catch (error) {
          renderError = { error }
          return null
        }
      })
      written.then(
        (results) => {
          statements--
          recording -= records.length
          marking -= marks.length
          try {
            marks.forEach((m, i) => {
              const mark = results.get(m.item.enrollment.id)
              const message = messages[i]
              if (!mark?.deliveryId) unmarked(m.item, mark, at)
              else if (renderError || !message) done.push(notSent({ ...m, message: new ConnectorError('unknown-outcome', 'not rendered'), deliveryId: mark.deliveryId, at }))
              else ready.push({ ...m, message, deliveryId: mark.deliveryId, at })
            })
          } catch (error) {
            return fail(error)
          }
          if (renderError) return fail(renderError.error)
          pump()
        },
        (error) => {
          statements--
          recording -= records.length
          marking -= marks.length
          // Marked in a statement that failed: nothing was written, so nothing is lost; the claims expire.
          fail(error)
        },
      )
    }
    pump()
  })
}
