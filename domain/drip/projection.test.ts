import { projectEmailVolume } from './projection'
import type { DripDef, StepDef } from './runner'

const now = new Date('2026-11-02T08:00:00Z') // Monday
const drip: DripDef = { id: 'd', status: 'active', timezone: 'Europe/Berlin', settings: { triggers: [{ kind: 'manual' }], reentry: 'once_ever', goals: [] } }
const step = (position: number, settings: Partial<StepDef['settings']> = {}): StepDef => ({ id: `s${position}`, position, settings: { delay: 'P0D', after: 'previous-step', onFalse: 'skip', ...settings } })

describe('projectEmailVolume', () => {
  it('counts the next step on its local day and walks the later steps forward by their delays', () => {
    const steps = [step(0), step(1, { delay: 'P2D' }), step(2, { delay: 'P1W' })]
    const days = projectEmailVolume({
      groups: [{ dripId: 'd', position: 0, count: 30, firstDueAt: new Date('2026-11-03T22:30:00Z') }],
      drips: new Map([['d', { drip, steps }]]),
      timeZone: 'Europe/Berlin',
      from: '2026-11-01',
      to: '2026-11-30',
      now,
    })
    // 22:30 UTC is 23:30 in Berlin on the 3rd; then +2 days, then +1 week.
    expect(days).toEqual([
      { date: '2026-11-03', count: 30, drips: [{ dripId: 'd', count: 30 }] },
      { date: '2026-11-05', count: 30, drips: [{ dripId: 'd', count: 30 }] },
      { date: '2026-11-12', count: 30, drips: [{ dripId: 'd', count: 30 }] },
    ])
  })

  it('puts overdue enrollments on today, sums groups per day, respects the range and the send window', () => {
    const windowed: DripDef = { ...drip, settings: { ...drip.settings, window: { days: ['MO', 'TU', 'WE', 'TH', 'FR'], start: '09:00', end: '17:00' } } }
    const days = projectEmailVolume({
      groups: [
        { dripId: 'd', position: 1, count: 5, firstDueAt: new Date('2026-11-01T10:00:00Z') },
        { dripId: 'd', position: 0, count: 2, firstDueAt: new Date('2026-11-02T12:00:00Z') },
        { dripId: 'gone', position: 0, count: 99, firstDueAt: new Date('2026-11-02T12:00:00Z') },
      ],
      drips: new Map([['d', { drip: windowed, steps: [step(0), step(1, { delay: 'P4D' }), step(2, { delay: 'P1D' }), step(3, { after: 'enrollment', delay: 'P30D' })] }]]),
      timeZone: 'Europe/Berlin',
      from: '2026-11-02',
      to: '2026-11-07',
      now,
    })
    // Position 1 overdue → today (Mon 2nd); its step 2 a day later (Tue 3rd); step 3 is timed from enrollment: not projected.
    // Position 0 on Mon 2nd; step 1 four days later is Fri 6th; step 2 a day later is Sat 7th → the window moves it to Mon 9th (out of range).
    expect(days).toEqual([
      { date: '2026-11-02', count: 7, drips: [{ dripId: 'd', count: 7 }] },
      { date: '2026-11-03', count: 5, drips: [{ dripId: 'd', count: 5 }] },
      { date: '2026-11-06', count: 2, drips: [{ dripId: 'd', count: 2 }] },
    ])
  })

  it('splits each day by drip, most first', () => {
    const steps = [step(0)]
    const days = projectEmailVolume({
      groups: [
        { dripId: 'a', position: 0, count: 2, firstDueAt: new Date('2026-11-03T10:00:00Z') },
        { dripId: 'b', position: 0, count: 5, firstDueAt: new Date('2026-11-03T12:00:00Z') },
      ],
      drips: new Map([
        ['a', { drip: { ...drip, id: 'a' }, steps }],
        ['b', { drip: { ...drip, id: 'b' }, steps }],
      ]),
      timeZone: 'UTC',
      from: '2026-11-01',
      to: '2026-11-30',
      now,
    })
    expect(days).toEqual([{ date: '2026-11-03', count: 7, drips: [{ dripId: 'b', count: 5 }, { dripId: 'a', count: 2 }] }])
  })
})
