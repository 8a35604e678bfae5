/**
 * What a failed drip send means for its delivery and its enrollment: the drip runner's counterpart of
 * `decideFailure` (domain/delivery.ts) for posts. Pure: the runner passes the error's kind, the step's
 * position, where the enrollment goes after a send, and when to retry; it records the answer.
 */
import type { FailureKind } from '../delivery'
import type { EnrollmentStatus } from './schema'

export type SendFailureDecision = {
  /** The delivery's state afterwards and the kind recorded with its error. */
  delivery: { state: 'failed' | 'needs_review' | 'queued'; errorKind: string }
  /** The enrollment afterwards. */
  enrollment: { status: EnrollmentStatus; position: number; nextDueAt: Date | null; endReason: string | null }
  /** The receiving server rejected the address permanently: suppress it and record a bounce. */
  suppress: boolean
  /** The message may have been delivered: it counts as sent (the `sent` event, the frequency cap). */
  countAsSent: boolean
  /** Send nothing more in this batch and give the rest back until `retryAt` (the server is likely down for them too). */
  stopBatch: boolean
}

/**
 * The outcome of a send that failed with an error of `kind`:
 * - a hard bounce (the recipient rejected permanently) → delivery `failed`, enrollment `bounced`, address suppressed;
 * - `unknown-outcome` (maybe delivered) → `needs_review`, never re-sent automatically (at most once): the
 *   enrollment moves on as after a send (`next`);
 * - `invalid-content` (the message was refused) → delivery and enrollment `failed`;
 * - `transient`, `rate-limited`, `auth`, `disconnected` (provably not sent) → delivery `queued` and the
 *   enrollment due again at `retryAt` on the same step; the batch stops.
 */
export function decideSendFailure(args: {
  kind: FailureKind
  message: string
  /** The error is a permanent rejection of the recipient (an SMTP 5xx at RCPT TO). */
  hardBounce: boolean
  /** SMS: the provider refused the recipient (opted out at the carrier, or not a textable number): the step fails, the enrollment goes on. */
  refused?: 'opted_out' | 'invalid_number' | null
  /** The step that was being sent. */
  position: number
  /** Where the enrollment goes after a send of this step (domain/drip/runner.ts `afterSend`). */
  next: { status: 'active' | 'completed'; position: number; nextDueAt: Date | null }
  retryAt: Date
}): SendFailureDecision {
  const { kind, position } = args
  const ended = (status: EnrollmentStatus, endReason: string) => ({ status, position, nextDueAt: null, endReason })
  if (args.hardBounce) {
    return { delivery: { state: 'failed', errorKind: 'hard_bounce' }, enrollment: ended('bounced', 'hard bounce'), suppress: true, countAsSent: false, stopBatch: false }
  }
  if (args.refused) {
    const next = { status: args.next.status, position: args.next.position, nextDueAt: args.next.nextDueAt, endReason: null }
    return { delivery: { state: 'failed', errorKind: `sms_${args.refused}` }, enrollment: next, suppress: args.refused === 'opted_out', countAsSent: false, stopBatch: false }
  }
  switch (kind) {
    case 'unknown-outcome':
      return {
        delivery: { state: 'needs_review', errorKind: kind },
        enrollment: { status: args.next.status, position: args.next.position, nextDueAt: args.next.nextDueAt, endReason: null },
        suppress: false,
        countAsSent: true,
        stopBatch: false,
      }
    case 'invalid-content':
      return { delivery: { state: 'failed', errorKind: kind }, enrollment: ended('failed', args.message.slice(0, 500)), suppress: false, countAsSent: false, stopBatch: false }
    case 'transient':
    case 'rate-limited':
    case 'auth':
    case 'disconnected':
      return {
        delivery: { state: 'queued', errorKind: kind },
        enrollment: { status: 'active', position, nextDueAt: args.retryAt, endReason: null },
        suppress: false,
        countAsSent: false,
        stopBatch: true,
      }
  }
}
