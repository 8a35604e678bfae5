/**
 * Queue slots (decision 091): an account's posting schedule, Buffer's queue — local times per weekday in
 * one IANA zone — and "the next free slot". Pure: the instant to search from and the taken instants are
 * arguments; wall times go through domain/timing's zone arithmetic, so a slot keeps its local time
 * across a DST change (a slot inside a spring-forward gap moves forward by the gap, an ambiguous one
 * takes the earlier instant, as RFC 5545 does for a series' rule).
 */
import { z } from 'zod'
import { WEEKDAYS, type Weekday } from '../timing/input'
import { DAY, MINUTE, instantToWall, isValidTimeZone, wallToInstant, weekdayOf } from '../timing/zone'

export const MAX_SLOTS = 100
/** A slot's local time: 24-hour HH:MM. */
export const TIME_RE = /^([01]\d|2[0-3]):([0-5]\d)$/

export const QueueSlotSchema = z
  .object({
    day: z.enum(WEEKDAYS, { error: `day: one of ${WEEKDAYS.join(', ')}` }),
    time: z.string({ error: 'time: a local time like 09:00' }).regex(TIME_RE, { error: 'time: a local time like 09:00 (24-hour, HH:MM)' }),
  })
  .strict()
export type QueueSlot = z.infer<typeof QueueSlotSchema>

/** A posting schedule: its slots (weekday + local time) in `timezone`. No slots: the account has no queue. */
export const PostingScheduleSchema = z
  .object({
    timezone: z
      .string({ error: 'timezone: an IANA time zone like Europe/Berlin' })
      .refine(isValidTimeZone, { error: (issue) => `timezone: '${String(issue.input)}' is not a known IANA time zone` }),
    slots: z.array(QueueSlotSchema, { error: 'slots: a list of { day, time }' }).max(MAX_SLOTS, { error: `slots: at most ${MAX_SLOTS} slots` }),
  })
  .strict()
export type PostingSchedule = z.infer<typeof PostingScheduleSchema>

const minutesOf = (time: string) => Number(time.slice(0, 2)) * 60 + Number(time.slice(3, 5))

/** Slots in week order (Monday first, then by time), duplicates dropped: how they are stored and shown. */
export function normalizeSlots(slots: readonly QueueSlot[]): QueueSlot[] {
  const seen = new Set<string>()
  return [...slots]
    .sort((a, b) => WEEKDAYS.indexOf(a.day) - WEEKDAYS.indexOf(b.day) || minutesOf(a.time) - minutesOf(b.time))
    .filter((s) => {
      const key = `${s.day} ${s.time}`
      if (seen.has(key)) return false
      seen.add(key)
      return true
    })
}

/** The local times of each weekday, for the schedule's form ("09:00, 13:00"). */
export function timesByDay(slots: readonly QueueSlot[]): Record<Weekday, string[]> {
  const byDay = Object.fromEntries(WEEKDAYS.map((d) => [d, [] as string[]])) as Record<Weekday, string[]>
  for (const slot of normalizeSlots(slots)) byDay[slot.day].push(slot.time)
  return byDay
}

/**
 * The schedule's slot instants strictly after `after`, in order, for `days` local days from the day
 * `after` falls on (an ambiguous or shifted wall time can land two slots on one instant: kept once).
 */
export function upcomingSlots(args: { schedule: PostingSchedule; after: Date; days: number }): Date[] {
  const { schedule, after, days } = args
  if (schedule.slots.length === 0) return []
  const slots = normalizeSlots(schedule.slots)
  const firstDay = Math.floor(instantToWall(schedule.timezone, after.getTime()) / DAY)
  const out: number[] = []
  for (let day = firstDay; day < firstDay + days; day++) {
    const weekday = WEEKDAYS[weekdayOf(day)]!
    for (const slot of slots) {
      if (slot.day !== weekday) continue
      const { at } = wallToInstant(schedule.timezone, day * DAY + minutesOf(slot.time) * MINUTE)
      if (at > after.getTime() && out.at(-1) !== at) out.push(at)
    }
  }
  return out.map((at) => new Date(at))
}

/** How far ahead a free slot is searched for: a full queue further out than this has none. */
export const QUEUE_HORIZON_DAYS = 366

/**
 * The first slot of any of the schedules after `after` that no taken instant uses (compared to the
 * minute: a delivery due at 09:00:30 takes the 09:00 slot). Null when none is free within the horizon.
 */
export function nextFreeSlot(args: { schedules: readonly PostingSchedule[]; taken: readonly Date[]; after: Date; horizonDays?: number }): Date | null {
  const days = args.horizonDays ?? QUEUE_HORIZON_DAYS
  const taken = new Set(args.taken.map((t) => Math.floor(t.getTime() / MINUTE)))
  const candidates = args.schedules
    .flatMap((schedule) => upcomingSlots({ schedule, after: args.after, days }))
    .map((d) => d.getTime())
    .sort((a, b) => a - b)
  const free = candidates.find((at) => !taken.has(Math.floor(at / MINUTE)))
  return free === undefined ? null : new Date(free)
}
