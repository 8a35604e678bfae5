import { nextFreeSlot, normalizeSlots, PostingScheduleSchema, timesByDay, upcomingSlots, type PostingSchedule } from './slots'

const weekdays = (zone: string, times: string[]): PostingSchedule => ({
  timezone: zone,
  slots: (['MO', 'TU', 'WE', 'TH', 'FR'] as const).flatMap((day) => times.map((time) => ({ day, time }))),
})
const iso = (dates: Date[]) => dates.map((d) => d.toISOString())

describe('upcomingSlots', () => {
  it('lists the slots after the instant, in the schedule’s zone (Mon–Fri 09:00 and 13:00 in Berlin)', () => {
    // Friday 2026-03-06 10:00 Berlin (09:00Z): the 09:00 slot has passed, 13:00 is next, then Monday.
    const slots = upcomingSlots({ schedule: weekdays('Europe/Berlin', ['09:00', '13:00']), after: new Date('2026-03-06T09:00:00Z'), days: 4 })
    expect(iso(slots)).toEqual(['2026-03-06T12:00:00.000Z', '2026-03-09T08:00:00.000Z', '2026-03-09T12:00:00.000Z'])
  })

  it('keeps the local time across the spring-forward change (Berlin, 29 March 2026)', () => {
    const schedule: PostingSchedule = { timezone: 'Europe/Berlin', slots: [{ day: 'SA', time: '09:00' }, { day: 'SU', time: '09:00' }, { day: 'MO', time: '09:00' }] }
    const slots = upcomingSlots({ schedule, after: new Date('2026-03-27T12:00:00Z'), days: 4 })
    // Saturday is CET (+01:00), Sunday and Monday are CEST (+02:00): 09:00 local each day.
    expect(iso(slots)).toEqual(['2026-03-28T08:00:00.000Z', '2026-03-29T07:00:00.000Z', '2026-03-30T07:00:00.000Z'])
  })

  it('moves a slot inside the spring-forward gap forward by the gap, and takes the earlier instant of an ambiguous one (New York)', () => {
    const gap = upcomingSlots({ schedule: { timezone: 'America/New_York', slots: [{ day: 'SU', time: '02:30' }] }, after: new Date('2026-03-07T12:00:00Z'), days: 2 })
    expect(iso(gap)).toEqual(['2026-03-08T07:30:00.000Z']) // 03:30 EDT
    const overlap = upcomingSlots({ schedule: { timezone: 'America/New_York', slots: [{ day: 'SU', time: '01:30' }] }, after: new Date('2026-10-31T12:00:00Z'), days: 2 })
    expect(iso(overlap)).toEqual(['2026-11-01T05:30:00.000Z']) // 01:30 EDT, the first of the two
  })

  it('has no slots for an empty schedule', () => {
    expect(upcomingSlots({ schedule: { timezone: 'UTC', slots: [] }, after: new Date('2026-03-06T09:00:00Z'), days: 30 })).toEqual([])
  })
})

describe('nextFreeSlot', () => {
  const schedule = weekdays('Europe/Berlin', ['09:00', '13:00'])
  const after = new Date('2026-03-06T09:00:00Z') // Friday 10:00 Berlin

  it('takes the next slot no scheduled delivery uses (to the minute)', () => {
    expect(nextFreeSlot({ schedules: [schedule], taken: [], after })?.toISOString()).toBe('2026-03-06T12:00:00.000Z')
    const taken = [new Date('2026-03-06T12:00:30Z'), new Date('2026-03-09T08:00:00Z')]
    expect(nextFreeSlot({ schedules: [schedule], taken, after })?.toISOString()).toBe('2026-03-09T12:00:00.000Z')
  })

  it('finds the free slot on the far side of a DST change', () => {
    // Every slot up to Friday 27 March is taken; the next is Monday 30 March 09:00 CEST (07:00Z, not 08:00Z).
    const taken = upcomingSlots({ schedule, after, days: 30 }).filter((d) => d < new Date('2026-03-28T00:00:00Z'))
    expect(nextFreeSlot({ schedules: [schedule], taken, after })?.toISOString()).toBe('2026-03-30T07:00:00.000Z')
  })

  it('merges several accounts’ schedules in their own zones', () => {
    const london: PostingSchedule = { timezone: 'Europe/London', slots: [{ day: 'FR', time: '11:30' }] }
    expect(nextFreeSlot({ schedules: [schedule, london], taken: [], after })?.toISOString()).toBe('2026-03-06T11:30:00.000Z')
  })

  it('is null when nothing is free within the horizon', () => {
    const taken = upcomingSlots({ schedule, after, days: 7 })
    expect(nextFreeSlot({ schedules: [schedule], taken, after, horizonDays: 7 })).toBeNull()
    expect(nextFreeSlot({ schedules: [], taken: [], after })).toBeNull()
  })
})

describe('the schedule’s shape', () => {
  it('sorts by weekday and time and drops duplicates', () => {
    const slots = normalizeSlots([{ day: 'TU', time: '13:00' }, { day: 'MO', time: '17:00' }, { day: 'TU', time: '09:00' }, { day: 'MO', time: '17:00' }])
    expect(slots).toEqual([{ day: 'MO', time: '17:00' }, { day: 'TU', time: '09:00' }, { day: 'TU', time: '13:00' }])
    expect(timesByDay(slots).TU).toEqual(['09:00', '13:00'])
  })

  it('names the field of bad input', () => {
    const bad = PostingScheduleSchema.safeParse({ timezone: 'Mars/Olympus', slots: [{ day: 'XX', time: '25:00' }] })
    expect(bad.success).toBe(false)
    expect(bad.error!.issues.map((i) => i.message)).toEqual([
      "timezone: 'Mars/Olympus' is not a known IANA time zone",
      'day: one of MO, TU, WE, TH, FR, SA, SU',
      'time: a local time like 09:00 (24-hour, HH:MM)',
    ])
  })
})
