/**
 * Enrollment-anchored timing (email drips): a step is due an ISO 8601 offset after its anchor (the
 * enrollment, or the previous step's send), then moved forward into the recipient's send window and
 * out of quiet hours, all in the recipient's time zone.
 */
import { z } from 'zod'
import { IsoDurationSchema, requireValid, TimeZoneSchema, WEEKDAYS } from './input'
import { addDuration, parseIsoDuration } from './duration'
import { DAY, MINUTE, instantToWall, wallToInstant, weekdayOf } from './zone'

const ClockTimeSchema = (field: string) =>
  z
    .string({ error: `${field} must be a time like 09:00` })
    .regex(/^([01]\d|2[0-3]):[0-5]\d$/, { error: `${field} must be a 24-hour time like 09:00` })

const minutesOf = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5))

export const SendWindowSchema = z
  .object({
    days: z
      .array(z.enum(WEEKDAYS, { error: 'window.days entries must be MO, TU, WE, TH, FR, SA or SU' }))
      .min(1, { error: 'window.days must name at least one day' }),
    start: ClockTimeSchema('window.start'),
    end: ClockTimeSchema('window.end'),
  })
  .refine((w) => minutesOf(w.end) > minutesOf(w.start), { path: ['end'], error: 'window.end must be after window.start' })
export type SendWindow = z.infer<typeof SendWindowSchema>

/** No sending from `start` to `end`; may wrap midnight (22:00–07:00). */
export const QuietHoursSchema = z
  .object({ start: ClockTimeSchema('quietHours.start'), end: ClockTimeSchema('quietHours.end') })
  .refine((q) => q.start !== q.end, { path: ['end'], error: 'quietHours.end must differ from quietHours.start' })
export type QuietHours = z.infer<typeof QuietHoursSchema>

export const DripDeliveryRulesSchema = z
  .object({
    timezone: TimeZoneSchema('timezone'),
    window: SendWindowSchema.optional(),
    quietHours: QuietHoursSchema.optional(),
  })
  .refine((r) => WEEKDAYS.some((_, wd) => allowedIntervals(r, wd).length > 0), {
    path: ['quietHours'],
    error: 'quietHours cover the whole send window: nothing could ever be sent',
  })
export type DripDeliveryRules = z.infer<typeof DripDeliveryRulesSchema>

export const NextDripSendInputSchema = z.intersection(
  DripDeliveryRulesSchema,
  z.object({ anchor: z.date({ error: 'anchor must be a Date' }), offset: IsoDurationSchema('offset') }),
)
export type NextDripSendInput = z.input<typeof NextDripSendInputSchema>

/** Allowed [from, to) minute-of-day intervals on a weekday (0 = Monday). */
function allowedIntervals(rules: { window?: SendWindow; quietHours?: QuietHours }, weekday: number): Array<[number, number]> {
  const { window, quietHours } = rules
  if (window && !window.days.includes(WEEKDAYS[weekday]!)) return []
  let intervals: Array<[number, number]> = [window ? [minutesOf(window.start), minutesOf(window.end)] : [0, 1440]]
  if (quietHours) {
    const qs = minutesOf(quietHours.start)
    const qe = minutesOf(quietHours.end)
    const quiet: Array<[number, number]> = qs < qe ? [[qs, qe]] : [[0, qe], [qs, 1440]]
    for (const [a, b] of quiet)
      intervals = intervals.flatMap(([s, e]): Array<[number, number]> =>
        [[s, Math.min(e, a)], [Math.max(s, b), e]].filter(([x, y]) => x! < y!) as Array<[number, number]>,
      )
  }
  return intervals.sort((x, y) => x[0] - y[0])
}

/** The first instant at or after `due` that is inside the window and outside quiet hours. */
export function firstAllowedInstant(due: Date, rules: DripDeliveryRules): Date {
  if (!rules.window && !rules.quietHours) return due
  const dueWall = instantToWall(rules.timezone, due.getTime())
  const dueDay = Math.floor(dueWall / DAY)
  for (let day = dueDay; day <= dueDay + 8; day++) {
    for (const [from, to] of allowedIntervals(rules, weekdayOf(day))) {
      const fromWall = day * DAY + from * MINUTE
      const toWall = day * DAY + to * MINUTE
      if (dueWall >= toWall) continue
      return dueWall >= fromWall ? due : new Date(wallToInstant(rules.timezone, fromWall).at)
    }
  }
  throw new Error('unreachable: DripDeliveryRulesSchema guarantees an allowed interval every week')
}

/**
 * When a drip step goes out: `offset` after `anchor` (days are calendar days in `timezone`: P1D after
 * 09:00 is 09:00 the next local day across a DST change; PT24H is exactly 24 hours), then moved into
 * the send window and out of quiet hours. Throws TimingInputError on bad input (naming the field).
 */
export function nextDripSendAt(input: NextDripSendInput): Date {
  const { anchor, offset, ...rules } = requireValid(NextDripSendInputSchema, input)
  const due = addDuration({ at: anchor, duration: parseIsoDuration(offset)!, timezone: rules.timezone })
  return firstAllowedInstant(due, rules)
}

export const DripStepTimingSchema = z.object({
  offset: IsoDurationSchema('offset'),
  /** What the offset counts from. */
  after: z.enum(['enrollment', 'previous-step'], { error: "after must be 'enrollment' or 'previous-step'" }),
})
export type DripStepTiming = z.infer<typeof DripStepTimingSchema>

export const PlanDripInputSchema = z.intersection(
  DripDeliveryRulesSchema,
  z.object({ enrolledAt: z.date({ error: 'enrolledAt must be a Date' }), steps: z.array(DripStepTimingSchema) }),
)
export type PlanDripInput = z.input<typeof PlanDripInputSchema>

/** Send instants of every step of one enrollment, in step order (a step after the previous one counts
 * from that step's planned send). */
export function planDrip(input: PlanDripInput): Date[] {
  const { enrolledAt, steps, ...rules } = requireValid(PlanDripInputSchema, input)
  const out: Date[] = []
  for (const step of steps) {
    const anchor = step.after === 'enrollment' ? enrolledAt : (out.at(-1) ?? enrolledAt)
    const due = addDuration({ at: anchor, duration: parseIsoDuration(step.offset)!, timezone: rules.timezone })
    out.push(firstAllowedInstant(due, rules))
  }
  return out
}
