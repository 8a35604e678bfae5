import { constant, exponential, when } from './retry'

const midpoint = () => 0.5

describe('exponential', () => {
  it('doubles from base up to max, then gives up after maxRetries', () => {
    const policy = exponential({ base: 1_000, max: 5_000, maxRetries: 4 })
    const delays = [1, 2, 3, 4, 5].map((attempt) => policy({ attempt, error: null, random: midpoint }))
    expect(delays).toEqual([1_000, 2_000, 4_000, 5_000, null])
  })

  it('spreads delays by ±jitter using the injected random source', () => {
    const policy = exponential({ base: 1_000, max: 60_000, jitter: 0.2 })
    expect(policy({ attempt: 1, error: null, random: () => 0 })).toBe(800)
    expect(policy({ attempt: 1, error: null, random: midpoint })).toBe(1_000)
    expect(policy({ attempt: 3, error: null, random: () => 0.999999 })).toBe(4_800)
  })

  it('honours a custom factor', () => {
    const policy = exponential({ base: 100, max: 10_000, factor: 3 })
    expect(policy({ attempt: 3, error: null, random: midpoint })).toBe(900)
  })

  it('rejects bad options naming the field', () => {
    expect(() => exponential({ base: -1, max: 10 })).toThrow(/base/)
    expect(() => exponential({ base: 10, max: 5 })).toThrow(/max/)
    expect(() => exponential({ base: 1, max: 5, jitter: 2 })).toThrow(/jitter/)
    expect(() => exponential({ base: 1, max: 5 })({ attempt: 0, error: null, random: midpoint })).toThrow(/attempt/)
  })
})

describe('constant and when', () => {
  it('retries only what the predicate accepts', () => {
    const policy = when((kind: string) => kind === 'transient', constant({ delay: 500, maxRetries: 2 }))
    expect(policy({ attempt: 1, error: 'transient', random: midpoint })).toBe(500)
    expect(policy({ attempt: 3, error: 'transient', random: midpoint })).toBeNull()
    expect(policy({ attempt: 1, error: 'unknown-outcome', random: midpoint })).toBeNull()
  })
})
