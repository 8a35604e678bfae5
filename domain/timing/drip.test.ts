import { nextDripSendAt, planDrip, type SendWindow } from './drip'
import { TimingInputError } from './input'

const at = (iso: string) => new Date(iso)
const iso = (d: Date) => d.toISOString()
const workdays: SendWindow = { days: ['MO', 'TU', 'WE', 'TH', 'FR'], start: '09:00', end: '17:00' }

describe('nextDripSendAt', () => {
  it('P1D is a calendar day in the recipient zone: 09:00 stays 09:00 across DST', () => {
    // 2026-03-28 09:00 CET → 2026-03-29 09:00 CEST (23 hours later).
    expect(iso(nextDripSendAt({ anchor: at('2026-03-28T08:00Z'), offset: 'P1D', timezone: 'Europe/Berlin' }))).toBe('2026-03-29T07:00:00.000Z')
    // Sydney leaves DST on 2026-04-05: 09:00 AEDT → 09:00 AEST (25 hours later).
    expect(iso(nextDripSendAt({ anchor: at('2026-04-03T22:00Z'), offset: 'P1D', timezone: 'Australia/Sydney' }))).toBe('2026-04-04T23:00:00.000Z')
  })

  it('PT24H is exact elapsed time', () => {
    expect(iso(nextDripSendAt({ anchor: at('2026-03-28T08:00Z'), offset: 'PT24H', timezone: 'Europe/Berlin' }))).toBe('2026-03-29T08:00:00.000Z')
    expect(iso(nextDripSendAt({ anchor: at('2026-03-28T08:00Z'), offset: 'PT4H', timezone: 'Europe/Berlin' }))).toBe('2026-03-28T12:00:00.000Z')
    expect(iso(nextDripSendAt({ anchor: at('2026-03-28T08:00Z'), offset: 'P2DT30M', timezone: 'Asia/Kolkata' }))).toBe('2026-03-30T08:30:00.000Z')
  })

  it('moves a due time outside the send window to the next window start, in local time across DST', () => {
    // Friday 2026-03-06 15:00 EST + 4h = 19:00 Friday → Monday 09:00, which is EDT (DST began 2026-03-08).
    expect(iso(nextDripSendAt({ anchor: at('2026-03-06T20:00Z'), offset: 'PT4H', window: workdays, timezone: 'America/New_York' }))).toBe('2026-03-09T13:00:00.000Z')
    // Early morning on a weekday → 09:00 the same day.
    expect(iso(nextDripSendAt({ anchor: at('2026-03-10T08:00Z'), offset: 'PT1H', window: workdays, timezone: 'America/New_York' }))).toBe('2026-03-10T13:00:00.000Z')
    // Inside the window: unchanged, to the second.
    expect(iso(nextDripSendAt({ anchor: at('2026-03-10T15:00:07Z'), offset: 'PT1H', window: workdays, timezone: 'America/New_York' }))).toBe('2026-03-10T16:00:07.000Z')
  })

  it('honours quiet hours, also across midnight', () => {
    const quietHours = { start: '22:00', end: '07:00' }
    // 23:30 Berlin → 07:00 next morning.
    expect(iso(nextDripSendAt({ anchor: at('2026-03-10T21:30Z'), offset: 'PT1H', quietHours, timezone: 'Europe/Berlin' }))).toBe('2026-03-11T06:00:00.000Z')
    // 03:00 → 07:00 the same day.
    expect(iso(nextDripSendAt({ anchor: at('2026-03-11T01:00Z'), offset: 'PT1H', quietHours, timezone: 'Europe/Berlin' }))).toBe('2026-03-11T06:00:00.000Z')
    // A lunch-time quiet hour inside the window.
    const lunch = { start: '12:00', end: '13:00' }
    expect(iso(nextDripSendAt({ anchor: at('2026-03-10T11:15Z'), offset: 'PT0S', window: workdays, quietHours: lunch, timezone: 'Europe/Berlin' }))).toBe('2026-03-10T12:00:00.000Z')
  })

  it('a window that starts inside the DST gap opens when the gap ends', () => {
    const window: SendWindow = { days: ['SU'], start: '02:30', end: '05:00' }
    expect(iso(nextDripSendAt({ anchor: at('2026-03-28T12:00Z'), offset: 'PT1H', window, timezone: 'Europe/Berlin' }))).toBe('2026-03-29T01:30:00.000Z')
  })

  it.each([
    [{ offset: 'P2X' }, 'offset', "offset 'P2X' is not an ISO 8601 duration"],
    [{ offset: 'P' }, 'offset', 'is not an ISO 8601 duration'],
    [{ offset: 'PT' }, 'offset', 'is not an ISO 8601 duration'],
    [{ offset: '2D' }, 'offset', 'is not an ISO 8601 duration'],
    [{ timezone: 'Moon/Base' }, 'timezone', "timezone 'Moon/Base' is not a known IANA time zone"],
    [{ anchor: '2026-03-10' }, 'anchor', 'anchor must be a Date'],
    [{ window: { ...workdays, end: '08:00' } }, 'window.end', 'window.end must be after window.start'],
    [{ window: { ...workdays, start: '9am' } }, 'window.start', 'window.start must be a 24-hour time'],
    [{ window: { ...workdays, days: ['XX'] } }, 'window.days.0', 'window.days entries must be MO'],
    [{ window: workdays, quietHours: { start: '08:00', end: '18:00' } }, 'quietHours', 'quietHours cover the whole send window'],
  ])('rejects %j naming the field', (patch, field, message) => {
    const input = { anchor: at('2026-03-10T08:00Z'), offset: 'P1D', timezone: 'Europe/Berlin', ...patch }
    try {
      nextDripSendAt(input as Parameters<typeof nextDripSendAt>[0])
      expect.unreachable()
    } catch (e) {
      expect(e).toBeInstanceOf(TimingInputError)
      const issue = (e as TimingInputError).issues.find((i) => i.field === field)
      expect(issue?.message).toContain(message)
    }
  })
})

describe('planDrip', () => {
  it('chains offsets after enrollment or after the previous step, each moved into the window', () => {
    const list = planDrip({
      enrolledAt: at('2026-03-06T20:00Z'), // Friday 15:00 New York
      timezone: 'America/New_York',
      window: workdays,
      steps: [
        { offset: 'PT0S', after: 'enrollment' }, // Friday 15:00: inside the window
        { offset: 'P1D', after: 'previous-step' }, // Saturday 15:00 → Monday 09:00 EDT
        { offset: 'PT2H', after: 'previous-step' }, // Monday 11:00
        { offset: 'P7D', after: 'enrollment' }, // next Friday 15:00 EDT
      ],
    })
    expect(list.map(iso)).toEqual(['2026-03-06T20:00:00.000Z', '2026-03-09T13:00:00.000Z', '2026-03-09T15:00:00.000Z', '2026-03-13T19:00:00.000Z'])
  })
})
