/**
 * What the drip runner does with one due enrollment (docs/decisions/016-drip-engine.md). Pure: the
 * clock, the contact, their activity and recent sends are arguments; the runner records the answer.
 */
import { checkFrequencyCap } from '../email/frequency'
import { matchesSegment, type ContactFacts } from '../email/segment'
import type { FrequencyCap, SegmentRule } from '../email/types'
import { reachableOn, unreachableReason, type ReachFacts, type StepChannel } from '../email/contact'
import { firstAllowedInstant, nextDripSendAt, type QuietHours, type SendWindow } from '../timing/drip'
import { civil, DAY, daysInMonth, instantToWall, isValidTimeZone, parseLocal, wallToInstant } from '../timing/zone'
import type { DripCondition, DripSettings, DripStepSettings, EnrollmentStatus } from './schema'
import type { WaitUntil } from './actions'

export type DripDef = { id: string; status: string; timezone: string; settings: DripSettings }
/** `channel`: what the step does (absent: email); a step whose channel cannot reach the contact is skipped (decision 096). */
export type StepDef = { id: string; position: number; settings: DripStepSettings; channel?: StepChannel; /** A wait-until action step's wait (decision 096). */ wait?: { until: WaitUntil; timeout: string } }

export type Activity = { type: string; name: string | null; occurredAt: Date; enrollmentId: string | null; stepId: string | null }

/**
 * Whether a step of the drip at or after position `from` can reach the contact (decision 096): the one rule
 * that keeps an enrollment going when email is closed to the contact, and that lets manual, CSV and bulk
 * enrollment take a contact who cannot be emailed into a drip with texts, postcards or actions for them.
 */
export function dripReaches(steps: ReadonlyArray<Pick<StepDef, 'position' | 'channel'>>, facts: ReachFacts, from = 0): boolean {
  return steps.some((s) => s.position >= from && reachableOn(s.channel ?? 'email', facts))
}

/** The zone a contact's times are computed in: theirs if valid, else the drip's. */
export function zoneFor(drip: Pick<DripDef, 'timezone'>, contactTimezone: string | null | undefined): string {
  return contactTimezone && isValidTimeZone(contactTimezone) ? contactTimezone : drip.timezone
}

/** What timing a step needs of its drip and of itself (the timeline preview passes no more). */
type TimedDrip = { timezone: string; settings: Pick<DripSettings, 'window' | 'quietHours'> }
type TimedStep = { settings: Pick<DripStepSettings, 'delay' | 'after' | 'window' | 'quietHours'> }

function rulesFor(drip: TimedDrip, step: TimedStep, zone: string): { timezone: string; window?: SendWindow; quietHours?: QuietHours } {
  return { timezone: zone, window: step.settings.window ?? drip.settings.window, quietHours: step.settings.quietHours ?? drip.settings.quietHours }
}

/**
 * When step `step` is due: its delay after its anchor (the enrollment, or the previous step's send / skip),
 * moved into the window. The one timing rule: enrollment, the runner after a send or a skip, the volume
 * projection and the builder's timeline preview (domain/drip/timeline.ts) all call it.
 */
export function stepDueAt(args: { drip: TimedDrip; step: TimedStep; contactTimezone: string | null; enrolledAt: Date; previousAt: Date }): Date {
  const zone = zoneFor(args.drip, args.contactTimezone)
  const anchor = args.step.settings.after === 'enrollment' ? args.enrolledAt : args.previousAt
  return nextDripSendAt({ ...rulesFor(args.drip, args.step, zone), anchor, offset: args.step.settings.delay })
}

export function firstStepDueAt(args: { drip: TimedDrip; step: TimedStep; contactTimezone: string | null; enrolledAt: Date }): Date {
  return stepDueAt({ ...args, previousAt: args.enrolledAt })
}

export type DueEnrollment = {
  id: string
  stepPosition: number
  startedAt: Date
  contact: ContactFacts & { id: string }
  /** The contact may be mailed (subscribed and not suppressed) as of the claim. */
  mailable: boolean
  suppressed: boolean
  /** The address is suppressed for a spam complaint (closes every channel, not only email). */
  complained?: boolean
  /** Why the address is on the suppression list (`hard_bounce`, `complaint`, `unsubscribed`, `manual`); null: it is not. */
  suppressionReason?: string | null
  /** When the enrollment began waiting at its current (wait-until) step; null: not waiting. */
  waitingSince?: Date | null
  /** When emails went to this contact within the frequency cap's period (any drip), including this batch's. */
  recentSends: Date[]
  activity: Activity[]
}

/** Why steps were skipped on purpose, by position (a step its channel cannot reach: "email: contact unsubscribed"); absent when none. */
type SkipReasons = { reasons?: Record<number, string> }

export type Decision =
  /** Send step `position` now (a wait-until step: its wait is over; `note` says it timed out). */
  | ({ action: 'send'; position: number; skipped: number[]; note?: string } & SkipReasons)
  /** Not now: look again at `at` (cap, window, a wait); `position` may have moved past skipped steps. `waitingSince`: a wait-until step began (or goes on) waiting. */
  | ({ action: 'defer'; position: number; at: Date; skipped: number[]; reason: string; waitingSince?: Date } & SkipReasons)
  /** The enrollment ends. */
  | ({ action: 'end'; status: Exclude<EnrollmentStatus, 'active'>; reason: string; skipped: number[]; position: number } & SkipReasons)

export type SegmentLookup = (segmentId: string) => SegmentRule | undefined

/** Evaluate a step's condition for one enrollment. */
export function conditionHolds(args: { condition: DripCondition; enrollment: DueEnrollment; steps: StepDef[]; now: Date; segments: SegmentLookup }): boolean {
  const { condition: c, enrollment, now } = args
  switch (c.kind) {
    case 'email': {
      if (c.step === undefined) {
        // The contact's email state now (decision 096): its status, or its address suppressed for that reason.
        const reason = enrollment.suppressionReason ?? null
        const hit =
          c.activity === 'bounced' ? enrollment.contact.status === 'bounced' || reason === 'hard_bounce'
          : c.activity === 'complained' ? enrollment.contact.status === 'complained' || reason === 'complaint' || !!enrollment.complained
          : c.activity === 'unsubscribed' ? enrollment.contact.status === 'unsubscribed' || reason === 'unsubscribed'
          : false
        return c.negate ? !hit : hit
      }
      const ref = args.steps.find((s) => s.position === c.step)
      const sent = ref && enrollment.activity.find((a) => a.type === 'sent' && a.enrollmentId === enrollment.id && a.stepId === ref.id)
      let hit = false
      if (ref && sent) {
        const until = c.withinDays === undefined ? Infinity : sent.occurredAt.getTime() + c.withinDays * DAY
        hit = enrollment.activity.some((a) => a.type === c.activity && a.enrollmentId === enrollment.id && a.stepId === ref.id && a.occurredAt.getTime() <= until)
      }
      return c.negate ? !hit : hit
    }
    case 'event': {
      const since = c.withinDays === undefined ? enrollment.startedAt.getTime() : now.getTime() - c.withinDays * DAY
      const hit = enrollment.activity.some((a) => a.type === 'event' && a.name === c.event && a.occurredAt.getTime() >= since && a.occurredAt.getTime() <= now.getTime())
      return c.negate ? !hit : hit
    }
    case 'segment': {
      const rule = args.segments(c.segmentId)
      const hit = rule ? matchesSegment({ rule, contact: enrollment.contact, now }) : false
      return c.negate ? !hit : hit
    }
    case 'rule':
      return matchesSegment({ rule: c.rule, contact: enrollment.contact, now })
  }
}

/**
 * Decide what happens to a due enrollment: goal reached → end; unsubscribed/suppressed → end; walk
 * conditions from the current step (skip / exit / goto); outside the window → defer; frequency cap
 * → defer to when the cap allows (never dropped); else send.
 */
export function decideDue(args: {
  drip: DripDef
  steps: StepDef[]
  enrollment: DueEnrollment
  now: Date
  cap: FrequencyCap | null
  segments: SegmentLookup
}): Decision {
  const { drip, steps, enrollment, now } = args
  const skipped: number[] = []
  const goals = drip.settings.goals ?? []
  if (goals.length) {
    const goal = enrollment.activity.find((a) => a.type === 'event' && a.name && goals.includes(a.name) && a.occurredAt.getTime() >= enrollment.startedAt.getTime())
    if (goal) return { action: 'end', status: 'goal_reached', reason: `goal: ${goal.name}`, skipped, position: enrollment.stepPosition }
  }
  // Channels (decision 096): an email unsubscribe or bounce closes email only, so the enrollment goes on
  // while a later step can still reach the contact (a text, a postcard, an action); its email steps are
  // skipped with the reason. When none can, it ends as before.
  const facts = { status: enrollment.contact.status, suppressed: enrollment.suppressed, complained: enrollment.complained ?? false }
  const channelOf = (s: StepDef): StepChannel => s.channel ?? 'email'
  const goesOn = dripReaches(steps, facts, enrollment.stepPosition)
  if (!enrollment.mailable && !goesOn) {
    // A bounce reported after the send (DSN) ends the enrollment as bounced, not as an unsubscribe.
    if (enrollment.contact.status === 'bounced') return { action: 'end', status: 'bounced', reason: 'address bounced', skipped, position: enrollment.stepPosition }
    if (enrollment.suppressed || enrollment.contact.status === 'unsubscribed') {
      return { action: 'end', status: 'unsubscribed', reason: enrollment.suppressed ? 'suppressed' : 'contact unsubscribed', skipped, position: enrollment.stepPosition }
    }
    return { action: 'end', status: 'exited', reason: `contact is ${enrollment.contact.status}`, skipped, position: enrollment.stepPosition }
  }
  const reasons: Record<number, string> = {}
  const withReasons = <D extends Decision>(d: D): D => (Object.keys(reasons).length ? { ...d, reasons } : d)
  let position = enrollment.stepPosition
  for (;;) {
    const step = steps.find((s) => s.position === position)
    if (!step) return withReasons({ action: 'end', status: 'completed', reason: 'all steps done', skipped, position })
    const unreachable = unreachableReason(channelOf(step), facts)
    const condition = step.settings.condition
    if (unreachable || (condition && !conditionHolds({ condition, enrollment, steps, now, segments: args.segments }))) {
      const onFalse = unreachable ? 'skip' : (step.settings.onFalse ?? 'skip')
      if (onFalse === 'exit') return withReasons({ action: 'end', status: 'exited', reason: `condition of step ${position + 1}`, skipped, position })
      skipped.push(position)
      if (unreachable) reasons[position] = unreachable
      const next = onFalse === 'skip' ? position + 1 : onFalse.goto
      for (let p = position + 1; p < next; p++) skipped.push(p)
      position = next
      const nextStep = steps.find((s) => s.position === position)
      if (!nextStep) return withReasons({ action: 'end', status: 'completed', reason: 'all steps done', skipped, position })
      // The next step's delay counts from now (the skip); P0D steps go straight on.
      const due = stepDueAt({ drip, step: nextStep, contactTimezone: enrollment.contact.timezone, enrolledAt: enrollment.startedAt, previousAt: now })
      if (due.getTime() > now.getTime()) return withReasons({ action: 'defer', position, at: due, skipped, reason: 'next step after a skip' })
      continue
    }
    const zone = zoneFor(drip, enrollment.contact.timezone)
    let note: string | undefined
    if (step.wait) {
      const since = enrollment.waitingSince ?? now
      const wait = waitOutcome({ wait: step.wait, enrollment, steps, since, now, zone })
      if (wait.state === 'waiting') return withReasons({ action: 'defer', position, at: wait.until, skipped, reason: 'waiting', waitingSince: since })
      if (wait.state === 'timed_out') note = `timed out after ${step.wait.timeout}`
    }
    // A late runner (worker down) may find the step due outside its window: wait for the window.
    const allowed = firstAllowedInstant(now, rulesFor(drip, step, zone))
    if (allowed.getTime() > now.getTime()) return withReasons({ action: 'defer', position, at: allowed, skipped, reason: 'outside the send window' })
    const cap = checkFrequencyCap({ cap: args.cap, sentAt: enrollment.recentSends, now })
    if (!cap.allowed) {
      const at = firstAllowedInstant(cap.nextAllowedAt, rulesFor(drip, step, zone))
      return withReasons({ action: 'defer', position, at, skipped, reason: 'frequency cap' })
    }
    return withReasons(note ? { action: 'send', position, skipped, note } : { action: 'send', position, skipped })
  }
}

/**
 * A wait-until step (decision 096): met when the event (since the enrollment began), an open / click of
 * this enrollment's emails, or the contact's date (at its time in the contact's zone; empty, invalid or
 * past: at once) came; timed out `timeout` after the wait began; else waiting until the earlier of the
 * date and the timeout (events and clicks wake the enrollment sooner: core/drips/activity-triggers.server.ts).
 */
export function waitOutcome(args: { wait: NonNullable<StepDef['wait']>; enrollment: DueEnrollment; steps: StepDef[]; since: Date; now: Date; zone: string }):
  | { state: 'met' }
  | { state: 'timed_out' }
  | { state: 'waiting'; until: Date } {
  const { wait, enrollment, now } = args
  const u = wait.until
  let until = nextDripSendAt({ timezone: args.zone, anchor: args.since, offset: wait.timeout })
  switch (u.kind) {
    case 'event':
      if (enrollment.activity.some((a) => a.type === 'event' && a.name === u.event && a.occurredAt.getTime() >= enrollment.startedAt.getTime() && a.occurredAt.getTime() <= now.getTime())) return { state: 'met' }
      break
    case 'email': {
      const stepId = u.step === undefined ? undefined : args.steps.find((s) => s.position === u.step)?.id
      if (enrollment.activity.some((a) => a.type === u.activity && a.enrollmentId === enrollment.id && (u.step === undefined || a.stepId === stepId))) return { state: 'met' }
      break
    }
    case 'date': {
      const value = enrollment.contact.fields[u.field]
      const wall = typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value) ? parseLocal(`${value}T${u.time}`) : undefined
      if (wall === undefined) return { state: 'met' }
      const at = new Date(wallToInstant(args.zone, wall).at)
      if (at.getTime() <= now.getTime()) return { state: 'met' }
      if (at.getTime() < until.getTime()) until = at
      break
    }
  }
  return until.getTime() <= now.getTime() ? { state: 'timed_out' } : { state: 'waiting', until }
}

/** After sending step `position` at `sentAt`: the enrollment's next position and due time, or completion. */
export function afterSend(args: { drip: DripDef; steps: StepDef[]; position: number; sentAt: Date; enrolledAt: Date; contactTimezone: string | null }):
  | { status: 'active'; position: number; nextDueAt: Date }
  | { status: 'completed'; position: number; nextDueAt: null } {
  const position = args.position + 1
  const next = args.steps.find((s) => s.position === position)
  if (!next) return { status: 'completed', position, nextDueAt: null }
  return { status: 'active', position, nextDueAt: stepDueAt({ drip: args.drip, step: next, contactTimezone: args.contactTimezone, enrolledAt: args.enrolledAt, previousAt: args.sentAt }) }
}

/** Date-field trigger: the next yearly occurrence (at or after `from`) of `date` (YYYY-MM-DD) at `time` in `zone`; Feb 29 falls on Feb 28 in other years. */
export function nextAnniversary(args: { date: string; time: string; zone: string; from: Date }): { at: Date; year: number } | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(args.date)
  if (!m) return null
  const month = Number(m[2])
  const day = Number(m[3])
  if (month < 1 || month > 12 || day < 1 || day > 31) return null
  const fromYear = civil(Math.floor(instantToWall(args.zone, args.from.getTime()) / DAY)).y
  for (let year = fromYear - 1; year <= fromYear + 1; year++) {
    const d = Math.min(day, daysInMonth(year, month))
    const wall = parseLocal(`${year}-${String(month).padStart(2, '0')}-${String(d).padStart(2, '0')}T${args.time}`)
    if (wall === undefined) return null
    const at = new Date(wallToInstant(args.zone, wall).at)
    if (at.getTime() >= args.from.getTime()) return { at, year }
  }
  return null
}
