import { expandSeries } from './series'
import { TimingInputError } from '../timing/input'

const expand = (args: Partial<Parameters<typeof expandSeries>[0]> & { rule: string }) =>
  expandSeries({ start: '2026-03-20T09:00', timezone: 'Europe/Berlin', limit: 1000, ...args })
const pairs = (list: ReturnType<typeof expandSeries>) => list.map((o) => [o.at.toISOString(), o.local])

describe('expandSeries', () => {
  it("the issue's example: Tue/Thu 09:00 Berlin, 10 posts across the March 2026 change", () => {
    const list = expand({ rule: 'FREQ=WEEKLY;BYDAY=TU,TH;COUNT=10' })
    expect(list.map((o) => o.index)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    expect(list.map((o) => o.local)).toEqual([
      '2026-03-24T09:00', '2026-03-26T09:00', '2026-03-31T09:00', '2026-04-02T09:00', '2026-04-07T09:00',
      '2026-04-09T09:00', '2026-04-14T09:00', '2026-04-16T09:00', '2026-04-21T09:00', '2026-04-23T09:00',
    ])
    expect(list.map((o) => o.at.toISOString().slice(11, 16))).toEqual([
      '08:00', '08:00', '07:00', '07:00', '07:00', '07:00', '07:00', '07:00', '07:00', '07:00',
    ])
  })

  it('accepts an RRULE: prefix', () => {
    expect(pairs(expand({ rule: 'RRULE:FREQ=DAILY;COUNT=2' }))).toEqual(pairs(expand({ rule: 'FREQ=DAILY;COUNT=2' })))
  })

  describe.each([
    { zone: 'Europe/Berlin', gapDay: '2026-03-29', gapAt: '2026-03-29T01:30:00.000Z', overlapDay: '2026-10-25', overlapAt: '2026-10-25T00:30:00.000Z' },
    { zone: 'America/New_York', gapDay: '2026-03-08', gapAt: '2026-03-08T07:30:00.000Z', overlapDay: '2026-11-01', overlapAt: '2026-11-01T05:30:00.000Z', overlapTime: '01:30' },
    { zone: 'Australia/Sydney', gapDay: '2026-10-04', gapAt: '2026-10-03T16:30:00.000Z', overlapDay: '2026-04-05', overlapAt: '2026-04-04T15:30:00.000Z' },
  ])('DST in $zone', ({ zone, gapDay, gapAt, overlapDay, overlapAt, overlapTime = '02:30' }) => {
    it('a daily 02:30 in the gap goes out at 03:30 that day, 02:30 on the days around it', () => {
      const start = new Date(Date.parse(`${gapDay}T00:00Z`) - 86_400_000).toISOString().slice(0, 10)
      const list = expandSeries({ rule: 'FREQ=DAILY;COUNT=3', start: `${start}T02:30`, timezone: zone, limit: 10 })
      expect(list.map((o) => o.local.slice(11))).toEqual(['02:30', '03:30', '02:30'])
      expect(list[1]!.local.slice(0, 10)).toBe(gapDay)
      expect(list[1]!.at.toISOString()).toBe(gapAt)
    })
    it('a time in the overlap takes the earlier instant, once', () => {
      const list = expandSeries({ rule: 'FREQ=DAILY;COUNT=1', start: `${overlapDay}T${overlapTime}`, timezone: zone, limit: 10 })
      expect(pairs(list)).toEqual([[overlapAt, `${overlapDay}T${overlapTime}`]])
    })
    it('09:00 stays 09:00 local all year', () => {
      const list = expandSeries({ rule: 'FREQ=WEEKLY;COUNT=60', start: '2026-01-05T09:00', timezone: zone, limit: 100 })
      expect(new Set(list.map((o) => o.local.slice(11)))).toEqual(new Set(['09:00']))
      expect(new Set(list.map((o) => o.at.toISOString().slice(11, 16))).size).toBe(2) // two UTC offsets
    })
  })

  it('Asia/Kolkata has no DST: a constant +05:30 through both European change dates', () => {
    const list = expandSeries({ rule: 'FREQ=DAILY;COUNT=240', start: '2026-03-01T02:30', timezone: 'Asia/Kolkata', limit: 500 })
    expect(new Set(list.map((o) => o.at.toISOString().slice(11, 16)))).toEqual(new Set(['21:00']))
    expect(new Set(list.map((o) => o.local.slice(11)))).toEqual(new Set(['02:30']))
  })

  it.each(['Europe/Berlin', 'America/New_York', 'Australia/Sydney', 'Australia/Lord_Howe', 'Asia/Kolkata', 'Pacific/Chatham'])(
    'a daily rule fires exactly once per local day in %s (a whole year at 02:30)',
    (zone) => {
      const list = expandSeries({ rule: 'FREQ=DAILY;COUNT=365', start: '2026-01-01T02:30', timezone: zone, limit: 500 })
      const days = list.map((o) => o.local.slice(0, 10))
      expect(new Set(days).size).toBe(365)
      expect(days.at(-1)).toBe('2026-12-31')
      for (let i = 1; i < list.length; i++) expect(list[i]!.at > list[i - 1]!.at).toBe(true)
    },
  )

  it('an hourly rule does not post twice when the gap hour lands on the next one', () => {
    const list = expand({ rule: 'FREQ=HOURLY;COUNT=5', start: '2026-03-29T00:00' })
    expect(list.map((o) => o.local)).toEqual(['2026-03-29T00:00', '2026-03-29T01:00', '2026-03-29T03:00', '2026-03-29T04:00'])
    expect(new Set(list.map((o) => o.at.getTime())).size).toBe(4)
  })

  it('BYSETPOS: the last weekday of each month', () => {
    const list = expand({ rule: 'FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1;COUNT=6', start: '2026-01-01T17:00', timezone: 'America/New_York' })
    expect(list.map((o) => o.local)).toEqual([
      '2026-01-30T17:00', '2026-02-27T17:00', '2026-03-31T17:00', '2026-04-30T17:00', '2026-05-29T17:00', '2026-06-30T17:00',
    ])
  })

  it('ordinal weekdays, BYMONTHDAY (negative), BYMONTH, BYHOUR/BYMINUTE, INTERVAL and WKST', () => {
    expect(expand({ rule: 'FREQ=MONTHLY;BYDAY=2TU,-1FR;COUNT=4', start: '2026-01-01T09:00' }).map((o) => o.local.slice(0, 10))).toEqual([
      '2026-01-13', '2026-01-30', '2026-02-10', '2026-02-27',
    ])
    expect(expand({ rule: 'FREQ=MONTHLY;BYMONTHDAY=-1;BYMONTH=2,4;COUNT=3', start: '2026-01-01T09:00' }).map((o) => o.local.slice(0, 10))).toEqual([
      '2026-02-28', '2026-04-30', '2027-02-28',
    ])
    expect(expand({ rule: 'FREQ=DAILY;BYHOUR=8,18;BYMINUTE=15;COUNT=3', start: '2026-01-01T09:00' }).map((o) => o.local)).toEqual([
      '2026-01-01T18:15', '2026-01-02T08:15', '2026-01-02T18:15',
    ])
    // Every other week on Monday and Sunday: WKST decides which Sunday belongs to which week.
    const mo = expand({ rule: 'FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,SU;WKST=MO;COUNT=4', start: '2026-01-05T09:00' })
    const su = expand({ rule: 'FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,SU;WKST=SU;COUNT=4', start: '2026-01-05T09:00' })
    expect(mo.map((o) => o.local.slice(0, 10))).toEqual(['2026-01-05', '2026-01-11', '2026-01-19', '2026-01-25'])
    expect(su.map((o) => o.local.slice(0, 10))).toEqual(['2026-01-05', '2026-01-18', '2026-01-19', '2026-02-01'])
  })

  it('UNTIL: floating is read in the series zone and is inclusive; Z is a UTC instant', () => {
    const local = expand({ rule: 'FREQ=DAILY;UNTIL=20260323T090000' })
    expect(local.map((o) => o.local.slice(0, 10))).toEqual(['2026-03-20', '2026-03-21', '2026-03-22', '2026-03-23'])
    const dateOnly = expand({ rule: 'FREQ=DAILY;UNTIL=20260322' })
    expect(dateOnly.at(-1)!.local).toBe('2026-03-22T09:00')
    // 2026-03-23T08:00Z is 09:00 in Berlin: included; 07:59Z excludes it.
    expect(expand({ rule: 'FREQ=DAILY;UNTIL=20260323T080000Z' }).at(-1)!.local).toBe('2026-03-23T09:00')
    expect(expand({ rule: 'FREQ=DAILY;UNTIL=20260323T075900Z' }).at(-1)!.local).toBe('2026-03-22T09:00')
  })

  it('EXDATE removes occurrences and RDATE adds some, in order', () => {
    const list = expand({
      rule: 'FREQ=WEEKLY;BYDAY=TU,TH;COUNT=4',
      exdates: ['2026-03-26T09:00', '2026-03-26T10:00'],
      rdates: ['2026-03-25T12:00', '2026-03-24T09:00', '2026-04-10T08:00'],
    })
    expect(list.map((o) => o.local)).toEqual(['2026-03-24T09:00', '2026-03-25T12:00', '2026-03-31T09:00', '2026-04-02T09:00', '2026-04-10T08:00'])
    expect(list.map((o) => o.index)).toEqual([1, 2, 3, 4, 5])
  })

  it('after and limit page through the series, keeping the series-wide index', () => {
    const all = expand({ rule: 'FREQ=DAILY;COUNT=10' })
    const page = expand({ rule: 'FREQ=DAILY;COUNT=10', after: all[3]!.at, limit: 3 })
    expect(page.map((o) => o.index)).toEqual([5, 6, 7])
    expect(pairs(page)).toEqual(pairs(all.slice(4, 7)))
  })

  it('an impossible-looking but valid rule ends instead of hanging (rrule loops on this one)', () => {
    expect(() => expand({ rule: 'FREQ=HOURLY;INTERVAL=24;BYHOUR=5;COUNT=5' })).toThrow('rule: produces no occurrences')
  })

  it('throws TimingInputError with field-named issues on bad input', () => {
    try {
      expand({ rule: 'FREQ=DAILY;BYDAY=XX;COUNT=1', timezone: 'Nowhere/Land' })
      expect.unreachable()
    } catch (e) {
      expect(e).toBeInstanceOf(TimingInputError)
      expect((e as TimingInputError).issues.map((i) => i.field).sort()).toEqual(['rule', 'timezone'])
    }
  })
})
