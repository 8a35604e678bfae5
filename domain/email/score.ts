import type { ScoreRule } from './types'

/**
 * Lead score with optional exponential decay. A score is stored with the instant it was computed at;
 * its value later is `score × 0.5^(elapsed / halfLife)`, so adding points is O(1) and the decay is a
 * pure function of time (no job has to rewrite scores).
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
export function pointsFor(args: { rules: ScoreRule[]; activity: { type: 'opened' | 'clicked' } | { type: 'event'; name: string } }): number {
  const { activity } = args
  let points = 0
  for (const rule of args.rules) {
    if (rule.on === 'event' ? activity.type === 'event' && rule.name === activity.name : rule.on === activity.type) points += rule.points
  }
  return points
}

/** For display: one decimal at most. */
export function displayScore(score: number): number {
  return Math.round(score * 10) / 10
}
