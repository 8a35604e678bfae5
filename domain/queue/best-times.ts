/**
 * Best-time suggestions (issue 20, decision 101): the weekday × hour slots, in the account's zone, at
 * which the account's own published posts drew the most engagement at their 24 h reading. Pure: the
 * posts (instant + engagement) and the zone are arguments.
 *
 * A slot's score is its median engagement per post shrunk toward the account's median:
 * (n · slotMedian + k · accountMedian) / (n + k), so one lucky post (or two) cannot outrank a slot that
 * did well many times. Only slots with at least `minPostsPerSlot` posts are suggested, and nothing is
 * suggested before the account has `minPosts` measured posts: then the answer says how many more.
 */
import { WEEKDAYS, type Weekday } from '../timing/input'
import { DAY, HOUR, instantToWall, weekdayOf } from '../timing/zone'

export type MeasuredPost = { publishedAt: Date; engagement: number }

export type BestTime = {
  day: Weekday
  /** The slot's local time, HH:00 (a queue slot's `time`). */
  time: string
  /** Measured posts published in this weekday and hour. */
  posts: number
  /** Their median engagement at 24 h. */
  median: number
  /** The median shrunk toward the account's median: the ranking key. */
  score: number
}

export type BestTimes =
  | { status: 'ready'; timezone: string; posts: number; accountMedian: number; suggestions: BestTime[] }
  | { status: 'not-enough-data'; timezone: string; posts: number; needed: number; message: string }

export const BEST_TIME_DEFAULTS = { minPosts: 10, minPostsPerSlot: 3, shrinkage: 5, limit: 3 } as const

export function median(values: readonly number[]): number {
  if (values.length === 0) return 0
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

/** Weekday and local hour of an instant in `zone`. */
export function slotOf(zone: string, at: Date): { day: Weekday; hour: number } {
  const wall = instantToWall(zone, at.getTime())
  const day = Math.floor(wall / DAY)
  return { day: WEEKDAYS[weekdayOf(day)]!, hour: Math.floor((wall - day * DAY) / HOUR) }
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`

/** Rank the account's weekday × hour slots by shrunk median engagement per post; best first, at most `limit`. */
export function suggestBestTimes(args: {
  posts: readonly MeasuredPost[]
  timezone: string
  minPosts?: number
  minPostsPerSlot?: number
  shrinkage?: number
  limit?: number
}): BestTimes {
  const { posts, timezone } = args
  const minPosts = args.minPosts ?? BEST_TIME_DEFAULTS.minPosts
  const minPostsPerSlot = args.minPostsPerSlot ?? BEST_TIME_DEFAULTS.minPostsPerSlot
  const k = args.shrinkage ?? BEST_TIME_DEFAULTS.shrinkage
  const limit = args.limit ?? BEST_TIME_DEFAULTS.limit
  if (posts.length < minPosts) {
    const needed = minPosts - posts.length
    return {
      status: 'not-enough-data',
      timezone,
      posts: posts.length,
      needed,
      message: `Suggestions need ${plural(minPosts, 'published post')} with engagement measured after 24 hours; this account has ${posts.length}, so ${plural(needed, 'more post')} ${needed === 1 ? 'is' : 'are'} needed.`,
    }
  }
  const bySlot = new Map<string, { day: Weekday; hour: number; values: number[] }>()
  for (const post of posts) {
    const { day, hour } = slotOf(timezone, post.publishedAt)
    const key = `${day} ${hour}`
    const slot = bySlot.get(key) ?? { day, hour, values: [] }
    slot.values.push(post.engagement)
    bySlot.set(key, slot)
  }
  const accountMedian = median(posts.map((p) => p.engagement))
  const eligible = [...bySlot.values()].filter((s) => s.values.length >= minPostsPerSlot)
  if (eligible.length === 0) {
    const most = Math.max(...[...bySlot.values()].map((s) => s.values.length))
    const needed = minPostsPerSlot - most
    return {
      status: 'not-enough-data',
      timezone,
      posts: posts.length,
      needed,
      message: `Suggestions need ${plural(minPostsPerSlot, 'published post')} at one weekday and hour; the busiest has ${most}, so ${plural(needed, 'more post')} at the same time ${needed === 1 ? 'is' : 'are'} needed.`,
    }
  }
  const suggestions = eligible
    .map((s) => {
      const n = s.values.length
      const m = median(s.values)
      return { day: s.day, time: `${String(s.hour).padStart(2, '0')}:00`, posts: n, median: m, score: (n * m + k * accountMedian) / (n + k) }
    })
    .sort((a, b) => b.score - a.score || b.posts - a.posts || WEEKDAYS.indexOf(a.day) - WEEKDAYS.indexOf(b.day) || a.time.localeCompare(b.time))
    .slice(0, limit)
  return { status: 'ready', timezone, posts: posts.length, accountMedian, suggestions }
}
