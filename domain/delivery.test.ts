import {
  DELIVERY_STATES,
  TERMINAL_STATES,
  assertTransition,
  reclassifyDuplicate,
  canTransition,
  decideExpiredLease,
  decideFailure,
  decideLookup,
  decideStart,
  type FailureKind,
} from './delivery'
import { exponential, when } from './retry'

const now = new Date('2026-03-01T12:00:00Z')
const at = (ms: number) => new Date(now.getTime() + ms)

describe('transitions', () => {
  it('allows nothing out of a terminal state', () => {
    for (const from of TERMINAL_STATES) for (const to of DELIVERY_STATES) expect(canTransition(from, to)).toBe(false)
  })

  it('only lets a claim lead to publishing, and publishing never back to planned', () => {
    const intoPublishing = DELIVERY_STATES.filter((from) => canTransition(from, 'publishing'))
    expect(intoPublishing).toEqual(['planned', 'queued'])
    expect(canTransition('publishing', 'planned')).toBe(false)
    expect(canTransition('publishing', 'skipped')).toBe(false)
    expect(canTransition('needs_review', 'publishing')).toBe(false)
  })

  it('names both states in the error', () => {
    expect(() => assertTransition('published', 'queued')).toThrow('state: a delivery cannot go from published to queued')
    expect(() => assertTransition('queued', 'publishing')).not.toThrow()
  })
})

describe('decideStart', () => {
  const base = { state: 'queued' as const, dueAt: now, nextAttemptAt: now, attempts: 0, sequenceStatus: 'active', maxLatenessSeconds: 3600, now }

  it('claims a due delivery of an active sequence', () => {
    expect(decideStart(base)).toEqual({ action: 'claim' })
  })

  it('waits for a delivery moved later', () => {
    expect(decideStart({ ...base, nextAttemptAt: at(60_000) })).toEqual({ action: 'wait', at: at(60_000) })
  })

  it('ignores settled deliveries and paused sequences', () => {
    expect(decideStart({ ...base, state: 'publishing' }).action).toBe('ignore')
    expect(decideStart({ ...base, state: 'canceled' }).action).toBe('ignore')
    expect(decideStart({ ...base, sequenceStatus: 'paused' }).action).toBe('ignore')
  })

  it('misses a first attempt later than maxLateness, but not one exactly at it, nor a retry', () => {
    expect(decideStart({ ...base, dueAt: at(-3_600_001), nextAttemptAt: at(-3_600_001) })).toEqual({ action: 'miss' })
    expect(decideStart({ ...base, dueAt: at(-3_600_000), nextAttemptAt: at(-3_600_000) })).toEqual({ action: 'claim' })
    expect(decideStart({ ...base, attempts: 1, dueAt: at(-7_200_000), nextAttemptAt: at(-1) })).toEqual({ action: 'claim' })
  })
})

describe('decideFailure', () => {
  const retry = when((kind: FailureKind) => kind === 'transient', exponential({ base: 1_000, max: 60_000, maxRetries: 2 }))
  const base = { message: 'boom', attempts: 1, now, refreshed: false, canRefresh: true, canLookup: true, lookupDelayMs: 5_000, retry, random: () => 0.5 }

  it('reschedules a rate limit at its reset time (or a minute on when absent or past)', () => {
    expect(decideFailure({ ...base, kind: 'rate-limited', resetAt: at(900_000) })).toEqual({ state: 'queued', at: at(900_000) })
    expect(decideFailure({ ...base, kind: 'rate-limited' })).toEqual({ state: 'queued', at: at(60_000) })
    expect(decideFailure({ ...base, kind: 'rate-limited', resetAt: at(-5) })).toEqual({ state: 'queued', at: at(60_000) })
  })

  it('retries transient failures with backoff, then fails', () => {
    expect(decideFailure({ ...base, kind: 'transient', attempts: 1 })).toEqual({ state: 'queued', at: at(1_000) })
    expect(decideFailure({ ...base, kind: 'transient', attempts: 2 })).toEqual({ state: 'queued', at: at(2_000) })
    expect(decideFailure({ ...base, kind: 'transient', attempts: 3 })).toMatchObject({ state: 'failed', reconnectAccount: false })
  })

  it('never retries an unknown outcome: looks it up, or leaves it to a person', () => {
    expect(decideFailure({ ...base, kind: 'unknown-outcome' })).toEqual({ state: 'needs_review', lookupAt: at(5_000) })
    expect(decideFailure({ ...base, kind: 'unknown-outcome', canLookup: false })).toEqual({ state: 'needs_review', lookupAt: null })
  })

  it('refreshes once on auth, then fails and asks for a reconnect', () => {
    expect(decideFailure({ ...base, kind: 'auth' })).toEqual({ state: 'refresh' })
    expect(decideFailure({ ...base, kind: 'auth', refreshed: true })).toMatchObject({ state: 'failed', reconnectAccount: true })
    expect(decideFailure({ ...base, kind: 'auth', canRefresh: false })).toMatchObject({ state: 'failed', reconnectAccount: true })
  })

  it('fails invalid content with its reason, and disconnected accounts with a reconnect', () => {
    expect(decideFailure({ ...base, kind: 'invalid-content', message: 'too long' })).toEqual({ state: 'failed', reason: 'too long', reconnectAccount: false })
    expect(decideFailure({ ...base, kind: 'disconnected' })).toMatchObject({ state: 'failed', reconnectAccount: true })
  })
})

describe('recovery', () => {
  it('requeues an expired claim that never started sending; an interrupted send needs review', () => {
    expect(decideExpiredLease({ sendingAt: null, attempts: 1, maxAttempts: 5, canLookup: true, now })).toEqual({ state: 'queued', at: now })
    expect(decideExpiredLease({ sendingAt: at(-10), attempts: 1, maxAttempts: 5, canLookup: true, now })).toEqual({ state: 'needs_review', lookupAt: now })
    expect(decideExpiredLease({ sendingAt: at(-10), attempts: 1, maxAttempts: 5, canLookup: false, now })).toEqual({ state: 'needs_review', lookupAt: null })
    expect(decideExpiredLease({ sendingAt: null, attempts: 5, maxAttempts: 5, canLookup: true, now }).state).toBe('failed')
  })

  it('settles a lookup: found → published, absent → one more attempt while attempts remain', () => {
    expect(decideLookup({ found: { remoteId: '42', url: 'u' }, parts: 1, attempts: 9, maxAttempts: 5, now })).toEqual({ state: 'published', remoteId: '42', url: 'u', partIds: ['42'] })
    expect(decideLookup({ found: null, parts: 1, attempts: 1, maxAttempts: 5, now })).toEqual({ state: 'queued', at: now, partIds: [], url: null })
    expect(decideLookup({ found: null, parts: 1, attempts: 5, maxAttempts: 5, now }).state).toBe('failed')
  })

  describe('threads (issue 23)', () => {
    const base = { parts: 3, attempts: 1, maxAttempts: 5, now }

    it('publishes a thread only when every part was found', () => {
      expect(decideLookup({ ...base, found: { remoteId: 'a', url: 'u', partIds: ['a', 'b', 'c'] } })).toEqual({ state: 'published', remoteId: 'a', url: 'u', partIds: ['a', 'b', 'c'] })
    })

    it('continues a thread after the prefix found, now', () => {
      expect(decideLookup({ ...base, found: { remoteId: 'a', url: 'u', partIds: ['a'] } })).toEqual({ state: 'queued', at: now, partIds: ['a'], url: 'u' })
      expect(decideLookup({ ...base, found: { remoteId: 'a', partIds: ['a', 'b'] } })).toEqual({ state: 'queued', at: now, partIds: ['a', 'b'], url: null })
      // A connector that reports no part ids found the first post only.
      expect(decideLookup({ ...base, found: { remoteId: 'a' } })).toEqual({ state: 'queued', at: now, partIds: ['a'], url: null })
    })

    it('never forgets parts an earlier attempt recorded', () => {
      const known = { partIds: ['a', 'b'], url: 'u' }
      // The lookup (a window of recent posts) did not see the old parts: continue after the known ones.
      expect(decideLookup({ ...base, known, found: null })).toEqual({ state: 'queued', at: now, partIds: ['a', 'b'], url: 'u' })
      expect(decideLookup({ ...base, known, found: { remoteId: 'x', url: 'ux', partIds: ['x'] } })).toEqual({ state: 'queued', at: now, partIds: ['a', 'b'], url: 'u' })
      // It extends them: published, with the url recorded earlier when the lookup has none.
      expect(decideLookup({ ...base, known, found: { remoteId: 'a', partIds: ['a', 'b', 'c'] } })).toEqual({ state: 'published', remoteId: 'a', url: 'u', partIds: ['a', 'b', 'c'] })
    })

    it('gives up a part-published thread only when out of attempts, saying how far it got', () => {
      const outcome = decideLookup({ ...base, attempts: 5, found: { remoteId: 'a', partIds: ['a'] } })
      expect(outcome).toEqual({ state: 'failed', reason: 'gave up after 5 attempts with 1 of 3 posts of the thread published', partIds: ['a'], url: null })
    })
  })
})

describe('reclassifyDuplicate (decision 107)', () => {
  const duplicate = { kind: 'unknown-outcome' as const, message: 'X answered 403: duplicate content', code: 'duplicate-content' }
  it('a duplicate on the first claim with nothing known at the network is another post: invalid content, saying so', () => {
    const out = reclassifyDuplicate({ ...duplicate, attempts: 1, knownParts: 0 })
    expect(out.kind).toBe('invalid-content')
    expect(out.message).toMatch(/^The network refused the text as a duplicate of a post this account already has .*\(X answered 403: duplicate content\)$/)
  })
  it('after an earlier claim, or with parts known, it may be our own post: the outcome stays unknown', () => {
    expect(reclassifyDuplicate({ ...duplicate, attempts: 2, knownParts: 0 })).toEqual({ kind: 'unknown-outcome', message: duplicate.message })
    expect(reclassifyDuplicate({ ...duplicate, attempts: 1, knownParts: 1 })).toEqual({ kind: 'unknown-outcome', message: duplicate.message })
  })
  it('leaves other failures alone', () => {
    expect(reclassifyDuplicate({ kind: 'unknown-outcome', message: '503', code: undefined, attempts: 1, knownParts: 0 }).kind).toBe('unknown-outcome')
    expect(reclassifyDuplicate({ kind: 'transient', message: 'reset', code: 'duplicate-content', attempts: 1, knownParts: 0 }).kind).toBe('transient')
  })
})
