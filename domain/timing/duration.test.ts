import { addDuration, parseIsoDuration } from './duration'

describe('parseIsoDuration', () => {
  it('reads whole-number ISO 8601 durations', () => {
    expect(parseIsoDuration('P2D')).toMatchObject({ days: 2, hours: 0 })
    expect(parseIsoDuration('PT4H')).toMatchObject({ days: 0, hours: 4 })
    expect(parseIsoDuration('P1Y2M3W4DT5H6M7S')).toEqual({ years: 1, months: 2, weeks: 3, days: 4, hours: 5, minutes: 6, seconds: 7 })
  })
  it('rejects malformed text', () => {
    for (const s of ['', 'P', 'PT', 'P1DT', '2D', 'P-1D', 'P1.5D', 'PT1D', 'P1H', 'p1d']) expect(parseIsoDuration(s)).toBeUndefined()
  })
})

describe('addDuration', () => {
  const add = (at: string, d: string, timezone = 'Europe/Berlin') =>
    addDuration({ at: new Date(at), duration: parseIsoDuration(d)!, timezone }).toISOString()
  it('clamps to the end of a shorter month', () => {
    expect(add('2026-01-31T09:00Z', 'P1M', 'UTC')).toBe('2026-02-28T09:00:00.000Z')
    expect(add('2024-02-29T09:00Z', 'P1Y', 'UTC')).toBe('2025-02-28T09:00:00.000Z')
  })
  it('adds weeks and days on the local calendar, then exact time', () => {
    expect(add('2026-03-22T08:00Z', 'P1W')).toBe('2026-03-29T07:00:00.000Z')
    expect(add('2026-03-28T08:00Z', 'P1DT1H')).toBe('2026-03-29T08:00:00.000Z')
  })
  it('lands a calendar step in a DST gap one gap later', () => {
    expect(add('2026-03-28T01:30Z', 'P1D')).toBe('2026-03-29T01:30:00.000Z') // 02:30 CET → "02:30" → 03:30 CEST
  })
})
