import { median, slotOf, suggestBestTimes, type MeasuredPost } from './best-times'

const HOUR = 3_600_000
const WEEK = 7 * 24 * HOUR
// Tuesday 2026-01-06 09:00 in Berlin (CET, +01:00); ten weeks on is still before the DST change.
const TUE_0900_BERLIN = Date.parse('2026-01-06T08:00:00Z')

/** `engagements.length` posts in the same weekday and hour, one a week from `first`. */
const weekly = (first: number, engagements: number[]): MeasuredPost[] => engagements.map((engagement, i) => ({ publishedAt: new Date(first + i * WEEK), engagement }))

describe('suggestBestTimes', () => {
  it('ranks weekday × hour slots in the account’s zone by median engagement per post', () => {
    const posts = [
      ...weekly(TUE_0900_BERLIN, [300, 340, 360, 500]), // Tue 09:00: median 350
      ...weekly(TUE_0900_BERLIN + 2 * 24 * HOUR + 4 * HOUR, [100, 120, 90]), // Thu 13:00: median 100
      ...weekly(TUE_0900_BERLIN + 24 * HOUR, [200, 210, 190]), // Wed 09:00: median 200
    ]
    const result = suggestBestTimes({ posts, timezone: 'Europe/Berlin' })
    expect(result.status).toBe('ready')
    if (result.status !== 'ready') return
    expect(result.suggestions.map((s) => [s.day, s.time, s.posts, s.median])).toEqual([
      ['TU', '09:00', 4, 350],
      ['WE', '09:00', 3, 200],
      ['TH', '13:00', 3, 100],
    ])
    // The same posts in UTC fall an hour earlier.
    const utc = suggestBestTimes({ posts, timezone: 'UTC' })
    expect(utc.status === 'ready' && utc.suggestions[0]).toMatchObject({ day: 'TU', time: '08:00' })
  })

  it('keeps a slot’s local hour across a DST change (Berlin, March 2026)', () => {
    // Tuesdays 09:00 local: 08:00Z before 29 March, 07:00Z after.
    expect(slotOf('Europe/Berlin', new Date('2026-03-24T08:00:00Z'))).toEqual({ day: 'TU', hour: 9 })
    expect(slotOf('Europe/Berlin', new Date('2026-03-31T07:00:00Z'))).toEqual({ day: 'TU', hour: 9 })
  })

  it('does not let a slot with one or two lucky posts win, and shrinks a small slot toward the account’s median', () => {
    const posts = [
      ...weekly(TUE_0900_BERLIN, [5000, 4000]), // two viral posts on Tue 09:00: below the per-slot minimum
      ...weekly(TUE_0900_BERLIN + 24 * HOUR, [100, 110, 120, 100, 110, 120, 100, 110, 120, 110]), // Wed 09:00, 10 steady posts: median 110
      ...weekly(TUE_0900_BERLIN + 48 * HOUR, [200, 10, 10]), // Thu 09:00: median 10
      ...weekly(TUE_0900_BERLIN + 72 * HOUR, [130, 130, 130]), // Fri 09:00: 3 posts, median 130
    ]
    const result = suggestBestTimes({ posts, timezone: 'Europe/Berlin', shrinkage: 20 })
    if (result.status !== 'ready') throw new Error(result.message)
    expect(result.suggestions.map((s) => s.day)).not.toContain('TU')
    expect(result.accountMedian).toBe(115)
    // Fri's 130 over 3 posts is pulled most of the way to the account’s 115; Wed’s 110 over 10 posts stays near it.
    const fri = result.suggestions.find((s) => s.day === 'FR')!
    expect(fri.score).toBeCloseTo((3 * 130 + 20 * 115) / 23)
    expect(result.suggestions.map((s) => s.day)).toEqual(['FR', 'WE', 'TH'])
  })

  it('suggests nothing with too little data, and says how many more posts are needed', () => {
    const few = suggestBestTimes({ posts: weekly(TUE_0900_BERLIN, [10, 20, 30, 40]), timezone: 'Europe/Berlin' })
    expect(few).toMatchObject({ status: 'not-enough-data', posts: 4, needed: 6 })
    expect(few.status === 'not-enough-data' && few.message).toMatch(/has 4, so 6 more posts are needed/)
    expect(suggestBestTimes({ posts: [], timezone: 'UTC' })).toMatchObject({ status: 'not-enough-data', posts: 0, needed: 10 })
    // Ten posts, but never two at the same weekday and hour.
    const scattered = Array.from({ length: 10 }, (_, i) => ({ publishedAt: new Date(TUE_0900_BERLIN + i * 25 * HOUR), engagement: 50 }))
    const spread = suggestBestTimes({ posts: scattered, timezone: 'Europe/Berlin' })
    expect(spread).toMatchObject({ status: 'not-enough-data', posts: 10, needed: 2 })
    expect(spread.status === 'not-enough-data' && spread.message).toMatch(/at one weekday and hour/)
  })

  it('takes the median, not the mean', () => {
    expect(median([1, 2, 100])).toBe(2)
    expect(median([1, 2, 3, 100])).toBe(2.5)
    expect(median([])).toBe(0)
  })
})
