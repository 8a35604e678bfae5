/**
 * The only way code reads the time. Domain functions take instants as arguments; services take a Clock.
 * The wall clock itself is core/clock.ts: domain/ never reads the time.
 */
export type Clock = { now(): Date }

/** A clock tests move by hand. */
export function fixedClock(start: Date): Clock & { set(at: Date): void; advance(ms: number): void } {
  let current = new Date(start)
  return {
    now: () => new Date(current),
    set: (at) => {
      current = new Date(at)
    },
    advance: (ms) => {
      current = new Date(current.getTime() + ms)
    },
  }
}
