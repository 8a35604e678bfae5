/** ISO 8601 durations (P2D, PT4H, P1W, P1M, P1DT12H) and zone-aware addition with Temporal's semantics. */
import { DAY, HOUR, MINUTE, daysInMonth, instantToWall, wallToInstant } from './zone'

export type Duration = {
  years: number
  months: number
  weeks: number
  days: number
  hours: number
  minutes: number
  seconds: number
}

const DURATION_RE = /^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/

/** Undefined when `text` is not a whole-number ISO 8601 duration with at least one component. */
export function parseIsoDuration(text: string): Duration | undefined {
  const m = DURATION_RE.exec(text)
  if (!m || text === 'P' || text.endsWith('T')) return undefined
  const [years, months, weeks, days, hours, minutes, seconds] = m.slice(1).map((v) => Number(v ?? 0)) as [
    number, number, number, number, number, number, number,
  ]
  return { years, months, weeks, days, hours, minutes, seconds }
}

/**
 * `at` + `duration` in `zone`: years, months, weeks and days move the local calendar date and keep the
 * local wall time (P1D after 09:00 is 09:00 the next day across a DST change; the 31st plus P1M clamps
 * to the month's last day); hours, minutes and seconds are then added as exact elapsed time.
 */
export function addDuration(args: { at: Date; duration: Duration; timezone: string }): Date {
  const { duration: d, timezone } = args
  let at = args.at.getTime()
  if (d.years || d.months || d.weeks || d.days) {
    const wall = instantToWall(timezone, at)
    const date = new Date(wall)
    const monthIndex = date.getUTCFullYear() * 12 + date.getUTCMonth() + d.years * 12 + d.months
    const y = Math.floor(monthIndex / 12)
    const m = (monthIndex % 12) + 1
    const day = Math.min(date.getUTCDate(), daysInMonth(y, m))
    const timeOfDay = wall - Math.floor(wall / DAY) * DAY
    const moved = Date.UTC(y, m - 1, day) + (d.weeks * 7 + d.days) * DAY + timeOfDay
    at = wallToInstant(timezone, moved).at
  }
  return new Date(at + d.hours * HOUR + d.minutes * MINUTE + d.seconds * 1000)
}
