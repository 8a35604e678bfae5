/**
 * expandSeries against independent oracles, over 30+ zones and 2024–2030:
 *  A. rrule-temporal expanding floating wall times + temporal-polyfill's 'compatible' conversion
 *     → same instants and same local wall times (a time in a DST gap lands exactly one gap later);
 *  B. rrule-temporal expanding in the zone itself (RFC 5545 §3.3.10: gap instances are dropped and not
 *     counted) → our occurrences outside gaps are exactly its first ones;
 *  C. rrule (floating) → the same wall times.
 */
import fc from 'fast-check'
import rrulePkg from 'rrule'
import { RRuleTemporal } from 'rrule-temporal'
import { Temporal } from 'temporal-polyfill'
import { expandSeries } from './series'

const { rrulestr } = rrulePkg

const ZONES = [
  'Europe/Berlin', 'America/New_York', 'America/Los_Angeles', 'Australia/Sydney', 'Australia/Lord_Howe',
  'Asia/Kolkata', 'Asia/Kathmandu', 'Pacific/Chatham', 'America/Sao_Paulo', 'Africa/Casablanca',
  'Europe/London', 'America/St_Johns', 'Pacific/Apia', 'America/Chicago', 'America/Denver', 'America/Phoenix',
  'America/Halifax', 'America/Havana', 'America/Santiago', 'America/Asuncion', 'America/Mexico_City',
  'Europe/Dublin', 'Europe/Moscow', 'Europe/Kyiv', 'Asia/Tehran', 'Asia/Jerusalem', 'Asia/Gaza', 'Asia/Beirut',
  'Asia/Tokyo', 'Africa/Cairo', 'Pacific/Auckland', 'Pacific/Norfolk', 'America/Nuuk', 'Atlantic/Azores',
  'Antarctica/Troll', 'Pacific/Kiritimati', 'America/Scoresbysund', 'UTC',
]

const WD = ['MO', 'TU', 'WE', 'TH', 'FR', 'SA', 'SU'] as const
const pad = (n: number) => String(n).padStart(2, '0')

const weekdaySet = fc.subarray([...WD], { minLength: 1 })
const interval = fc.integer({ min: 1, max: 3 })
/** Hours near DST changes (0–3) are over-represented; minutes include the half hours gaps often split. */
const hour = fc.oneof(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 23 }))
const minute = fc.constantFrom(0, 15, 30, 45)
/** Two hours at least 3 apart, so a gap-shifted time never collides with or overtakes the next one. */
const hourPair = fc.tuple(fc.integer({ min: 0, max: 10 }), fc.integer({ min: 3, max: 13 })).map(([a, d]) => [a, a + d])

const rulePart = fc.oneof(
  fc.record({ interval, days: fc.option(weekdaySet, { nil: undefined }) }).map(
    ({ interval, days }) => `FREQ=DAILY;INTERVAL=${interval}${days ? `;BYDAY=${days.join(',')}` : ''}`,
  ),
  fc.record({ interval, days: weekdaySet, wkst: fc.constantFrom(...WD) }).map(
    ({ interval, days, wkst }) => `FREQ=WEEKLY;INTERVAL=${interval};BYDAY=${days.join(',')};WKST=${wkst}`,
  ),
  fc.record({ interval, monthDays: fc.uniqueArray(fc.oneof(fc.integer({ min: 1, max: 31 }), fc.integer({ min: -5, max: -1 })), { minLength: 1, maxLength: 3 }) }).map(
    ({ interval, monthDays }) => `FREQ=MONTHLY;INTERVAL=${interval};BYMONTHDAY=${monthDays.join(',')}`,
  ),
  fc.record({ nth: fc.constantFrom(1, 2, 3, 4, -1, -2), day: fc.constantFrom(...WD) }).map(
    ({ nth, day }) => `FREQ=MONTHLY;BYDAY=${nth}${day}`,
  ),
  fc.record({ days: weekdaySet, pos: fc.constantFrom(1, 2, -1, -2) }).map(
    ({ days, pos }) => `FREQ=MONTHLY;BYDAY=${days.join(',')};BYSETPOS=${pos}`,
  ),
  fc.record({ months: fc.uniqueArray(fc.integer({ min: 1, max: 12 }), { minLength: 1, maxLength: 3 }), nth: fc.constantFrom(1, -1), day: fc.constantFrom(...WD) }).map(
    ({ months, nth, day }) => `FREQ=YEARLY;BYMONTH=${months.join(',')};BYDAY=${nth}${day}`,
  ),
)

const timeParts = fc.option(fc.record({ hours: hourPair, minute }), { nil: undefined }).map((t) =>
  t ? `;BYHOUR=${t.hours.join(',')};BYMINUTE=${t.minute}` : '',
)

const startArb = fc.record({
  date: fc.date({ min: new Date('2024-01-01T00:00Z'), max: new Date('2029-06-30T00:00Z'), noInvalidDate: true }),
  hour,
  minute,
}).map(({ date, hour, minute }) => `${date.toISOString().slice(0, 10)}T${pad(hour)}:${pad(minute)}`)

const caseArb = fc.record({
  zone: fc.constantFrom(...ZONES),
  rule: fc.tuple(rulePart, timeParts).map(([r, t]) => r + t),
  start: startArb,
  count: fc.integer({ min: 1, max: 30 }),
})

const compact = (local: string) => local.replace(/[-:]/g, '') + '00'

/** Floating wall times from rrule-temporal (UTC as a stand-in for "no zone"). */
function oracleWalls(rule: string, start: string): Temporal.PlainDateTime[] {
  const r = new RRuleTemporal({ rruleString: rule, dtstart: Temporal.ZonedDateTime.from(`${start}:00[UTC]`) })
  return r.all().map((z) => Temporal.PlainDateTime.from(z.toString().slice(0, 19)))
}

describe('expandSeries matches independent oracles', () => {
  it('A: rrule-temporal wall times + Temporal compatible conversion; C: rrule wall times', () => {
    fc.assert(
      fc.property(caseArb, ({ zone, rule, start, count }) => {
        const full = `${rule};COUNT=${count}`
        const ours = expandSeries({ rule: full, start, timezone: zone, limit: 1000 })
        const walls = oracleWalls(full, start)
        const expected = walls.map((w) => {
          const z = w.toZonedDateTime(zone, { disambiguation: 'compatible' })
          return { at: new Date(z.epochMilliseconds).toISOString(), local: z.toPlainDateTime().toString().slice(0, 16) }
        })
        expect(ours.map((o) => ({ at: o.at.toISOString(), local: o.local }))).toEqual(expected)
        expect(ours.map((o) => o.index)).toEqual(expected.map((_, i) => i + 1))

        const rruleWalls = rrulestr(`DTSTART:${compact(start)}\nRRULE:${full}`).all()
        expect(rruleWalls.map((d) => d.toISOString().slice(0, 16))).toEqual(walls.map((w) => w.toString().slice(0, 16)))
      }),
      { numRuns: 250 },
    )
  })

  it('B: rrule-temporal in the zone agrees on every occurrence that is not in a DST gap', () => {
    // rrule-temporal 2.2.7 misplaces some Africa/Casablanca Ramadan offsets (2029-02-02T00:00 is +00:00
    // per Intl and temporal-polyfill, it says +01:00); and it drops a gap time before applying BYSETPOS
    // (Antarctica/Troll, last Sunday of March 2024 at 01:00 becomes the Sunday before), so its sequence
    // is not "ours minus the gap times" there. Oracle A covers both.
    // A DTSTART in a gap it shifts (02:00 → 03:00) and then gives every later occurrence the shifted time
    // of day when the rule has no BYHOUR (LA, DTSTART 2027-03-14T02:00, BYMONTHDAY=1: it says 03:00 on
    // April 1st, where the wall time is 02:00); oracle A checks those starts.
    const startsInGap = ({ zone, start }: { zone: string; start: string }) =>
      Temporal.PlainDateTime.from(start).toZonedDateTime(zone, { disambiguation: 'compatible' }).toPlainDateTime().toString().slice(0, 16) !== start
    const zonedOracleCases = caseArb.filter((c) => c.zone !== 'Africa/Casablanca' && !c.rule.includes('BYSETPOS') && !startsInGap(c))
    fc.assert(
      fc.property(zonedOracleCases, ({ zone, rule, start, count }) => {
        const full = `${rule};COUNT=${count}`
        const ours = expandSeries({ rule: full, start, timezone: zone, limit: 1000 })
        const walls = oracleWalls(full, start).map((w) => w.toString().slice(0, 16))
        const outsideGaps = ours.filter((o, i) => o.local === walls[i]).map((o) => o.at.toISOString())
        const dtstart = Temporal.PlainDateTime.from(start).toZonedDateTime(zone, { disambiguation: 'compatible' })
        const zoned = new RRuleTemporal({ rruleString: full, dtstart, tzid: zone }).all()
        // The oracle drops gap times only from the second occurrence on; a DTSTART in a gap it keeps, shifted.
        const oracle = zoned.map((z) => new Date(z.epochMilliseconds).toISOString())
        expect(oracle.slice(0, outsideGaps.length)).toEqual(outsideGaps)
      }),
      { numRuns: 250 },
    )
  })

  it('UNTIL as a local wall time matches the oracle', () => {
    fc.assert(
      fc.property(caseArb, fc.integer({ min: 1, max: 400 }), ({ zone, rule, start }, days) => {
        const untilLocal = Temporal.PlainDateTime.from(start).add({ days }).toString().slice(0, 16)
        const walls = oracleWalls(`${rule};UNTIL=${compact(untilLocal)}Z`, start)
        const expand = () => expandSeries({ rule: `${rule};UNTIL=${compact(untilLocal)}`, start, timezone: zone, limit: 5000 })
        if (walls.length === 0) {
          expect(expand).toThrow('rule: produces no occurrences')
          return
        }
        const ours = expand()
        expect(ours.map((o) => o.at.getTime())).toEqual(
          walls.map((w) => w.toZonedDateTime(zone, { disambiguation: 'compatible' }).epochMilliseconds),
        )
      }),
      { numRuns: 100 },
    )
  })
})
