import type { FailureKind } from '../delivery'
import { decideSendFailure } from './failure'

const retryAt = new Date('2026-11-02T08:05:00Z')
const nextDueAt = new Date('2026-11-04T08:00:00Z')
const base = { message: 'the server said no', hardBounce: false, position: 1, next: { status: 'active' as const, position: 2, nextDueAt }, retryAt }

describe('decideSendFailure', () => {
  it('ends the enrollment as bounced and suppresses the address on a hard bounce, whatever the kind', () => {
    const decision = decideSendFailure({ ...base, kind: 'invalid-content', hardBounce: true })
    expect(decision).toEqual({
      delivery: { state: 'failed', errorKind: 'hard_bounce' },
      enrollment: { status: 'bounced', position: 1, nextDueAt: null, endReason: 'hard bounce' },
      suppress: true,
      countAsSent: false,
      stopBatch: false,
    })
  })

  it('never re-sends a message that may have been delivered: needs review, counted as sent, the enrollment moves on', () => {
    expect(decideSendFailure({ ...base, kind: 'unknown-outcome' })).toEqual({
      delivery: { state: 'needs_review', errorKind: 'unknown-outcome' },
      enrollment: { status: 'active', position: 2, nextDueAt, endReason: null },
      suppress: false,
      countAsSent: true,
      stopBatch: false,
    })
    // On the last step the enrollment completes, as after a send.
    const last = decideSendFailure({ ...base, kind: 'unknown-outcome', next: { status: 'completed', position: 2, nextDueAt: null } })
    expect(last.enrollment).toEqual({ status: 'completed', position: 2, nextDueAt: null, endReason: null })
  })

  it('fails the delivery and the enrollment on refused content, with the reason cut to 500 characters', () => {
    const decision = decideSendFailure({ ...base, kind: 'invalid-content', message: 'x'.repeat(600) })
    expect(decision.delivery).toEqual({ state: 'failed', errorKind: 'invalid-content' })
    expect(decision.enrollment).toEqual({ status: 'failed', position: 1, nextDueAt: null, endReason: 'x'.repeat(500) })
    expect(decision).toMatchObject({ suppress: false, countAsSent: false, stopBatch: false })
  })

  it.each(['transient', 'rate-limited', 'auth', 'disconnected'] satisfies FailureKind[])('retries the same step at retryAt after %s (nothing was sent) and stops the batch', (kind) => {
    expect(decideSendFailure({ ...base, kind })).toEqual({
      delivery: { state: 'queued', errorKind: kind },
      enrollment: { status: 'active', position: 1, nextDueAt: retryAt, endReason: null },
      suppress: false,
      countAsSent: false,
      stopBatch: true,
    })
  })

  it('an SMS recipient refused by the provider fails the step; an opted-out number is suppressed; the enrollment goes on', () => {
    const out = decideSendFailure({ ...base, kind: 'invalid-content', refused: 'opted_out' })
    expect(out.delivery).toEqual({ state: 'failed', errorKind: 'sms_opted_out' })
    expect(out.enrollment).toEqual({ status: base.next.status, position: base.next.position, nextDueAt: base.next.nextDueAt, endReason: null })
    expect(out).toMatchObject({ suppress: true, countAsSent: false, stopBatch: false })
    expect(decideSendFailure({ ...base, kind: 'invalid-content', refused: 'invalid_number' })).toMatchObject({ delivery: { errorKind: 'sms_invalid_number' }, suppress: false })
  })
})
