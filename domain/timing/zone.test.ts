import { formatLocal, isValidTimeZone, offsetAt, parseLocal, wallToInstant } from './zone'

const H = 3_600_000
const instant = (zone: string, local: string) => {
  const r = wallToInstant(zone, parseLocal(local)!)
  return { at: new Date(r.at).toISOString(), shifted: r.shifted }
}

describe('parseLocal / formatLocal', () => {
  it('round-trips valid local date-times', () => {
    for (const s of ['2026-03-20T09:00', '2024-02-29T23:59', '0999-01-01T00:00']) expect(formatLocal(parseLocal(s)!)).toBe(s)
  })
  it('rejects malformed or impossible values', () => {
    for (const s of ['2026-02-29T09:00', '2026-13-01T00:00', '2026-03-20T24:00', '2026-03-20 09:00', '2026-03-20T09:00:00', '20260320T0900'])
      expect(parseLocal(s)).toBeUndefined()
  })
})

describe('isValidTimeZone', () => {
  it('accepts IANA names and rejects the rest', () => {
    expect(isValidTimeZone('Europe/Berlin')).toBe(true)
    expect(isValidTimeZone('UTC')).toBe(true)
    expect(isValidTimeZone('Mars/Olympus_Mons')).toBe(false)
    expect(isValidTimeZone('+02:00')).toBe(false)
    expect(isValidTimeZone('')).toBe(false)
  })
})

describe('offsetAt', () => {
  it('knows half- and quarter-hour zones and both sides of DST', () => {
    expect(offsetAt('Asia/Kolkata', Date.UTC(2026, 0, 1)) / H).toBe(5.5)
    expect(offsetAt('Asia/Kathmandu', Date.UTC(2026, 0, 1)) / H).toBe(5.75)
    expect(offsetAt('Pacific/Chatham', Date.UTC(2026, 0, 1)) / H).toBe(13.75)
    expect(offsetAt('Pacific/Chatham', Date.UTC(2026, 6, 1)) / H).toBe(12.75)
    expect(offsetAt('Australia/Lord_Howe', Date.UTC(2026, 0, 1)) / H).toBe(11)
    expect(offsetAt('Australia/Lord_Howe', Date.UTC(2026, 6, 1)) / H).toBe(10.5)
    expect(offsetAt('America/St_Johns', Date.UTC(2026, 0, 1)) / H).toBe(-3.5)
    expect(offsetAt('America/St_Johns', Date.UTC(2026, 6, 1)) / H).toBe(-2.5)
  })
  it('switches at the exact transition instant', () => {
    const change = Date.UTC(2026, 2, 29, 1) // Europe/Berlin: 02:00 CET → 03:00 CEST
    expect(offsetAt('Europe/Berlin', change - 1000) / H).toBe(1)
    expect(offsetAt('Europe/Berlin', change) / H).toBe(2)
  })
})

describe('wallToInstant (compatible disambiguation)', () => {
  it('moves a time in the spring-forward gap forward by the gap length', () => {
    expect(instant('Europe/Berlin', '2026-03-29T02:30')).toEqual({ at: '2026-03-29T01:30:00.000Z', shifted: true })
    expect(instant('America/New_York', '2026-03-08T02:30')).toEqual({ at: '2026-03-08T07:30:00.000Z', shifted: true })
    expect(instant('Australia/Sydney', '2026-10-04T02:30')).toEqual({ at: '2026-10-03T16:30:00.000Z', shifted: true })
    // Lord Howe's gap is 30 minutes: 02:15 becomes 02:45.
    expect(instant('Australia/Lord_Howe', '2026-10-04T02:15')).toEqual({ at: '2026-10-03T15:45:00.000Z', shifted: true })
  })
  it('takes the earlier instant in the fall-back overlap', () => {
    expect(instant('Europe/Berlin', '2026-10-25T02:30')).toEqual({ at: '2026-10-25T00:30:00.000Z', shifted: false })
    expect(instant('America/New_York', '2026-11-01T01:30')).toEqual({ at: '2026-11-01T05:30:00.000Z', shifted: false })
    expect(instant('Australia/Sydney', '2026-04-05T02:30')).toEqual({ at: '2026-04-04T15:30:00.000Z', shifted: false })
  })
  it('uses the constant offset where there is no DST', () => {
    expect(instant('Asia/Kolkata', '2026-03-29T02:30')).toEqual({ at: '2026-03-28T21:00:00.000Z', shifted: false })
    expect(instant('Asia/Kolkata', '2026-10-25T02:30')).toEqual({ at: '2026-10-24T21:00:00.000Z', shifted: false })
  })
  it('handles a skipped calendar day (Pacific/Apia, 2011-12-30)', () => {
    expect(instant('Pacific/Apia', '2011-12-30T09:00')).toEqual({ at: '2011-12-30T19:00:00.000Z', shifted: true })
  })
})
