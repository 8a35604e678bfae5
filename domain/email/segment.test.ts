import { checkFrequencyCap } from './frequency'
import { matchesSegment, type ContactFacts } from './segment'
import { SegmentRuleSchema } from './types'

const now = new Date('2026-03-01T12:00:00Z')
const daysAgo = (n: number) => new Date(now.getTime() - n * 86_400_000)
const ann: ContactFacts = {
  email: 'ann@example.com',
  name: 'Ann',
  timezone: 'Europe/Berlin',
  status: 'subscribed',
  tags: ['customer', 'beta'],
  fields: { plan: 'pro', seats: 12, renewal: '2026-06-01' },
  score: 14.5,
  activity: [
    { type: 'opened', name: null, occurredAt: daysAgo(2) },
    { type: 'event', name: 'purchase', occurredAt: daysAgo(40) },
  ],
}

describe('segment rules', () => {
  const cases: Array<[string, unknown, boolean]> = [
    ['field eq (case-insensitive)', { match: 'all', conditions: [{ kind: 'field', field: 'plan', op: 'eq', value: 'PRO' }] }, true],
    ['number gt', { match: 'all', conditions: [{ kind: 'field', field: 'seats', op: 'gt', value: 10 }] }, true],
    ['date before', { match: 'all', conditions: [{ kind: 'field', field: 'renewal', op: 'lt', value: '2026-05-01' }] }, false],
    ['missing field', { match: 'all', conditions: [{ kind: 'field', field: 'company', op: 'missing' }] }, true],
    ['tag and score', { match: 'all', conditions: [{ kind: 'tag', tag: 'beta', has: true }, { kind: 'score', op: 'gte', value: 10 }] }, true],
    ['opened within 7 days', { match: 'all', conditions: [{ kind: 'activity', activity: 'opened', withinDays: 7 }] }, true],
    ['not clicked within 7 days', { match: 'all', conditions: [{ kind: 'activity', activity: 'clicked', withinDays: 7, negate: true }] }, true],
    ['purchase within 30 days', { match: 'all', conditions: [{ kind: 'activity', activity: 'event', name: 'purchase', withinDays: 30 }] }, false],
    [
      'nested any',
      { match: 'any', conditions: [{ kind: 'status', status: 'unsubscribed' }, { match: 'all', conditions: [{ kind: 'field', field: 'email', op: 'contains', value: '@example' }] }] },
      true,
    ],
    ['empty any', { match: 'any', conditions: [] }, false],
  ]
  it.each(cases)('%s', (_name, rule, expected) => {
    expect(matchesSegment({ rule: SegmentRuleSchema.parse(rule), contact: ann, now })).toBe(expected)
  })

  it('rejects malformed rules with the path', () => {
    const result = SegmentRuleSchema.safeParse({ match: 'all', conditions: [{ kind: 'score', op: 'eq', value: 1 }] })
    expect(result.success).toBe(false)
  })
})

describe('frequency cap', () => {
  const cap = { max: 2, periodHours: 24 }
  it('allows up to max in the window and says when the next one fits', () => {
    expect(checkFrequencyCap({ cap, sentAt: [new Date(now.getTime() - 3_600_000)], now })).toEqual({ allowed: true })
    const sentAt = [new Date(now.getTime() - 3 * 3_600_000), new Date(now.getTime() - 3_600_000), new Date(now.getTime() - 30 * 3_600_000)]
    expect(checkFrequencyCap({ cap, sentAt, now })).toEqual({ allowed: false, nextAllowedAt: new Date(now.getTime() + 21 * 3_600_000) })
    expect(checkFrequencyCap({ cap: null, sentAt, now })).toEqual({ allowed: true })
  })
})
