import { TimingInputError } from '../timing/input'
import type { z } from 'zod'
import type { SendWindow } from '../timing/drip'
import { projectTimeline, TimelineDripSchema } from './timeline'

const drip = (input: z.input<typeof TimelineDripSchema>) => TimelineDripSchema.parse(input)
const rows = (t: ReturnType<typeof projectTimeline>) => t.steps.map((s) => [s.local, s.offset, s.at.toISOString(), s.movedByWindow])

describe('projectTimeline', () => {
  it('keeps local times across a DST change, and a window moves a step past the weekend and the change', () => {
    const weekdays: SendWindow = { days: ['MO', 'TU', 'WE', 'TH', 'FR'], start: '09:00', end: '17:00' }
    // Sat 24 Oct 2026, 10:00 in Berlin (CEST, +02:00); summer time ends on Sun 25 Oct.
    const enrolledAt = new Date('2026-10-24T08:00:00Z')
    const plain = projectTimeline({ drip: drip({ steps: [{ delay: 'P1D' }, { delay: 'PT24H' }] }), zone: 'Europe/Berlin', enrolledAt })
    expect(plain.local).toBe('2026-10-24T10:00')
    expect(rows(plain)).toEqual([
      ['2026-10-25T10:00', '+01:00', '2026-10-25T09:00:00.000Z', false], // P1D: the next local day at the same time
      ['2026-10-26T10:00', '+01:00', '2026-10-26T09:00:00.000Z', false], // PT24H: exactly 24 hours
    ])
    const windowed = projectTimeline({ drip: drip({ window: weekdays, steps: [{ delay: 'P0D' }, { delay: 'PT2H' }] }), zone: 'Europe/Berlin', enrolledAt })
    expect(rows(windowed)).toEqual([
      ['2026-10-26T09:00', '+01:00', '2026-10-26T08:00:00.000Z', true], // Saturday → Monday 09:00, after the change
      ['2026-10-26T11:00', '+01:00', '2026-10-26T10:00:00.000Z', false],
    ])
    expect(windowed.steps.map((s) => s.weekday)).toEqual([0, 0])
  })

  it('moves a step out of quiet hours (wrapping midnight) and a window pushes a late step to the next day', () => {
    // 21:30 in Tokyo (+09:00).
    const enrolledAt = new Date('2026-11-02T12:30:00Z')
    const quiet = projectTimeline({ drip: drip({ quietHours: { start: '22:00', end: '07:00' }, steps: [{ delay: 'PT15M' }, { delay: 'PT1H' }] }), zone: 'Asia/Tokyo', enrolledAt })
    expect(rows(quiet)).toEqual([
      ['2026-11-02T21:45', '+09:00', '2026-11-02T12:45:00.000Z', false],
      ['2026-11-03T07:00', '+09:00', '2026-11-02T22:00:00.000Z', true],
    ])
    // 16:30 in New York with a 09:00–17:00 window every day: an hour later is tomorrow 09:00.
    const window: SendWindow = { days: ['MO', 'TU', 'WE', 'TH', 'FR', 'SA', 'SU'], start: '09:00', end: '17:00' }
    const late = projectTimeline({ drip: drip({ window, steps: [{ delay: 'PT1H' }] }), zone: 'America/New_York', enrolledAt: new Date('2026-11-02T21:30:00Z') })
    expect(rows(late)).toEqual([['2026-11-03T09:00', '-05:00', '2026-11-03T14:00:00.000Z', true]])
    // A step's own window overrides the drip's.
    const own = projectTimeline({ drip: drip({ window, steps: [{ delay: 'PT1H', window: { ...window, start: '08:00', end: '20:00' } }] }), zone: 'America/New_York', enrolledAt: new Date('2026-11-02T21:30:00Z') })
    expect(rows(own)).toEqual([['2026-11-02T17:30', '-05:00', '2026-11-02T22:30:00.000Z', false]])
  })

  it('counts a step `after: enrollment` from the enrollment, and the next step from that one', () => {
    const enrolledAt = new Date('2026-11-02T08:00:00Z')
    const t = projectTimeline({ drip: drip({ steps: [{ delay: 'P3D' }, { delay: 'P1D', after: 'enrollment' }, { delay: 'PT2H' }] }), zone: 'UTC', enrolledAt })
    expect(t.steps.map((s) => s.at.toISOString())).toEqual(['2026-11-05T08:00:00.000Z', '2026-11-03T08:00:00.000Z', '2026-11-03T10:00:00.000Z'])
  })

  it("falls back to the drip's zone; refuses quiet hours that cover the whole window", () => {
    const enrolledAt = new Date('2026-11-02T08:00:00Z')
    const d = drip({ timezone: 'Asia/Kolkata', steps: [{ delay: 'P0D' }] })
    expect(projectTimeline({ drip: d, zone: null, enrolledAt })).toMatchObject({ zone: 'Asia/Kolkata', local: '2026-11-02T13:30', steps: [{ offset: '+05:30' }] })
    expect(projectTimeline({ drip: d, zone: 'Not/AZone', enrolledAt }).zone).toBe('Asia/Kolkata')
    const blocked = drip({ window: { days: ['MO'], start: '09:00', end: '17:00' }, quietHours: { start: '08:00', end: '18:00' }, steps: [{ delay: 'P0D' }] })
    expect(() => projectTimeline({ drip: blocked, zone: 'UTC', enrolledAt })).toThrow(TimingInputError)
  })
})
