import { afterSend, conditionHolds, decideDue, firstStepDueAt, nextAnniversary, type DripDef, type DueEnrollment, type StepDef } from './runner'
import { DripInputSchema } from './schema'

const now = new Date('2026-11-02T08:00:00Z') // Monday
const drip = (settings: Partial<DripDef['settings']> = {}): DripDef => ({ id: 'd', status: 'active', timezone: 'UTC', settings: { triggers: [{ kind: 'manual' }], reentry: 'once_ever', goals: [], ...settings } })
const step = (position: number, settings: Partial<StepDef['settings']> = {}): StepDef => ({ id: `s${position}`, position, settings: { delay: 'P0D', after: 'previous-step', onFalse: 'skip', ...settings } })
const enrollment = (over: Partial<DueEnrollment> = {}): DueEnrollment => ({
  id: 'e',
  stepPosition: 0,
  startedAt: new Date('2026-11-01T00:00:00Z'),
  mailable: true,
  suppressed: false,
  recentSends: [],
  activity: [],
  contact: { id: 'c', email: 'a@b.c', name: null, timezone: null, status: 'subscribed', tags: [], fields: {}, score: 0, activity: [] },
  ...over,
})
const segments = () => undefined

describe('decideDue', () => {
  it('sends the current step when nothing stops it', () => {
    expect(decideDue({ drip: drip(), steps: [step(0)], enrollment: enrollment(), now, cap: null, segments })).toEqual({ action: 'send', position: 0, skipped: [] })
  })
  it('ends on a goal event since enrollment, and on suppression, before anything else', () => {
    const goal = enrollment({ activity: [{ type: 'event', name: 'purchase', occurredAt: new Date('2026-11-01T12:00:00Z'), enrollmentId: null, stepId: null }] })
    expect(decideDue({ drip: drip({ goals: ['purchase'] }), steps: [step(0)], enrollment: goal, now, cap: null, segments })).toMatchObject({ action: 'end', status: 'goal_reached' })
    const before = enrollment({ activity: [{ type: 'event', name: 'purchase', occurredAt: new Date('2026-10-01T12:00:00Z'), enrollmentId: null, stepId: null }] })
    expect(decideDue({ drip: drip({ goals: ['purchase'] }), steps: [step(0)], enrollment: before, now, cap: null, segments }).action).toBe('send')
    expect(decideDue({ drip: drip(), steps: [step(0)], enrollment: enrollment({ suppressed: true, mailable: false }), now, cap: null, segments })).toMatchObject({ action: 'end', status: 'unsubscribed' })
    // A bounce reported by DSN after a send suppresses the address and marks the contact bounced: the enrollment ends as bounced.
    const bounced = enrollment({ suppressed: true, mailable: false, contact: { ...enrollment().contact, status: 'bounced' } })
    expect(decideDue({ drip: drip(), steps: [step(0)], enrollment: bounced, now, cap: null, segments })).toMatchObject({ action: 'end', status: 'bounced' })
  })
  it('skips, exits or jumps on a false condition; a later step waits its delay after the skip', () => {
    const neverOpened = { kind: 'email' as const, activity: 'opened' as const, step: 0 }
    const steps = [step(0), step(1, { condition: neverOpened }), step(2, { delay: 'PT2H' }), step(3)]
    expect(decideDue({ drip: drip(), steps, enrollment: enrollment({ stepPosition: 1 }), now, cap: null, segments })).toEqual({ action: 'defer', position: 2, at: new Date('2026-11-02T10:00:00Z'), skipped: [1], reason: 'next step after a skip' })
    const exit = [step(0), step(1, { condition: neverOpened, onFalse: 'exit' })]
    expect(decideDue({ drip: drip(), steps: exit, enrollment: enrollment({ stepPosition: 1 }), now, cap: null, segments })).toMatchObject({ action: 'end', status: 'exited' })
    const jump = [step(0), step(1, { condition: neverOpened, onFalse: { goto: 3 } }), step(2), step(3)]
    expect(decideDue({ drip: drip(), steps: jump, enrollment: enrollment({ stepPosition: 1 }), now, cap: null, segments })).toEqual({ action: 'send', position: 3, skipped: [1, 2] })
  })
  it('defers a capped message to when the cap allows (never drops it), inside the window', () => {
    const recentSends = [new Date('2026-11-01T20:00:00Z'), new Date('2026-11-02T07:00:00Z')]
    expect(decideDue({ drip: drip(), steps: [step(0)], enrollment: enrollment({ recentSends }), now, cap: { max: 2, periodHours: 24 }, segments })).toMatchObject({ action: 'defer', at: new Date('2026-11-02T20:00:00Z'), reason: 'frequency cap' })
    const windowed = drip({ window: { days: ['MO', 'TU', 'WE', 'TH', 'FR'], start: '09:00', end: '17:00' } })
    expect(decideDue({ drip: windowed, steps: [step(0)], enrollment: enrollment({ recentSends }), now: new Date('2026-11-02T10:00:00Z'), cap: { max: 2, periodHours: 24 }, segments })).toMatchObject({ action: 'defer', at: new Date('2026-11-03T09:00:00Z') })
  })
  it('a late runner outside the window waits for it', () => {
    const windowed = drip({ window: { days: ['MO'], start: '09:00', end: '10:00' } })
    expect(decideDue({ drip: windowed, steps: [step(0)], enrollment: enrollment(), now, cap: null, segments })).toMatchObject({ action: 'defer', at: new Date('2026-11-02T09:00:00Z') })
  })
})

describe('conditions', () => {
  const sent = { type: 'sent', name: null, occurredAt: new Date('2026-11-01T00:00:00Z'), enrollmentId: 'e', stepId: 's0' }
  const opened = (at: string, enrollmentId = 'e') => ({ type: 'opened', name: null, occurredAt: new Date(at), enrollmentId, stepId: 's0' })
  const holds = (activity: DueEnrollment['activity'], withinDays?: number, negate?: boolean) =>
    conditionHolds({ condition: { kind: 'email', activity: 'opened', step: 0, withinDays, negate }, enrollment: enrollment({ activity }), steps: [step(0)], now, segments })
  it('opened within N days of the step’s send, in this enrollment only', () => {
    expect(holds([sent, opened('2026-11-01T10:00:00Z')], 1)).toBe(true)
    expect(holds([sent, opened('2026-11-02T10:00:00Z')], 1)).toBe(false)
    expect(holds([sent, opened('2026-11-01T10:00:00Z', 'other')], 1)).toBe(false)
    expect(holds([sent], undefined, true)).toBe(true)
  })
  it('event happened since enrollment or within N days', () => {
    const ev = { type: 'event', name: 'demo', occurredAt: new Date('2026-10-30T00:00:00Z'), enrollmentId: null, stepId: null }
    expect(conditionHolds({ condition: { kind: 'event', event: 'demo' }, enrollment: enrollment({ activity: [ev] }), steps: [], now, segments })).toBe(false)
    expect(conditionHolds({ condition: { kind: 'event', event: 'demo', withinDays: 7 }, enrollment: enrollment({ activity: [ev] }), steps: [], now, segments })).toBe(true)
  })
})

describe('timing', () => {
  it('first step and next step in the contact’s zone', () => {
    const d = drip({ window: { days: ['MO', 'TU', 'WE', 'TH', 'FR'], start: '09:00', end: '17:00' } })
    expect(firstStepDueAt({ drip: d, step: step(0), contactTimezone: 'America/New_York', enrolledAt: now })).toEqual(new Date('2026-11-02T14:00:00Z'))
    expect(firstStepDueAt({ drip: d, step: step(0), contactTimezone: 'Not/AZone', enrolledAt: now })).toEqual(new Date('2026-11-02T09:00:00Z'))
    expect(afterSend({ drip: d, steps: [step(0), step(1, { delay: 'P1D' })], position: 0, sentAt: new Date('2026-11-06T15:00:00Z'), enrolledAt: now, contactTimezone: null })).toEqual({
      status: 'active',
      position: 1,
      nextDueAt: new Date('2026-11-09T09:00:00Z'),
    })
    expect(afterSend({ drip: d, steps: [step(0)], position: 0, sentAt: now, enrolledAt: now, contactTimezone: null })).toEqual({ status: 'completed', position: 1, nextDueAt: null })
  })
  it('anniversaries: local time in the zone, Feb 29 on Feb 28 in other years', () => {
    expect(nextAnniversary({ date: '1990-11-03', time: '09:00', zone: 'Asia/Tokyo', from: now })).toEqual({ at: new Date('2026-11-03T00:00:00Z'), year: 2026 })
    expect(nextAnniversary({ date: '2000-02-29', time: '09:00', zone: 'UTC', from: now })).toEqual({ at: new Date('2027-02-28T09:00:00Z'), year: 2027 })
    expect(nextAnniversary({ date: '2000-02-29', time: '09:00', zone: 'UTC', from: new Date('2028-01-01T00:00:00Z') })).toEqual({ at: new Date('2028-02-29T09:00:00Z'), year: 2028 })
    expect(nextAnniversary({ date: 'nope', time: '09:00', zone: 'UTC', from: now })).toBeNull()
  })
})

describe('DripInputSchema', () => {
  it('names the field of the first problem', () => {
    const bad = DripInputSchema.safeParse({ name: 'x', steps: [{ subject: 'a', markdown: 'b', delay: 'soon' }] })
    expect(bad.success).toBe(false)
    expect(bad.error!.issues[0]!.path).toEqual(['steps', 0, 'delay'])
    const order = DripInputSchema.safeParse({ name: 'x', steps: [{ subject: 'a', markdown: 'b', condition: { kind: 'email', activity: 'opened', step: 0 } }] })
    expect(order.error!.issues[0]!.path).toEqual(['steps', 0, 'condition', 'step'])
    expect(DripInputSchema.safeParse({ name: 'x\u0000', steps: [{ subject: 'a', markdown: 'b' }] }).success).toBe(false)
  })
})

describe('decideDue across channels (decision 096)', () => {
  const unsubscribed = (over: Partial<DueEnrollment> = {}) => enrollment({ mailable: false, suppressed: true, contact: { ...enrollment().contact, status: 'unsubscribed' }, ...over })
  const sms = (position: number, settings: Partial<StepDef['settings']> = {}): StepDef => ({ ...step(position, settings), channel: 'sms' })
  it('skips an email step the contact can no longer receive, with the reason, and sends the text after it', () => {
    expect(decideDue({ drip: drip(), steps: [step(0), sms(1)], enrollment: unsubscribed(), now, cap: null, segments })).toEqual({ action: 'send', position: 1, skipped: [0], reasons: { 0: 'email: contact unsubscribed' } })
    const bounced = unsubscribed({ contact: { ...enrollment().contact, status: 'bounced' } })
    expect(decideDue({ drip: drip(), steps: [step(0), { ...step(1), channel: 'mail' }], enrollment: bounced, now, cap: null, segments })).toMatchObject({ action: 'send', position: 1, reasons: { 0: 'email: address bounced' } })
  })
  it('ends as before when only email steps remain, and on every channel for a complaint (but an action still runs)', () => {
    expect(decideDue({ drip: drip(), steps: [sms(0), step(1)], enrollment: unsubscribed({ stepPosition: 1 }), now, cap: null, segments })).toMatchObject({ action: 'end', status: 'unsubscribed' })
    const complained = unsubscribed({ complained: true, contact: { ...enrollment().contact, status: 'complained' } })
    expect(decideDue({ drip: drip(), steps: [step(0), sms(1)], enrollment: complained, now, cap: null, segments })).toMatchObject({ action: 'end', status: 'unsubscribed' })
    expect(decideDue({ drip: drip(), steps: [sms(0), { ...step(1), channel: 'action' }], enrollment: complained, now, cap: null, segments })).toEqual({ action: 'send', position: 1, skipped: [0], reasons: { 0: 'contact complained (spam)' } })
    const pending = enrollment({ mailable: false, contact: { ...enrollment().contact, status: 'pending' } })
    expect(decideDue({ drip: drip(), steps: [sms(0)], enrollment: pending, now, cap: null, segments })).toMatchObject({ action: 'end', status: 'exited' })
  })
  it('a skipped email step’s successor waits its own delay from the skip', () => {
    expect(decideDue({ drip: drip(), steps: [step(0), sms(1, { delay: 'PT2H' })], enrollment: unsubscribed(), now, cap: null, segments })).toEqual({
      action: 'defer',
      position: 1,
      at: new Date('2026-11-02T10:00:00Z'),
      skipped: [0],
      reason: 'next step after a skip',
      reasons: { 0: 'email: contact unsubscribed' },
    })
  })
})
