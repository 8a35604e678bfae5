import type { FrequencyCap } from './types'

export type CapDecision = { allowed: true } | { allowed: false; nextAllowedAt: Date }

/**
 * May one more email go to a contact now, given when their recent emails went (any drip)?
 * When not, `nextAllowedAt` is when the oldest send inside the window leaves it.
 */
export function checkFrequencyCap(args: { cap: FrequencyCap | null; sentAt: Date[]; now: Date }): CapDecision {
  const { cap, now } = args
  if (!cap) return { allowed: true }
  const windowMs = cap.periodHours * 3_600_000
  const inWindow = args.sentAt
    .map((d) => d.getTime())
    .filter((t) => t > now.getTime() - windowMs && t <= now.getTime())
    .sort((a, b) => a - b)
  if (inWindow.length < cap.max) return { allowed: true }
  // The (len - max + 1)-th oldest must leave the window before one more fits.
  const blocker = inWindow[inWindow.length - cap.max]!
  return { allowed: false, nextAllowedAt: new Date(blocker + windowMs) }
}
