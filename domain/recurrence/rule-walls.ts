/**
 * Expands a Rule into floating wall times (see ../timing/zone.ts), in order, lazily.
 * Period by period as RFC 5545 §3.3.10 describes: build the period's candidate set from the BY parts
 * (expanding or limiting per FREQ), apply BYSETPOS, drop what precedes DTSTART, stop at COUNT/UNTIL.
 */
import { DAY, HOUR, MINUTE, civil, daysInMonth, weekdayOf } from '../timing/zone'
import type { Rule } from './rule'

/** Give up after this long, or this many periods, without a single match (an impossible rule such as
 * BYMONTH=2;BYMONTHDAY=30). The period cap bounds sub-daily rules: a legitimately sparse one
 * (FREQ=MINUTELY;INTERVAL=15;BYMONTH=2;BYMONTHDAY=29) waits at most ~12 years ≈ 420k periods. */
const MAX_EMPTY_SPAN = 400 * 366 * DAY
const MAX_EMPTY_PERIODS = 1_000_000
/** Year 9999 ends the calendar we can print. */
const MAX_WALL = Date.UTC(9999, 11, 31, 23, 59)

const dayNumber = (y: number, m: number, d: number) => Date.UTC(y, m - 1, d) / DAY

/** Days of [first, first+length) matching BYDAY entries; `nth` counts within that span. */
function byDayIn(rule: Rule, first: number, length: number): number[] {
  const out: number[] = []
  if (rule.byDay!.every((b) => b.nth === 0)) {
    // Common case (BYDAY=MO,TU,WE,TH,FR): one ascending pass, no sorting needed later.
    for (let d = first, wd = weekdayOf(first); d < first + length; d++, wd = wd === 6 ? 0 : wd + 1)
      if (rule.byDay!.some((b) => b.weekday === wd)) out.push(d)
    return out
  }
  for (const { weekday, nth } of rule.byDay!) {
    const firstMatch = first + ((weekday - weekdayOf(first) + 7) % 7)
    if (nth === 0) for (let d = firstMatch; d < first + length; d += 7) out.push(d)
    else if (nth > 0) {
      const d = firstMatch + (nth - 1) * 7
      if (d < first + length) out.push(d)
    } else {
      const last = first + length - 1
      const d = last - ((weekdayOf(last) - weekday + 7) % 7) + (nth + 1) * 7
      if (d >= first) out.push(d)
    }
  }
  return out
}

function monthDaysIn(rule: Rule, y: number, m: number): number[] {
  const len = daysInMonth(y, m)
  const first = dayNumber(y, m, 1)
  const out: number[] = []
  for (const md of rule.byMonthDay!) {
    const d = md > 0 ? md : len + 1 + md
    if (d >= 1 && d <= len) out.push(first + d - 1)
  }
  return out
}

function ascending(list: number[]): boolean {
  for (let i = 1; i < list.length; i++) if (list[i]! <= list[i - 1]!) return false
  return true
}

const intersect = (a: number[], b: number[]) => {
  const set = new Set(b)
  return a.filter((x) => set.has(x))
}

/** Candidate days of one month for MONTHLY, or for YEARLY with BYMONTH. */
function daysOfMonth(rule: Rule, y: number, m: number, startDay: number): number[] {
  if (!rule.byDay && !rule.byMonthDay) return startDay <= daysInMonth(y, m) ? [dayNumber(y, m, startDay)] : []
  const byDay = rule.byDay && byDayIn(rule, dayNumber(y, m, 1), daysInMonth(y, m))
  const byMonthDay = rule.byMonthDay && monthDaysIn(rule, y, m)
  return byDay && byMonthDay ? intersect(byDay, byMonthDay) : (byDay ?? byMonthDay)!
}

function daysOfYear(rule: Rule, y: number, start: { m: number; d: number }): number[] {
  if (rule.byMonth) return rule.byMonth.flatMap((m) => daysOfMonth(rule, y, m, start.d))
  if (!rule.byDay && !rule.byMonthDay)
    return start.d <= daysInMonth(y, start.m) ? [dayNumber(y, start.m, start.d)] : []
  const byDay = rule.byDay && byDayIn(rule, dayNumber(y, 1, 1), dayNumber(y + 1, 1, 1) - dayNumber(y, 1, 1))
  const byMonthDay = rule.byMonthDay && Array.from({ length: 12 }, (_, i) => monthDaysIn(rule, y, i + 1)).flat()
  return byDay && byMonthDay ? intersect(byDay, byMonthDay) : (byDay ?? byMonthDay)!
}

/** BYMONTH / BYMONTHDAY / BYDAY as limits on a single day (DAILY and finer; BYMONTH for WEEKLY). */
function dayPasses(rule: Rule, day: number, limits: { month: boolean; monthDay: boolean; weekday: boolean }): boolean {
  if (limits.weekday && rule.byDay && !rule.byDay.some((b) => b.weekday === weekdayOf(day))) return false
  if ((limits.month && rule.byMonth) || (limits.monthDay && rule.byMonthDay)) {
    const { y, m, d } = civil(day)
    if (limits.month && rule.byMonth && !rule.byMonth.includes(m)) return false
    if (limits.monthDay && rule.byMonthDay) {
      const len = daysInMonth(y, m)
      if (!rule.byMonthDay.some((md) => (md > 0 ? md : len + 1 + md) === d)) return false
    }
  }
  return true
}

const ALL_LIMITS = { month: true, monthDay: true, weekday: true }
const NONE: number[] = []

/** Wall times of one period, sorted, before BYSETPOS and DTSTART filtering. */
type Period = (k: number) => number[]

function periods(rule: Rule, startWall: number): Period {
  const startDay = Math.floor(startWall / DAY)
  const start = civil(startDay)
  const startMinuteOfDay = (startWall - startDay * DAY) / MINUTE
  const hours = rule.byHour ?? [Math.floor(startMinuteOfDay / 60)]
  const minutes = rule.byMinute ?? [startMinuteOfDay % 60]
  const timesOfDay = hours.flatMap((h) => minutes.map((mi) => h * HOUR + mi * MINUTE))
  const atTimes = (days: number[]) => {
    if (!ascending(days)) days = [...new Set(days)].sort((a, b) => a - b)
    const out: number[] = []
    for (const day of days) for (const t of timesOfDay) out.push(day * DAY + t)
    return out
  }
  const step = rule.interval
  switch (rule.freq) {
    case 'YEARLY':
      return (k) => atTimes(daysOfYear(rule, start.y + k * step, start))
    case 'MONTHLY':
      return (k) => {
        const index = start.y * 12 + (start.m - 1) + k * step
        const y = Math.floor(index / 12)
        const m = (index % 12) + 1
        if (rule.byMonth && !rule.byMonth.includes(m)) return NONE
        return atTimes(daysOfMonth(rule, y, m, start.d))
      }
    case 'WEEKLY': {
      const weekStart = startDay - ((weekdayOf(startDay) - rule.wkst + 7) % 7)
      const weekdays = rule.byDay ? rule.byDay.map((b) => b.weekday) : [weekdayOf(startDay)]
      const offsets = [...new Set(weekdays.map((w) => (w - rule.wkst + 7) % 7))].sort((a, b) => a - b)
      const monthOnly = { month: true, monthDay: false, weekday: false }
      return (k) => {
        const first = weekStart + k * 7 * step
        const days = offsets.map((o) => first + o)
        return atTimes(rule.byMonth ? days.filter((d) => dayPasses(rule, d, monthOnly)) : days)
      }
    }
    case 'DAILY':
      return (k) => {
        const day = startDay + k * step
        return dayPasses(rule, day, ALL_LIMITS) ? timesOfDay.map((t) => day * DAY + t) : NONE
      }
    case 'HOURLY': {
      const startHour = Math.floor(startWall / HOUR)
      return (k) => {
        const hourStart = (startHour + k * step) * HOUR
        const day = Math.floor(hourStart / DAY)
        if (rule.byHour && !rule.byHour.includes((hourStart - day * DAY) / HOUR)) return NONE
        if (!dayPasses(rule, day, ALL_LIMITS)) return NONE
        return minutes.map((mi) => hourStart + mi * MINUTE)
      }
    }
    case 'MINUTELY': {
      const startMinute = Math.floor(startWall / MINUTE)
      return (k) => {
        const at = (startMinute + k * step) * MINUTE
        const day = Math.floor(at / DAY)
        const minuteOfDay = (at - day * DAY) / MINUTE
        if (rule.byHour && !rule.byHour.includes(Math.floor(minuteOfDay / 60))) return NONE
        if (rule.byMinute && !rule.byMinute.includes(minuteOfDay % 60)) return NONE
        return dayPasses(rule, day, ALL_LIMITS) ? [at] : []
      }
    }
  }
}

function applySetPos(set: number[], positions: number[]): number[] {
  const picked = new Set<number>()
  for (const p of positions) {
    const v = p > 0 ? set[p - 1] : set[set.length + p]
    if (v !== undefined) picked.add(v)
  }
  return [...picked].sort((a, b) => a - b)
}

/**
 * The rule's wall times from `startWall` on. `untilWall` (inclusive) bounds the rule in addition to its
 * own COUNT/UNTIL (a UTC UNTIL is the caller's business: it needs the zone).
 */
export function* ruleWalls(rule: Rule, startWall: number, untilWall?: number): Generator<number> {
  const period = periods(rule, startWall)
  const limit = Math.min(untilWall ?? MAX_WALL, rule.until?.kind === 'local' ? rule.until.wall : MAX_WALL, MAX_WALL)
  let emitted = 0
  let lastMatch = startWall
  let lastMatchPeriod = 0
  for (let k = 0; ; k++) {
    let set = period(k)
    if (rule.bySetPos && set.length) set = applySetPos(set, rule.bySetPos)
    if (set.length === 0) {
      // Periods only move forward, so an empty one far past the last match means nothing will come.
      if (k - lastMatchPeriod > MAX_EMPTY_PERIODS) return
      if (k % 64 === 0 && approximatePeriodStart(rule, startWall, k) - lastMatch > MAX_EMPTY_SPAN) return
      if (approximatePeriodStart(rule, startWall, k) > limit) return
      continue
    }
    for (const wall of set) {
      if (wall < startWall) continue
      if (wall > limit) return
      lastMatch = wall
      lastMatchPeriod = k
      yield wall
      if (rule.count !== undefined && ++emitted >= rule.count) return
    }
  }
}

const PERIOD_MS = { YEARLY: 365 * DAY, MONTHLY: 28 * DAY, WEEKLY: 7 * DAY, DAILY: DAY, HOURLY: HOUR, MINUTELY: MINUTE }

/** A lower bound of period k's start (good enough to detect running past a limit). */
function approximatePeriodStart(rule: Rule, startWall: number, k: number): number {
  return startWall - 7 * DAY + k * rule.interval * PERIOD_MS[rule.freq]
}
