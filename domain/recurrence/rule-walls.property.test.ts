/**
 * The wall-time expander against rrule-temporal (floating, i.e. UTC) over a broad rule grammar: every
 * FREQ, INTERVAL, BYDAY with and without ordinals, BYMONTHDAY, BYMONTH, BYHOUR, BYMINUTE, BYSETPOS and
 * WKST. (rrule 2.8.1 is no oracle here: it misses DTSTART for BYHOUR=1,0 and returns nothing for
 * FREQ=YEARLY;BYDAY=1MO,TU;BYHOUR=0 — see the rrule cases below.)
 */
import fc from 'fast-check'
import rrulePkg from 'rrule'
import { RRuleTemporal } from 'rrule-temporal'
import { Temporal } from 'temporal-polyfill'
import { formatLocal, parseLocal } from '../timing/zone'
import { parseRule } from './rule'
import { ruleWalls } from './rule-walls'

const { rrulestr } = rrulePkg
const WD = ['MO', 'TU', 'WE', 'TH', 'FR', 'SA', 'SU'] as const

const list = (arb: fc.Arbitrary<number>, max = 3) => fc.uniqueArray(arb, { minLength: 1, maxLength: max }).map((a) => a.join(','))

const ruleArb = fc
  .record({
    freq: fc.constantFrom('YEARLY', 'MONTHLY', 'WEEKLY', 'DAILY', 'HOURLY', 'MINUTELY'),
    interval: fc.integer({ min: 1, max: 4 }),
    byDay: fc.option(fc.uniqueArray(fc.tuple(fc.constantFrom(0, 0, 0, 1, 2, -1, -2), fc.constantFrom(...WD)), { minLength: 1, maxLength: 3, selector: ([, d]) => d }), { nil: undefined }),
    byMonthDay: fc.option(list(fc.oneof(fc.integer({ min: 1, max: 31 }), fc.integer({ min: -3, max: -1 }))), { nil: undefined }),
    byMonth: fc.option(list(fc.integer({ min: 1, max: 12 })), { nil: undefined }),
    byHour: fc.option(list(fc.integer({ min: 0, max: 23 }), 2), { nil: undefined }),
    byMinute: fc.option(list(fc.constantFrom(0, 15, 30, 45), 2), { nil: undefined }),
    bySetPos: fc.option(list(fc.constantFrom(1, 2, -1), 2), { nil: undefined }),
    wkst: fc.option(fc.constantFrom(...WD), { nil: undefined }),
    count: fc.integer({ min: 1, max: 15 }),
  })
  .map((r) => {
    // rrule-temporal mishandles ordinal BYDAY mixed with plain weekdays or combined with BYMONTHDAY
    // (see the hand-written cases below), so the generator keeps ordinals apart from both.
    const ordinals = (r.freq === 'MONTHLY' || r.freq === 'YEARLY') && !r.byMonthDay && r.byDay?.every(([n]) => n !== 0)
    const parts = [`FREQ=${r.freq}`, `INTERVAL=${r.freq === 'MINUTELY' ? r.interval * 15 : r.interval}`, `COUNT=${r.count}`]
    if (r.byDay) parts.push(`BYDAY=${r.byDay.map(([n, d]) => `${ordinals && n ? n : ''}${d}`).join(',')}`)
    if (r.byMonthDay && r.freq !== 'WEEKLY') parts.push(`BYMONTHDAY=${r.byMonthDay}`)
    if (r.byMonth) parts.push(`BYMONTH=${r.byMonth}`)
    if (r.byHour) parts.push(`BYHOUR=${r.byHour}`)
    if (r.byMinute) parts.push(`BYMINUTE=${r.byMinute}`)
    if (r.bySetPos && parts.length > 3) parts.push(`BYSETPOS=${r.bySetPos}`)
    if (r.wkst) parts.push(`WKST=${r.wkst}`)
    return parts.join(';')
  })

const startArb = fc
  .record({
    date: fc.date({ min: new Date('2024-01-01T00:00Z'), max: new Date('2030-12-31T00:00Z'), noInvalidDate: true }),
    hour: fc.integer({ min: 0, max: 23 }),
    minute: fc.constantFrom(0, 15, 30, 45),
  })
  .map(({ date, hour, minute }) => `${date.toISOString().slice(0, 10)}T${String(hour).padStart(2, '0')}:${String(minute).padStart(2, '0')}`)

function oracle(rule: string, start: string): string[] | undefined {
  try {
    const r = new RRuleTemporal({
      rruleString: rule,
      dtstart: Temporal.ZonedDateTime.from(`${start}:00[UTC]`),
      maxIterations: 2000,
    })
    return r.all().map((z) => z.toString().slice(0, 16))
  } catch {
    return undefined // the oracle gave up (a rule with very rare or no matches)
  }
}

describe('ruleWalls matches rrule-temporal and rrule on floating wall times', () => {
  it('over a broad rule grammar', () => {
    fc.assert(
      fc.property(ruleArb, startArb, (text, start) => {
        const parsed = parseRule(text)
        fc.pre(parsed.ok)
        if (!parsed.ok) return
        const expected = oracle(text, start)
        fc.pre(expected !== undefined)
        const ours = [...ruleWalls(parsed.value, parseLocal(start)!)].map(formatLocal)
        expect(ours).toEqual(expected)
      }),
      { numRuns: 150 },
    )
  })
})

describe('where the oracles go wrong (RFC 5545 readings checked by hand)', () => {
  const ours = (text: string) => {
    const parsed = parseRule(text)
    if (!parsed.ok) throw new Error(parsed.message)
    return [...ruleWalls(parsed.value, parseLocal('2024-01-01T00:00')!)].map(formatLocal)
  }
  const viaRrule = (text: string) => rrulestr(`DTSTART:20240101T000000\nRRULE:${text}`).all().map((d) => d.toISOString().slice(0, 16))
  it.each([
    ['FREQ=YEARLY;COUNT=1;BYHOUR=1,0', ['2024-01-01T00:00']],
    ['FREQ=YEARLY;COUNT=1;BYDAY=1MO,TU;BYHOUR=0', ['2024-01-01T00:00']],
  ])('rrule 2.8.1: %s', (text, expected) => {
    expect(ours(text)).toEqual(expected)
    expect(oracle(text, '2024-01-01T00:00')).toEqual(expected)
    expect(viaRrule(text)).not.toEqual(expected)
  })

  it.each([
    // The last Monday of the year and every Tuesday: rrule-temporal drops the Tuesdays, rrule returns nothing.
    ['FREQ=YEARLY;COUNT=3;BYDAY=-1MO,TU', ['2024-01-02T00:00', '2024-01-09T00:00', '2024-01-16T00:00']],
    // BYMONTHDAY limits BYDAY in a YEARLY rule: a 1st of January that is the year's first Monday.
    ['FREQ=YEARLY;COUNT=2;BYDAY=1MO;BYMONTHDAY=1', ['2024-01-01T00:00', '2029-01-01T00:00']],
  ])('rrule-temporal 2.2.7: %s', (text, expected) => {
    expect(ours(text)).toEqual(expected)
    expect(oracle(text, '2024-01-01T00:00')).not.toEqual(expected)
  })
})
