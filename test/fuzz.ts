/**
 * Seeded fuzzing of an endpoint's JSON payloads: `mutate(base)` keeps, drops, renames (`key_x`) or
 * replaces the values of a valid payload, down to `maxDepth`, with values from `values`; `rnd` is the
 * same seeded stream, for the caller's own choices (a broken body now and then). The same seed gives the
 * same payloads, so a failure replays.
 */
export function fuzzPayloads(options: { seed: number; values: unknown[]; maxDepth: number; replaceChance: number }) {
  let seed = options.seed
  const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31
  const pick = <T>(xs: T[]) => xs[Math.floor(rnd() * xs.length)]!
  const mutate = (v: unknown, depth = 0): unknown => {
    if (depth > options.maxDepth || rnd() < options.replaceChance) return pick(options.values)
    if (Array.isArray(v)) return v.map((x) => mutate(x, depth + 1))
    if (v && typeof v === 'object') {
      const out: Record<string, unknown> = {}
      for (const [k, x] of Object.entries(v)) if (rnd() > 0.1) out[rnd() < 0.05 ? `${k}_x` : k] = rnd() < 0.5 ? mutate(x, depth + 1) : x
      return out
    }
    return pick(options.values)
  }
  return { rnd, mutate }
}
