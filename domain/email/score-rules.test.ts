import { decayDue, describeScoreRule, matchingRules } from './score'
import { ScoreRuleSchema, type ScoreRule } from './types'

const t0 = new Date('2026-01-01T00:00:00Z')
const day = (n: number) => new Date(t0.getTime() + n * 86_400_000)
const rule = { points: -5, everyDays: 30 }

describe('score rules', () => {
  it('lists every rule an activity matches, negative ones included; decay rules match no activity', () => {
    const rules: ScoreRule[] = [
      { on: 'clicked', points: 5 },
      { on: 'event', name: 'demo_booked', points: 10 },
      { on: 'event', name: 'unsubscribed_from_sales', points: -20 },
      { on: 'inactive', points: -5, everyDays: 30 },
    ]
    expect(matchingRules({ rules, activity: { type: 'clicked' } })).toEqual([rules[0]])
    expect(matchingRules({ rules, activity: { type: 'event', name: 'unsubscribed_from_sales' } })).toEqual([rules[2]])
    expect(matchingRules({ rules, activity: { type: 'opened' } })).toEqual([])
  })

  it('describes rules for people', () => {
    expect(describeScoreRule({ on: 'opened', points: 1 })).toBe('Opened an email: +1')
    expect(describeScoreRule({ on: 'event', name: 'demo_booked', points: -3 })).toBe('Event demo_booked: −3')
    expect(describeScoreRule({ on: 'inactive', points: -5, everyDays: 1 })).toBe('No activity for 1 day: −5')
  })

  it('validates: non-zero points, a named event, a negative decay in whole days', () => {
    const path = (value: unknown) => ScoreRuleSchema.safeParse(value).error?.issues[0]?.path.join('.')
    expect(path({ on: 'opened', points: 0 })).toBe('points')
    expect(path({ on: 'event', name: 'has space', points: 1 })).toBe('name')
    expect(path({ on: 'inactive', points: 5, everyDays: 30 })).toBe('points')
    expect(path({ on: 'inactive', points: -5, everyDays: 1.5 })).toBe('everyDays')
    expect(ScoreRuleSchema.safeParse({ on: 'inactive', points: -5, everyDays: 30 }).success).toBe(true)
  })
})

describe('decay: −N points every D days without activity (injected instants)', () => {
  it('is due once per whole period since the last activity, dated at the period boundary', () => {
    expect(decayDue({ rule, score: 20, anchor: t0, lastDecayAt: null, now: day(29) })).toBeNull()
    expect(decayDue({ rule, score: 20, anchor: t0, lastDecayAt: null, now: day(30) })).toEqual({ points: -5, periods: 1, at: day(30) })
    // Already applied for day 30: nothing until day 60.
    expect(decayDue({ rule, score: 15, anchor: t0, lastDecayAt: day(30), now: day(59) })).toBeNull()
    expect(decayDue({ rule, score: 15, anchor: t0, lastDecayAt: day(30), now: day(61) })).toEqual({ points: -5, periods: 1, at: day(60) })
  })

  it('catches up missed periods at once, whatever the job frequency, and never goes below zero', () => {
    expect(decayDue({ rule, score: 100, anchor: t0, lastDecayAt: null, now: day(95) })).toEqual({ points: -15, periods: 3, at: day(90) })
    expect(decayDue({ rule, score: 7, anchor: t0, lastDecayAt: null, now: day(95) })).toEqual({ points: -7, periods: 3, at: day(90) })
    expect(decayDue({ rule, score: 0, anchor: t0, lastDecayAt: null, now: day(95) })).toBeNull()
  })

  it('restarts counting after new activity (a decay before the activity does not count)', () => {
    const active = day(40)
    expect(decayDue({ rule, score: 10, anchor: active, lastDecayAt: day(30), now: day(69) })).toBeNull()
    expect(decayDue({ rule, score: 10, anchor: active, lastDecayAt: day(30), now: day(70) })).toEqual({ points: -5, periods: 1, at: day(70) })
  })
})
