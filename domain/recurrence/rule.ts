/** RFC 5545 RRULE text → a checked, typed rule. Each failure names the rule part and the reason. */

import { WEEKDAYS, type Weekday } from '../timing/input'

export const FREQUENCIES = ['YEARLY', 'MONTHLY', 'WEEKLY', 'DAILY', 'HOURLY', 'MINUTELY'] as const
export type Frequency = (typeof FREQUENCIES)[number]

/** The smallest INTERVAL accepted with FREQ=MINUTELY: denser posting is spam, and it bounds expansion. */
export const MIN_MINUTELY_INTERVAL = 15

const MAX_INTERVAL = 10_000

/** `nth` 0 = every such weekday of the period; ±n = the n-th from the start/end (MONTHLY/YEARLY only). */
export type ByDay = { weekday: number /* 0 = Monday */; nth: number }

export type Until = { kind: 'local'; wall: number } | { kind: 'utc'; at: number }

export type Rule = {
  freq: Frequency
  interval: number
  count?: number
  until?: Until
  byDay?: ByDay[]
  bySetPos?: number[]
  byMonthDay?: number[]
  byMonth?: number[]
  byHour?: number[]
  byMinute?: number[]
  wkst: number
}

export type RuleResult = { ok: true; value: Rule } | { ok: false; message: string }

const UNSUPPORTED = new Set(['BYYEARDAY', 'BYWEEKNO', 'RSCALE', 'SKIP'])

function intList(key: string, value: string, min: number, max: number, allowNegative: boolean): number[] | string {
  const out: number[] = []
  for (const item of value.split(',')) {
    if (!/^[+-]?\d+$/.test(item)) return `${key} value '${item}' is not a whole number`
    const n = Number(item)
    const abs = Math.abs(n)
    if ((n < 0 && !allowNegative) || abs < min || abs > max)
      return `${key} value '${item}' is out of range (${allowNegative ? `±${min}..${max}` : `${min}..${max}`})`
    out.push(n)
  }
  return [...new Set(out)].sort((a, b) => a - b)
}

function parseUntil(value: string): Until | string {
  const m = /^(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2})(\d{2})(Z)?)?$/.exec(value)
  const bad = `UNTIL '${value}' must be a date (20260331), a local date-time (20260331T180000) or UTC (20260331T170000Z)`
  if (!m) return bad
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])]
  // A date-only UNTIL includes that whole local day.
  const [h, mi, s] = m[4] === undefined ? [23, 59, 59] : [Number(m[4]), Number(m[5]), Number(m[6])]
  const ms = Date.UTC(y, mo - 1, d, h, mi, s)
  const back = new Date(ms)
  if (back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) return bad
  return m[7] ? { kind: 'utc', at: ms } : { kind: 'local', wall: ms }
}

export function parseRule(text: string): RuleResult {
  const fail = (message: string): RuleResult => ({ ok: false, message: `rule: ${message}` })
  const body = text.trim().replace(/^RRULE:/i, '')
  if (!body) return fail('is empty; expected something like FREQ=WEEKLY;BYDAY=TU,TH;COUNT=10')
  const parts = new Map<string, string>()
  for (const part of body.split(';')) {
    if (!part) continue
    const eq = part.indexOf('=')
    if (eq <= 0 || eq === part.length - 1) return fail(`'${part}' is not a KEY=VALUE part`)
    const key = part.slice(0, eq).toUpperCase()
    if (parts.has(key)) return fail(`${key} appears twice`)
    parts.set(key, part.slice(eq + 1).toUpperCase())
  }

  const freq = parts.get('FREQ')
  if (!freq) return fail('FREQ is missing')
  if (freq === 'SECONDLY') return fail('FREQ=SECONDLY is a sub-minute frequency; occurrences are at least 15 minutes apart')
  if (!(FREQUENCIES as readonly string[]).includes(freq))
    return fail(`FREQ '${freq}' is not one of ${FREQUENCIES.join(', ')}`)
  const rule: Rule = { freq: freq as Frequency, interval: 1, wkst: 0 }

  for (const [key, value] of parts) {
    switch (key) {
      case 'FREQ':
        break
      case 'INTERVAL':
      case 'COUNT': {
        if (!/^\d+$/.test(value) || Number(value) < 1) return fail(`${key} '${value}' must be a positive whole number`)
        if (key === 'INTERVAL' && Number(value) > MAX_INTERVAL) return fail(`INTERVAL '${value}' is above ${MAX_INTERVAL}`)
        if (key === 'INTERVAL') rule.interval = Number(value)
        else rule.count = Number(value)
        break
      }
      case 'UNTIL': {
        const until = parseUntil(value)
        if (typeof until === 'string') return fail(until)
        rule.until = until
        break
      }
      case 'BYDAY': {
        const days: ByDay[] = []
        for (const item of value.split(',')) {
          const m = /^([+-]?\d{1,2})?(MO|TU|WE|TH|FR|SA|SU)$/.exec(item)
          const nth = m?.[1] === undefined ? 0 : Number(m[1])
          if (!m || (m[1] !== undefined && (nth === 0 || Math.abs(nth) > 53)))
            return fail(`BYDAY '${item}' is not a weekday (MO..SU, optionally with an ordinal such as 1MO or -1FR)`)
          days.push({ weekday: WEEKDAYS.indexOf(m[2] as Weekday), nth })
        }
        rule.byDay = days
        break
      }
      case 'BYSETPOS': {
        const r = intList(key, value, 1, 366, true)
        if (typeof r === 'string') return fail(r)
        rule.bySetPos = r
        break
      }
      case 'BYMONTHDAY': {
        const r = intList(key, value, 1, 31, true)
        if (typeof r === 'string') return fail(r)
        rule.byMonthDay = r
        break
      }
      case 'BYMONTH': {
        const r = intList(key, value, 1, 12, false)
        if (typeof r === 'string') return fail(r)
        rule.byMonth = r
        break
      }
      case 'BYHOUR': {
        const r = intList(key, value, 0, 23, false)
        if (typeof r === 'string') return fail(r)
        rule.byHour = r
        break
      }
      case 'BYMINUTE': {
        const r = intList(key, value, 0, 59, false)
        if (typeof r === 'string') return fail(r)
        rule.byMinute = r
        break
      }
      case 'BYSECOND':
        if (value !== '0') return fail('BYSECOND other than 0 is a sub-minute rule; occurrences fall on whole minutes')
        break
      case 'WKST': {
        const i = WEEKDAYS.indexOf(value as Weekday)
        if (i < 0) return fail(`WKST '${value}' is not a weekday (MO..SU)`)
        rule.wkst = i
        break
      }
      default:
        return fail(UNSUPPORTED.has(key) ? `${key} is not supported` : `unknown part '${key}'`)
    }
  }

  if (rule.count !== undefined && rule.until) return fail('COUNT and UNTIL must not both be given (RFC 5545)')
  if (rule.freq === 'MINUTELY' && rule.interval < MIN_MINUTELY_INTERVAL)
    return fail(`FREQ=MINUTELY needs INTERVAL=${MIN_MINUTELY_INTERVAL} or more; occurrences closer than ${MIN_MINUTELY_INTERVAL} minutes are not supported`)
  if (rule.byDay?.some((d) => d.nth !== 0) && rule.freq !== 'MONTHLY' && rule.freq !== 'YEARLY')
    return fail('BYDAY with an ordinal (such as 1MO or -1FR) needs FREQ=MONTHLY or FREQ=YEARLY')
  if (rule.byMonthDay && rule.freq === 'WEEKLY') return fail('BYMONTHDAY cannot be used with FREQ=WEEKLY')
  if (rule.bySetPos && !(rule.byDay || rule.byMonthDay || rule.byMonth || rule.byHour || rule.byMinute))
    return fail('BYSETPOS needs another BY part (such as BYDAY) to pick from')
  return { ok: true, value: rule }
}
