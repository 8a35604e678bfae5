/**
 * Time-zone arithmetic on "wall times": a local date-time encoded as the milliseconds it would have if
 * it were UTC (so calendar maths is plain integer maths and never depends on the host's TZ).
 * Offsets come from Intl (the ICU tz database) and are cached per zone as transition lists, because one
 * Intl call costs ~1.5 µs and a 100k-occurrence expansion would otherwise spend most of its time there.
 */

export const MINUTE = 60_000
export const HOUR = 3_600_000
export const DAY = 86_400_000

const LOCAL_RE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})$/

/** 'YYYY-MM-DDTHH:mm' → wall ms, or undefined when malformed or not a real calendar date. */
export function parseLocal(text: string): number | undefined {
  const m = LOCAL_RE.exec(text)
  if (!m) return undefined
  const [y, mo, d, h, mi] = m.slice(1).map(Number) as [number, number, number, number, number]
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo) || h > 23 || mi > 59) return undefined
  return Date.UTC(y, mo - 1, d, h, mi)
}

const TWO_DIGITS = Array.from({ length: 32 }, (_, i) => String(i).padStart(2, '0'))
const TIMES = Array.from({ length: 1440 }, (_, i) => `T${TWO_DIGITS[Math.floor(i / 60)]}:${String(i % 60).padStart(2, '0')}`)

/** Wall ms → 'YYYY-MM-DDTHH:mm' (hand-rolled: toISOString dominated the expansion profile). */
export function formatLocal(wall: number): string {
  const day = Math.floor(wall / DAY)
  const { y, m, d } = civil(day)
  const year = y >= 1000 ? String(y) : String(y).padStart(4, '0')
  return `${year}-${TWO_DIGITS[m]}-${TWO_DIGITS[d]}${TIMES[Math.floor((wall - day * DAY) / MINUTE)]}`
}

/** Civil date from days since 1970-01-01 (H. Hinnant's algorithm), without Date objects. */
export function civil(days: number): { y: number; m: number; d: number } {
  const z = days + 719468
  const era = Math.floor(z / 146097)
  const doe = z - era * 146097
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365)
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100))
  const mp = Math.floor((5 * doy + 2) / 153)
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1
  const m = mp < 10 ? mp + 3 : mp - 9
  return { y: yoe + era * 400 + (m <= 2 ? 1 : 0), m, d }
}

/** Weekday of a day number (days since 1970-01-01), 0 = Monday. */
export const weekdayOf = (day: number) => (((day + 3) % 7) + 7) % 7

export function daysInMonth(year: number, month: number): number {
  return month === 2 ? (isLeapYear(year) ? 29 : 28) : [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]!
}

export function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0
}

const formatters = new Map<string, Intl.DateTimeFormat | null>()

function formatterFor(zone: string): Intl.DateTimeFormat | null {
  let f = formatters.get(zone)
  if (f === undefined) {
    try {
      f = new Intl.DateTimeFormat('en-US', { timeZone: zone, timeZoneName: 'longOffset' })
    } catch {
      f = null
    }
    formatters.set(zone, f)
  }
  return f
}

/** An IANA zone name Intl knows (e.g. 'Europe/Berlin', 'UTC'); offset strings like '+02:00' are not zones. */
export function isValidTimeZone(zone: string): boolean {
  return /^[A-Za-z]/.test(zone) && formatterFor(zone) !== null
}

function requireFormatter(zone: string): Intl.DateTimeFormat {
  const f = formatterFor(zone)
  if (!f) throw new RangeError(`timezone '${zone}' is not a known IANA time zone`)
  return f
}

/** Offset (ms, local − UTC) straight from Intl: "11/22/2026, GMT+01:00" / "GMT-03:30" / "GMT". */
function intlOffset(f: Intl.DateTimeFormat, at: number): number {
  const text = f.format(at)
  const m = /GMT([+\u2212-])(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(text)
  if (!m) return 0
  const sign = m[1] === '+' ? 1 : -1
  return sign * (Number(m[2]) * HOUR + Number(m[3]) * MINUTE + Number(m[4] ?? 0) * 1000)
}

type Block = { startOffset: number; transitions: Array<{ at: number; offset: number }> }

/** Offsets are sampled every SAMPLE ms and transitions bisected to the second; a change that
 * reverts within one sample step would be missed (none exists in tzdb since 1970). */
const SAMPLE = 7 * DAY
const BLOCK = 8 * SAMPLE
const blocks = new Map<string, Map<number, Block>>()

function buildBlock(f: Intl.DateTimeFormat, index: number): Block {
  const start = index * BLOCK
  const transitions: Block['transitions'] = []
  const findTransitions = (a: number, offA: number, b: number, offB: number) => {
    // Invariant: offset(a) = offA ≠ offB = offset(b); find the first second with offset ≠ offA.
    let lo = a
    let hi = b
    while (hi - lo > 1000) {
      const mid = lo + Math.floor((hi - lo) / 2000) * 1000
      if (intlOffset(f, mid) === offA) lo = mid
      else hi = mid
    }
    const offHi = intlOffset(f, hi)
    transitions.push({ at: hi, offset: offHi })
    if (offHi !== offB) findTransitions(hi, offHi, b, offB)
  }
  const startOffset = intlOffset(f, start)
  let prevAt = start
  let prevOff = startOffset
  for (let t = start + SAMPLE; t <= start + BLOCK; t += SAMPLE) {
    const at = Math.min(t, start + BLOCK - 1000)
    const off = intlOffset(f, at)
    if (off !== prevOff) findTransitions(prevAt, prevOff, at, off)
    prevAt = at
    prevOff = off
  }
  return { startOffset, transitions }
}

let last: { zone: string; index: number; block: Block } | undefined

/** UTC offset (ms, local − UTC) of `zone` at instant `at` (ms since epoch). */
export function offsetAt(zone: string, at: number): number {
  const index = Math.floor(at / BLOCK)
  let block: Block | undefined
  if (last && last.index === index && last.zone === zone) block = last.block
  else {
    let zoneBlocks = blocks.get(zone)
    if (!zoneBlocks) {
      zoneBlocks = new Map()
      blocks.set(zone, zoneBlocks)
    }
    block = zoneBlocks.get(index)
    if (!block) {
      block = buildBlock(requireFormatter(zone), index)
      zoneBlocks.set(index, block)
    }
    last = { zone, index, block }
  }
  let offset = block.startOffset
  for (const t of block.transitions) {
    if (at < t.at) break
    offset = t.offset
  }
  return offset
}

/** Instant → wall ms in `zone`. */
export function instantToWall(zone: string, at: number): number {
  return at + offsetAt(zone, at)
}

/**
 * Wall ms → instant with Temporal's 'compatible' disambiguation (RFC 5545 §3.3.5): an ambiguous wall
 * time (fall-back overlap) takes the earlier instant; a nonexistent one (spring-forward gap) is read
 * with the offset before the gap, i.e. moved forward by the gap length.
 */
export function resolveWall(zone: string, wall: number): number {
  const before = offsetAt(zone, wall - DAY)
  const after = offsetAt(zone, wall + DAY)
  const first = wall - before
  if (before === after || offsetAt(zone, first) === before) return first
  const second = wall - after
  return offsetAt(zone, second) === after ? second : first
}

/** resolveWall, plus whether the wall time was in a gap (and so the instant shows another wall time). */
export function wallToInstant(zone: string, wall: number): { at: number; shifted: boolean } {
  const at = resolveWall(zone, wall)
  return { at, shifted: instantToWall(zone, at) !== wall }
}
