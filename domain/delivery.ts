/**
 * The delivery state machine (docs/decisions/007-publishing-pipeline.md). Pure: every instant is an
 * argument. The publish job and the reconciler ask these functions what to do and then record the answer
 * with a conditional UPDATE.
 */
import type { RetryPolicy } from './retry'

export const DELIVERY_STATES = [
  'planned', // recorded; its job may not be enqueued yet
  'queued', // its job is enqueued (or a retry is scheduled at nextAttemptAt)
  'publishing', // claimed by one attempt; the network call may be under way
  'published',
  'failed',
  'needs_review', // the outcome of a sent request is unknown: lookup reconciles, else a person does
  'skipped',
  'canceled',
  'missed', // came due while no worker ran and is older than the sequence's maxLateness
] as const
export type DeliveryState = (typeof DELIVERY_STATES)[number]

/** States a publish job may claim. */
export const PENDING_STATES = ['planned', 'queued'] as const satisfies readonly DeliveryState[]
export const TERMINAL_STATES = ['published', 'failed', 'skipped', 'canceled', 'missed'] as const satisfies readonly DeliveryState[]

const TRANSITIONS: Record<DeliveryState, readonly DeliveryState[]> = {
  planned: ['queued', 'publishing', 'skipped', 'canceled', 'missed'],
  queued: ['queued', 'publishing', 'skipped', 'canceled', 'missed'],
  // → queued: a retry where the request provably did not apply, or a lease that expired before sending.
  publishing: ['published', 'failed', 'needs_review', 'queued'],
  // Lookup found the post, or every part of a thread (published), or proved it absent or found only the
  // first parts of a thread (queued: publish, or continue the thread; failed when out of attempts); a
  // person may also settle it.
  needs_review: ['published', 'queued', 'failed', 'skipped', 'canceled'],
  published: [],
  failed: [],
  skipped: [],
  canceled: [],
  missed: [],
}

export function isPending(state: DeliveryState): boolean {
  return (PENDING_STATES as readonly DeliveryState[]).includes(state)
}

export function isTerminal(state: DeliveryState): boolean {
  return (TERMINAL_STATES as readonly DeliveryState[]).includes(state)
}

export function canTransition(from: DeliveryState, to: DeliveryState): boolean {
  return TRANSITIONS[from].includes(to)
}

export function assertTransition(from: DeliveryState, to: DeliveryState): void {
  if (!canTransition(from, to)) throw new Error(`state: a delivery cannot go from ${from} to ${to}`)
}

export type StartDecision =
  | { action: 'claim' }
  /** Not due yet (moved, or a retry scheduled later): the job should run again at `at`. */
  | { action: 'wait'; at: Date }
  | { action: 'miss' }
  /** Nothing to do: already settled, claimed elsewhere, or its sequence is paused. */
  | { action: 'ignore'; reason: string }

/**
 * What a publish job that fired for a delivery does. Lateness only applies to a first attempt: a retry
 * scheduled after a rate limit or a failure keeps its place even when it falls past maxLateness.
 */
export function decideStart(args: {
  state: DeliveryState
  dueAt: Date
  nextAttemptAt: Date | null
  attempts: number
  sequenceStatus: string
  maxLatenessSeconds: number
  now: Date
}): StartDecision {
  if (!isPending(args.state)) return { action: 'ignore', reason: `delivery is ${args.state}` }
  if (args.sequenceStatus !== 'active') return { action: 'ignore', reason: `sequence is ${args.sequenceStatus}` }
  const at = args.nextAttemptAt ?? args.dueAt
  if (at.getTime() > args.now.getTime()) return { action: 'wait', at }
  if (args.attempts === 0 && isTooLate({ dueAt: args.dueAt, maxLatenessSeconds: args.maxLatenessSeconds, now: args.now })) {
    return { action: 'miss' }
  }
  return { action: 'claim' }
}

export function isTooLate(args: { dueAt: Date; maxLatenessSeconds: number; now: Date }): boolean {
  return args.now.getTime() - args.dueAt.getTime() > args.maxLatenessSeconds * 1000
}

/** Mirrors the connector error taxonomy (connectors/types.ts), which domain code does not import. */
export type FailureKind = 'auth' | 'rate-limited' | 'invalid-content' | 'transient' | 'unknown-outcome' | 'disconnected'

export type FailureOutcome =
  /** Retry at `at` (the request provably did not apply). */
  | { state: 'queued'; at: Date }
  | { state: 'failed'; reason: string; reconnectAccount: boolean }
  /** Unknown outcome: look the post up at `lookupAt`, or leave it to a person when `lookupAt` is null. */
  | { state: 'needs_review'; lookupAt: Date | null }
  /** Refresh the account's credentials, then publish once more within the same claim. */
  | { state: 'refresh' }

/** Rate limits without a reset time wait this long. */
export const DEFAULT_RATE_LIMIT_WAIT_MS = 60_000

/**
 * What to do after a publish attempt failed with an error of `kind`. `attempts` counts this attempt;
 * `refreshed` tells whether credentials were already refreshed within it.
 */
export function decideFailure(args: {
  kind: FailureKind
  message: string
  attempts: number
  now: Date
  resetAt?: Date
  refreshed: boolean
  canRefresh: boolean
  canLookup: boolean
  /** How long after an unknown outcome the lookup runs (lets a slow network settle). */
  lookupDelayMs: number
  retry: RetryPolicy<FailureKind>
  random: () => number
}): FailureOutcome {
  const { now } = args
  switch (args.kind) {
    case 'rate-limited': {
      const reset = args.resetAt && args.resetAt.getTime() > now.getTime() ? args.resetAt : new Date(now.getTime() + DEFAULT_RATE_LIMIT_WAIT_MS)
      return { state: 'queued', at: reset }
    }
    case 'transient': {
      const delay = args.retry({ attempt: args.attempts, error: 'transient', random: args.random })
      if (delay === null) return { state: 'failed', reason: `gave up after ${args.attempts} attempts: ${args.message}`, reconnectAccount: false }
      return { state: 'queued', at: new Date(now.getTime() + delay) }
    }
    case 'unknown-outcome':
      return { state: 'needs_review', lookupAt: args.canLookup ? new Date(now.getTime() + args.lookupDelayMs) : null }
    case 'auth':
      if (!args.refreshed && args.canRefresh) return { state: 'refresh' }
      return { state: 'failed', reason: `credentials rejected: ${args.message}`, reconnectAccount: true }
    case 'disconnected':
      return { state: 'failed', reason: `account must be reconnected: ${args.message}`, reconnectAccount: true }
    case 'invalid-content':
      return { state: 'failed', reason: args.message, reconnectAccount: false }
  }
}

/**
 * A create the network refused as a duplicate of a post the account already has (X's "duplicate content",
 * LinkedIn's 422) is normally treated as an unknown outcome: the post is most likely ours, from an earlier
 * attempt whose answer was lost. On the delivery's first claim with nothing of it known at the network, no
 * earlier attempt of *this* delivery can have sent it, so the post the network has is another one: an
 * earlier round of an evergreen series (decision 107) or the account's own. That is `invalid-content`,
 * with a message saying so; otherwise the kind stays as it was. Pure.
 */
export function reclassifyDuplicate(args: { kind: FailureKind; message: string; code?: string; attempts: number; knownParts: number }): { kind: FailureKind; message: string } {
  if (args.kind !== 'unknown-outcome' || args.code !== 'duplicate-content' || args.attempts !== 1 || args.knownParts > 0) return { kind: args.kind, message: args.message }
  return {
    kind: 'invalid-content',
    message:
      'The network refused the text as a duplicate of a post this account already has (networks do not accept the same text twice, e.g. an earlier round of an evergreen series): not published. Change the post\'s text. ' +
      `(${args.message})`,
  }
}

export type RecoveryOutcome = { state: 'queued'; at: Date } | { state: 'needs_review'; lookupAt: Date | null } | { state: 'failed'; reason: string }

/**
 * A `publishing` claim whose lease expired (its worker died or stalled). If the attempt never recorded
 * that it was about to send, the request provably did not go out and the delivery is queued again;
 * otherwise the outcome is unknown.
 */
export function decideExpiredLease(args: { sendingAt: Date | null; attempts: number; maxAttempts: number; canLookup: boolean; now: Date }): RecoveryOutcome {
  if (args.sendingAt) return { state: 'needs_review', lookupAt: args.canLookup ? args.now : null }
  if (args.attempts >= args.maxAttempts) return { state: 'failed', reason: `gave up after ${args.attempts} interrupted attempts` }
  return { state: 'queued', at: args.now }
}

/**
 * What a lookup decided. The ids of the thread's parts known to exist, and the url of the first one,
 * travel with every answer.
 */
export type LookupDecision =
  | { state: 'published'; remoteId: string; url: string | null; partIds: string[] }
  /** Publish again: from the start when `partIds` is empty, else continue the thread after them. */
  | { state: 'queued'; at: Date; partIds: string[]; url: string | null }
  | { state: 'failed'; reason: string; partIds: string[]; url: string | null }

/**
 * The answer of a lookup for a `needs_review` delivery. A delivery is published only when every one of
 * its `parts` is at the network: a lookup that finds a prefix of a thread (its first k posts, each a
 * reply to the one before) queues a continuation from part k, carrying the ids found. `known` is what an
 * earlier attempt recorded; a lookup that does not extend it (it found less, or something else) never
 * makes the delivery forget parts known to exist.
 */
export function decideLookup(args: {
  found: { remoteId: string; url?: string; partIds?: string[] } | null
  known?: { partIds: string[]; url: string | null }
  /** How many posts the delivery's content has (1 for a single post). */
  parts: number
  attempts: number
  maxAttempts: number
  now: Date
}): LookupDecision {
  const known = args.known?.partIds ?? []
  const found = args.found ? (args.found.partIds?.length ? args.found.partIds : [args.found.remoteId]) : []
  const extendsKnown = found.length >= known.length && known.every((id, i) => found[i] === id)
  const partIds = extendsKnown ? found : known
  const url = partIds.length ? ((extendsKnown ? args.found?.url : undefined) ?? args.known?.url ?? null) : null
  const parts = Math.max(1, args.parts)
  if (partIds.length >= parts) return { state: 'published', remoteId: partIds[0]!, url, partIds }
  if (args.attempts >= args.maxAttempts) {
    const reason =
      partIds.length === 0
        ? `not published after ${args.attempts} attempts (lookup found nothing)`
        : `gave up after ${args.attempts} attempts with ${partIds.length} of ${parts} posts of the thread published`
    return { state: 'failed', reason, partIds, url }
  }
  return { state: 'queued', at: args.now, partIds, url }
}
