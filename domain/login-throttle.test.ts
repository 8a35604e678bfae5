import { afterFailure, THROTTLE_POLICIES, waitFor, type ThrottleState } from './login-throttle'

const policy = THROTTLE_POLICIES.pair
const t0 = new Date('2026-12-06T10:00:00Z')
const at = (ms: number) => new Date(t0.getTime() + ms)

describe('login throttle policy', () => {
  it('allows the free failures, then blocks for a doubling time up to the cap', () => {
    let state: ThrottleState | null = null
    const blocks: number[] = []
    for (let i = 0; i < 14; i++) {
      state = afterFailure(policy, state, t0)
      blocks.push(waitFor(state, t0))
    }
    expect(blocks.slice(0, policy.freeFailures)).toEqual([0, 0, 0, 0, 0])
    expect(blocks.slice(5, 9)).toEqual([30_000, 60_000, 120_000, 240_000])
    expect(blocks.at(-1)).toBe(policy.maxBlockMs)
  })

  it('starts over once the last failure is older than the memory', () => {
    let state: ThrottleState | null = null
    for (let i = 0; i < 8; i++) state = afterFailure(policy, state, t0)
    const later = afterFailure(policy, state, at(policy.forgetAfterMs + 1))
    expect(later.failures).toBe(1)
    expect(later.blockedUntil).toBeNull()
  })

  it('a block ends on time', () => {
    const state = { blockedUntil: at(30_000) }
    expect(waitFor(state, at(29_000))).toBe(1_000)
    expect(waitFor(state, at(30_000))).toBe(0)
    expect(waitFor(null, t0)).toBe(0)
  })
})
