import type { ScoreRule } from './types'

/**
 * Lead score with optional exponential decay. A score is stored with the instant it was computed at;
 * its value later is `score × 0.5^(elapsed / halfLife)`, so adding points is O(1) and the decay is a
 * pure function of time (no job has to rewrite scores). A decay rule (`inactive`) is the other kind of
 * decay: points taken away per period without activity, applied by a daily job (`decayDue`).
 */

export const DEFAULT_SCORE_RULES: ScoreRule[] = [
  { on: 'opened', points: 1 },
  { on: 'clicked', points: 2 },
]

export type StoredScore = { score: number; at: Date | null }

export function decayedScore(args: { stored: StoredScore; now: Date; halfLifeDays: number | null }): number {
  const { stored, now, halfLifeDays } = args
  if (!halfLifeDays || !stored.at || stored.score === 0) return stored.score
  const elapsedDays = Math.max(0, now.getTime() - stored.at.getTime()) / 86_400_000
  return stored.score * Math.pow(0.5, elapsedDays / halfLifeDays)
}

/** The stored score after adding `points` now. */
export function addScore(args: { stored: StoredScore; points: number; now: Date; halfLifeDays: number | null }): StoredScore {
  return { score: decayedScore(args) + args.points, at: args.now }
}

/** Points an activity earns under the workspace's rules (the sum of every matching rule). */
export function pointsFor(args: { rules: ScoreRule[]; activity: ScoreActivity }): number {
  return matchingRules(args).reduce((sum, rule) => sum + rule.points, 0)
}

/** For display: one decimal at most. */
export function displayScore(score: number): number {
  return Math.round(score * 10) / 10
}

export type ScoreActivity = { type: 'opened' | 'clicked' } | { type: 'event'; name: string }

/** The rules an activity matches (each adds its points; `pointsFor` is their sum). Decay rules match no activity. */
export function matchingRules<R extends ScoreRule>(args: { rules: R[]; activity: ScoreActivity }): R[] {
  const { activity } = args
  return args.rules.filter((rule) => (rule.on === 'event' ? activity.type === 'event' && rule.name === activity.name : rule.on === activity.type))
}

/** What a rule says, for people: "Clicked a link: +2", "No activity for 30 days: −5". */
export function describeScoreRule(rule: ScoreRule): string {
  const points = `${rule.points > 0 ? '+' : '−'}${Math.abs(rule.points)}`
  switch (rule.on) {
    case 'opened':
      return `Opened an email: ${points}`
    case 'clicked':
      return `Clicked a link: ${points}`
    case 'event':
      return `Event ${rule.name}: ${points}`
    case 'inactive':
      return `No activity for ${rule.everyDays} ${rule.everyDays === 1 ? 'day' : 'days'}: ${points}`
  }
}

const DAY_MS = 86_400_000

/**
 * A decay rule (`inactive`: `points` < 0 every `everyDays` days without activity) for one contact: the
 * periods are counted from `anchor` (the last activity, or when the contact was created), so the
 * result depends on the instants, not on how often the job runs. `lastDecayAt` is the `at` this
 * rule's previous decay of the contact was recorded with (a period boundary). The score never goes
 * below zero by decay. Null: nothing due.
 */
export function decayDue(args: {
  rule: { points: number; everyDays: number }
  /** The score now (after the half-life, if any). */
  score: number
  anchor: Date
  lastDecayAt: Date | null
  now: Date
}): { points: number; periods: number; at: Date } | null {
  const { rule, anchor, now } = args
  if (args.score <= 0 || rule.points >= 0) return null
  const period = rule.everyDays * DAY_MS
  const due = Math.floor((now.getTime() - anchor.getTime()) / period)
  const applied = args.lastDecayAt && args.lastDecayAt > anchor ? Math.floor((args.lastDecayAt.getTime() - anchor.getTime()) / period) : 0
  const periods = due - applied
  if (periods <= 0) return null
  return { points: Math.max(rule.points * periods, -args.score), periods, at: new Date(anchor.getTime() + due * period) }
}
