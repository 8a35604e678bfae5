import { parseSeriesTiming } from './schema'

const base = { rule: 'FREQ=WEEKLY;BYDAY=TU,TH;COUNT=10', start: '2026-03-20T09:00', timezone: 'Europe/Berlin' }
const issuesOf = (input: unknown) => {
  const r = parseSeriesTiming(input)
  if (r.ok) throw new Error('expected issues')
  return r.issues
}

describe('parseSeriesTiming', () => {
  it('accepts a valid timing and returns it unchanged', () => {
    expect(parseSeriesTiming(base)).toEqual({ ok: true, value: base })
    const evergreen = { ...base, rule: 'FREQ=DAILY', evergreen: { minGap: 'P7D', until: '2026-12-31T00:00' } }
    expect(parseSeriesTiming(evergreen)).toEqual({ ok: true, value: evergreen })
  })

  it.each([
    ['FREQ=FORTNIGHTLY;COUNT=1', "rule: FREQ 'FORTNIGHTLY' is not one of"],
    ['COUNT=3', 'rule: FREQ is missing'],
    ['', 'rule: is empty'],
    ['FREQ=DAILY;COUNT', "rule: 'COUNT' is not a KEY=VALUE part"],
    ['FREQ=DAILY;COUNT=0', "rule: COUNT '0' must be a positive whole number"],
    ['FREQ=DAILY;INTERVAL=x;COUNT=2', "rule: INTERVAL 'X' must be a positive whole number"],
    ['FREQ=DAILY;INTERVAL=10001;COUNT=2', "rule: INTERVAL '10001' is above 10000"],
    ['FREQ=WEEKLY;BYDAY=TU,XX;COUNT=2', "rule: BYDAY 'XX' is not a weekday"],
    ['FREQ=WEEKLY;BYDAY=1TU;COUNT=2', 'rule: BYDAY with an ordinal (such as 1MO or -1FR) needs FREQ=MONTHLY or FREQ=YEARLY'],
    ['FREQ=MONTHLY;BYMONTHDAY=32;COUNT=2', "rule: BYMONTHDAY value '32' is out of range"],
    ['FREQ=MONTHLY;BYMONTH=0;COUNT=2', "rule: BYMONTH value '0' is out of range"],
    ['FREQ=DAILY;BYHOUR=24;COUNT=2', "rule: BYHOUR value '24' is out of range"],
    ['FREQ=DAILY;BYMINUTE=-5;COUNT=2', "rule: BYMINUTE value '-5' is out of range"],
    ['FREQ=DAILY;UNTIL=2026-04-01;', "rule: UNTIL '2026-04-01' must be a date"],
    ['FREQ=DAILY;COUNT=2;UNTIL=20260401', 'rule: COUNT and UNTIL must not both be given'],
    ['FREQ=DAILY;COUNT=2;COUNT=3', 'rule: COUNT appears twice'],
    ['FREQ=DAILY;BYSETPOS=1;COUNT=2', 'rule: BYSETPOS needs another BY part'],
    ['FREQ=WEEKLY;BYMONTHDAY=1;COUNT=2', 'rule: BYMONTHDAY cannot be used with FREQ=WEEKLY'],
    ['FREQ=YEARLY;BYWEEKNO=20;COUNT=2', 'rule: BYWEEKNO is not supported'],
    ['FREQ=DAILY;FOO=1;COUNT=2', "rule: unknown part 'FOO'"],
    ['FREQ=DAILY;WKST=XX;COUNT=2', "rule: WKST 'XX' is not a weekday"],
    ['FREQ=SECONDLY;COUNT=2', 'rule: FREQ=SECONDLY is a sub-minute frequency'],
    ['FREQ=DAILY;BYSECOND=30;COUNT=2', 'rule: BYSECOND other than 0 is a sub-minute rule'],
    ['FREQ=MINUTELY;INTERVAL=5;COUNT=2', 'rule: FREQ=MINUTELY needs INTERVAL=15 or more'],
    ['FREQ=WEEKLY;BYDAY=TU', 'rule: never ends and would expand without bound; add COUNT or UNTIL'],
    ['FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30;COUNT=3', 'rule: produces no occurrences'],
    ['FREQ=MONTHLY;BYMONTHDAY=1;BYSETPOS=2;COUNT=3', 'rule: produces no occurrences'],
    ['FREQ=MINUTELY;INTERVAL=15;BYMINUTE=7;COUNT=3', 'rule: produces no occurrences'],
  ])('rejects rule %j', (rule, message) => {
    const issues = issuesOf({ ...base, rule })
    expect(issues).toHaveLength(1)
    expect(issues[0]!.field).toBe('rule')
    expect(issues[0]!.message).toContain(message)
  })

  it('accepts MINUTELY at 15 minutes, HOURLY, and BYSECOND=0', () => {
    for (const rule of ['FREQ=MINUTELY;INTERVAL=15;COUNT=4', 'FREQ=HOURLY;COUNT=4', 'FREQ=DAILY;BYSECOND=0;COUNT=4'])
      expect(parseSeriesTiming({ ...base, rule }).ok).toBe(true)
  })

  it.each([
    [{ timezone: 'Europe/Berln' }, 'timezone', "timezone 'Europe/Berln' is not a known IANA time zone"],
    [{ timezone: 42 }, 'timezone', 'timezone must be an IANA time zone name'],
    [{ start: '2026-03-20 09:00' }, 'start', "start '2026-03-20 09:00' is not a valid local date-time"],
    [{ start: '2026-02-30T09:00' }, 'start', 'is not a valid local date-time'],
    [{ start: undefined }, 'start', 'start must be a local date-time string'],
    [{ rule: 7 }, 'rule', 'rule must be an RRULE string'],
    [{ exdates: ['2026-03-24'] }, 'exdates.0', "exdates '2026-03-24' is not a valid local date-time"],
    [{ rdates: 'x' }, 'rdates', 'rdates must be a list of local date-times'],
    [{ rule: 'FREQ=DAILY', evergreen: { minGap: '7 days', until: '2026-12-31T00:00' } }, 'evergreen.minGap', "evergreen.minGap '7 days' is not an ISO 8601 duration"],
    [{ evergreen: { minGap: 'P7D', until: '2025-01-01T00:00' } }, 'evergreen.until', 'evergreen.until is before start'],
  ])('rejects %j', (patch, field, message) => {
    const issues = issuesOf({ ...base, ...patch })
    expect(issues.map((i) => i.field)).toContain(field)
    expect(issues.find((i) => i.field === field)!.message).toContain(message)
  })

  it('reports every bad field at once', () => {
    const issues = issuesOf({ rule: 'FREQ=NEVER', start: 'tomorrow', timezone: 'Atlantis/Capital' })
    expect(issues.map((i) => i.field).sort()).toEqual(['rule', 'start', 'timezone'])
  })

  it('rejects a non-object', () => {
    expect(issuesOf('FREQ=DAILY')[0]!.message).toContain('timing must be an object')
  })
})
