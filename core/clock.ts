import type { Clock } from '../domain/clock'

/** The wall clock: the one place the time is read. Services hand it (or a test's clock) to everything below. */
export const systemClock: Clock = { now: () => new Date() }
