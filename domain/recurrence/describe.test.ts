import { describeRule } from './describe'

describe('describeRule', () => {
  it.each([
    ['FREQ=WEEKLY;BYDAY=TU,TH;COUNT=10', '2026-03-20T09:00', 'every Tuesday and Thursday at 9:00, 10 times'],
    ['FREQ=DAILY;COUNT=1', '2026-03-20T09:30', 'every day at 9:30, once'],
    ['FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR;COUNT=20', '2026-03-20T08:05', 'every weekday at 8:05, 20 times'],
    ['FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,WE,FR;UNTIL=20260630', '2026-03-20T09:00', 'every 2 weeks on Monday, Wednesday and Friday at 9:00, until 2026-06-30'],
    ['FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1;COUNT=6', '2026-01-01T17:00', 'every month on the last weekday at 17:00, 6 times'],
    ['FREQ=MONTHLY;BYDAY=1MO,-1FR;COUNT=6', '2026-01-01T17:00', 'every month on the first Monday and the last Friday at 17:00, 6 times'],
    ['FREQ=MONTHLY;BYMONTHDAY=1,15,-1;COUNT=6', '2026-01-01T08:00', 'every month on the 1st, the 15th and the last day at 8:00, 6 times'],
    ['FREQ=MONTHLY;COUNT=6', '2026-03-22T08:05', 'every month on the 22nd at 8:05, 6 times'],
    ['FREQ=YEARLY;BYMONTH=3,9;BYDAY=-1SU;COUNT=6', '2026-03-22T10:00', 'every year on the last Sunday in March and September at 10:00, 6 times'],
    ['FREQ=YEARLY;COUNT=3', '2026-03-22T10:00', 'every year on March 22 at 10:00, 3 times'],
    ['FREQ=HOURLY;INTERVAL=3;BYMINUTE=0,30;COUNT=6', '2026-03-22T08:05', 'every 3 hours at :00 and :30, 6 times'],
    ['FREQ=DAILY;BYHOUR=9,17;COUNT=6', '2026-03-22T08:30', 'every day at 9:30 and 17:30, 6 times'],
    ['FREQ=DAILY;UNTIL=20260401T170000Z', '2026-03-22T08:30', 'every day at 8:30, until 2026-04-01 17:00 UTC'],
    ['FREQ=DAILY;UNTIL=20260401T120000', '2026-03-22T08:30', 'every day at 8:30, until 2026-04-01 12:00'],
  ])('%s → %s', (rule, start, text) => {
    expect(describeRule({ rule, start })).toBe(text)
  })

  it('names the field when the rule is bad', () => {
    expect(() => describeRule({ rule: 'FREQ=OFTEN', start: '2026-03-20T09:00' })).toThrow("rule: FREQ 'OFTEN'")
  })
})
