/**
 * Plain-language English description of a rule, e.g. "every Tuesday and Thursday at 9:00, 10 times".
 * Built from the parsed rule (not rrule's toText, which prints UNTIL in the host's zone), so the text
 * is the same on every server; times are the series' local wall times.
 */
import { formatLocal, parseLocal } from '../timing/zone'
import { parseRule, type ByDay, type Rule } from './rule'
import { TimingInputError } from '../timing/input'

const DAY_NAMES = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday']
const MONTH_NAMES = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December']
const UNITS = { YEARLY: 'year', MONTHLY: 'month', WEEKLY: 'week', DAILY: 'day', HOURLY: 'hour', MINUTELY: 'minute' }

function list(items: string[], last = 'and'): string {
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} ${last} ${items.at(-1)}`
}

const suffixed = (n: number) =>
  `${n}${n % 100 >= 11 && n % 100 <= 13 ? 'th' : (['th', 'st', 'nd', 'rd'][n % 10] ?? 'th')}`

export function ordinal(n: number): string {
  if (n === -1) return 'last'
  if (n < 0) return `${ordinal(-n)} to last`
  return ['first', 'second', 'third', 'fourth', 'fifth'][n - 1] ?? suffixed(n)
}

/** Day of month as in "the 1st", "the last day", "the 2nd to last day". */
function monthDay(n: number): string {
  if (n === -1) return 'the last day'
  return n < 0 ? `the ${suffixed(-n)} to last day` : `the ${suffixed(n)}`
}

const WEEKDAYS_MASK = [0, 1, 2, 3, 4]
const isSet = (days: number[], set: number[]) => days.length === set.length && set.every((d) => days.includes(d))

function plainDays(days: number[], connector = 'and'): string {
  const sorted = [...days].sort((a, b) => a - b)
  if (isSet(sorted, WEEKDAYS_MASK)) return 'weekday'
  if (isSet(sorted, [5, 6])) return 'weekend day'
  return list(sorted.map((d) => DAY_NAMES[d]!), connector)
}

function describeByDay(byDay: ByDay[], connector = 'and'): string {
  if (byDay.every((b) => b.nth === 0)) return plainDays(byDay.map((b) => b.weekday), connector)
  return list(byDay.map((b) => (b.nth === 0 ? `every ${DAY_NAMES[b.weekday]}` : `the ${ordinal(b.nth)} ${DAY_NAMES[b.weekday]}`)))
}

const clock = (h: number, m: number) => `${h}:${String(m).padStart(2, '0')}`

function times(rule: Rule, startWall: number): string {
  const local = formatLocal(startWall)
  const startHour = Number(local.slice(11, 13))
  const startMinute = Number(local.slice(14, 16))
  const minutes = rule.byMinute ?? [startMinute]
  if (rule.freq === 'MINUTELY') return rule.byHour ? ` during the hours ${list(rule.byHour.map(String))}` : ''
  if (rule.freq === 'HOURLY') {
    const at = ` at ${list(minutes.map((m) => `:${String(m).padStart(2, '0')}`))}`
    return rule.byHour ? `${at} during the hours ${list(rule.byHour.map(String))}` : at
  }
  const hours = rule.byHour ?? [startHour]
  return ` at ${list(hours.flatMap((h) => minutes.map((m) => clock(h, m))))}`
}

function describeUntil(rule: Rule): string {
  if (rule.count !== undefined) return rule.count === 1 ? ', once' : `, ${rule.count} times`
  if (!rule.until) return ''
  const text = rule.until.kind === 'local' ? formatLocal(rule.until.wall) : formatLocal(rule.until.at)
  const [date, time] = text.split('T') as [string, string]
  if (rule.until.kind === 'utc') return `, until ${date} ${time} UTC`
  return time === '23:59' ? `, until ${date}` : `, until ${date} ${time}`
}

export function describeParsedRule(rule: Rule, startWall: number): string {
  const n = rule.interval
  const unit = UNITS[rule.freq]
  const every = n === 1 ? `every ${unit}` : `every ${n} ${unit}s`
  let text: string
  const plain = rule.byDay?.every((b) => b.nth === 0) && !rule.bySetPos
  if (plain && n === 1 && (rule.freq === 'WEEKLY' || rule.freq === 'DAILY')) text = `every ${plainDays(rule.byDay!.map((b) => b.weekday))}`
  else {
    text = every
    if (rule.byDay && rule.bySetPos) text += ` on the ${list(rule.bySetPos.map(ordinal))} ${describeByDay(rule.byDay, 'or')}`
    else if (rule.byDay) text += ` on ${describeByDay(rule.byDay)}`
    if (rule.byMonthDay) {
      const days = [...rule.byMonthDay.filter((d) => d > 0), ...rule.byMonthDay.filter((d) => d < 0)]
      text += ` on ${list(days.map(monthDay))}`
    }
    if (rule.bySetPos && !rule.byDay) text += ` (only the ${list(rule.bySetPos.map(ordinal))} match of each ${unit})`
  }
  if (rule.byMonth) text += ` in ${list(rule.byMonth.map((m) => MONTH_NAMES[m - 1]!))}`
  if (rule.freq === 'YEARLY' && !rule.byMonth && !rule.byDay && !rule.byMonthDay) {
    const local = formatLocal(startWall)
    text += ` on ${MONTH_NAMES[Number(local.slice(5, 7)) - 1]} ${Number(local.slice(8, 10))}`
  }
  if (rule.freq === 'MONTHLY' && !rule.byDay && !rule.byMonthDay) text += ` on ${monthDay(Number(formatLocal(startWall).slice(8, 10)))}`
  return text + times(rule, startWall) + describeUntil(rule)
}

/** Describe `rule` starting at local `start`. Throws TimingInputError on a bad rule or start. */
export function describeRule(args: { rule: string; start: string }): string {
  const rule = parseRule(args.rule)
  const start = parseLocal(args.start)
  if (!rule.ok) throw new TimingInputError([{ field: 'rule', message: rule.message }])
  if (start === undefined)
    throw new TimingInputError([{ field: 'start', message: `start '${args.start}' is not a valid local date-time like 2026-03-20T09:00` }])
  return describeParsedRule(rule.value, start)
}
