/**
 * The drip builder's timeline preview: when each step of a drip reaches a contact in a given zone who
 * enrolls at a given instant, assuming every condition holds and every send goes out when due. Pure, and
 * built on `stepDueAt`, the function the runner times each step with (on enrollment and after each send),
 * so the preview and the runner cannot drift apart (test/drips/timeline.test.ts drives both).
 */
import { z } from 'zod'
import { IsoDurationSchema, TimeZoneSchema } from '../timing/input'
import { QuietHoursSchema, SendWindowSchema } from '../timing/drip'
import { DAY, formatLocal, instantToWall, weekdayOf } from '../timing/zone'
import { stepDueAt, zoneFor } from './runner'

/** What the timeline needs of a drip: its zone, default window and quiet hours, and each step's timing. */
export const TimelineDripSchema = z.strictObject({
  /** The drip's zone: contacts without a valid zone of their own get this one. */
  timezone: TimeZoneSchema('timezone').default('UTC'),
  window: SendWindowSchema.optional(),
  quietHours: QuietHoursSchema.optional(),
  steps: z
    .array(
      z.strictObject({
        delay: IsoDurationSchema('delay').default('P0D'),
        after: z.enum(['enrollment', 'previous-step'], { error: "after must be 'enrollment' or 'previous-step'" }).default('previous-step'),
        window: SendWindowSchema.optional(),
        quietHours: QuietHoursSchema.optional(),
      }),
    )
    .min(1, { error: 'add at least one step' })
    .max(100),
})
export type TimelineDrip = z.output<typeof TimelineDripSchema>

export type TimelineStep = {
  /** 0-based. */
  position: number
  at: Date
  /** Wall time in the zone, `YYYY-MM-DDTHH:mm`. */
  local: string
  /** 0 = Monday. */
  weekday: number
  /** The zone's UTC offset at `at`, `+09:00`. */
  offset: string
  /** The send window or quiet hours moved this step later than its delay alone would. */
  movedByWindow: boolean
}

export type Timeline = { zone: string; enrolledAt: Date; local: string; steps: TimelineStep[] }

/**
 * Each step's send instant for one enrollment at `enrolledAt` of a contact in `zone` (invalid or
 * missing: the drip's zone). A step after the previous one counts from that step's projected send.
 * Throws TimingInputError when quiet hours cover the whole send window.
 */
export function projectTimeline(args: { drip: TimelineDrip; zone: string | null; enrolledAt: Date }): Timeline {
  const { drip, enrolledAt } = args
  const def = { timezone: drip.timezone, settings: { window: drip.window, quietHours: drip.quietHours } }
  const unwindowed = { timezone: drip.timezone, settings: {} }
  const zone = zoneFor(def, args.zone)
  let previousAt = enrolledAt
  const steps = drip.steps.map((s, position): TimelineStep => {
    const step = { settings: s }
    const at = stepDueAt({ drip: def, step, contactTimezone: zone, enrolledAt, previousAt })
    const raw = stepDueAt({ drip: unwindowed, step: { settings: { delay: s.delay, after: s.after } }, contactTimezone: zone, enrolledAt, previousAt })
    previousAt = at
    return { position, at, ...wallOf(zone, at), movedByWindow: at.getTime() !== raw.getTime() }
  })
  return { zone, enrolledAt, local: wallOf(zone, enrolledAt).local, steps }
}

function wallOf(zone: string, at: Date): Pick<TimelineStep, 'local' | 'weekday' | 'offset'> {
  const wall = instantToWall(zone, at.getTime())
  const minutes = Math.round((wall - at.getTime()) / 60_000)
  const abs = Math.abs(minutes)
  const offset = `${minutes < 0 ? '-' : '+'}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`
  return { local: formatLocal(wall), weekday: weekdayOf(Math.floor(wall / DAY)), offset }
}
