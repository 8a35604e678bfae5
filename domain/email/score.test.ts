import fc from 'fast-check'
import { addScore, decayedScore, DEFAULT_SCORE_RULES, pointsFor } from './score'

const t0 = new Date('2026-01-01T00:00:00Z')
const later = (days: number) => new Date(t0.getTime() + days * 86_400_000)

describe('lead score', () => {
  it('applies rules: opened +1, clicked +2, event demo_booked +10', () => {
    const rules = [...DEFAULT_SCORE_RULES, { on: 'event' as const, name: 'demo_booked', points: 10 }]
    expect(pointsFor({ rules, activity: { type: 'opened' } })).toBe(1)
    expect(pointsFor({ rules, activity: { type: 'clicked' } })).toBe(2)
    expect(pointsFor({ rules, activity: { type: 'event', name: 'demo_booked' } })).toBe(10)
    expect(pointsFor({ rules, activity: { type: 'event', name: 'other' } })).toBe(0)
  })

  it('halves after each half-life and never decays without one', () => {
    const stored = { score: 16, at: t0 }
    expect(decayedScore({ stored, now: later(10), halfLifeDays: 10 })).toBeCloseTo(8)
    expect(decayedScore({ stored, now: later(30), halfLifeDays: 10 })).toBeCloseTo(2)
    expect(decayedScore({ stored, now: later(30), halfLifeDays: null })).toBe(16)
  })

  it('is a pure function of time: adding points in steps equals decaying each contribution', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 100 }), fc.integer({ min: -5, max: 20 })), { maxLength: 20 }), fc.integer({ min: 1, max: 60 }), (steps, halfLife) => {
        let stored = { score: 0, at: t0 as Date | null }
        let day = 0
        const contributions: Array<[number, number]> = []
        for (const [gap, points] of steps) {
          day += gap
          stored = addScore({ stored, points, now: later(day), halfLifeDays: halfLife })
          contributions.push([day, points])
        }
        const end = day + 7
        const expected = contributions.reduce((sum, [d, p]) => sum + p * Math.pow(0.5, (end - d) / halfLife), 0)
        expect(decayedScore({ stored, now: later(end), halfLifeDays: halfLife })).toBeCloseTo(expected, 6)
      }),
    )
  })
})
