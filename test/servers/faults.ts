/** How a test asks a loopback API server to misbehave: `times` requests, after skipping `after` matching ones. */
export type FaultRule<F> = F & { times?: number; after?: number; method?: string; path?: string }

/**
 * Faults every loopback API server offers for its write endpoints (the ones that create something):
 * - `unavailable`: answer 503. With `apply`, the server first does what was asked (the post exists),
 *   the way a real network's front end can answer 5xx after its back end applied the request;
 * - `slow`: apply the request, then answer only after `ms` milliseconds (a client with a shorter
 *   timeout gives up on a request that did apply).
 */
export type CommonFault = { kind: 'unavailable'; apply?: boolean } | { kind: 'slow'; ms: number }

/** A queue of injected faults, matched by method and path, shared by the loopback API servers. */
export function faultQueue<F>() {
  const rules: Array<FaultRule<F> & { left: number; skip: number }> = []
  return {
    inject(rule: FaultRule<F>): void {
      rules.push({ ...rule, left: rule.times ?? 1, skip: rule.after ?? 0 })
    },
    /** The fault for this request, if one is due (consuming it), else null. */
    take(method: string, path: string): FaultRule<F> | null {
      const rule = rules.find((f) => f.left > 0 && (!f.method || f.method === method) && (!f.path || f.path === path))
      if (!rule) return null
      if (rule.skip > 0) {
        rule.skip--
        return null
      }
      rule.left--
      return rule
    },
  }
}

/**
 * Delays answers (the `slow` fault) with timers that `clear` cancels, so a closing server leaves no timer
 * behind that writes to a destroyed socket.
 */
export function delayedAnswers() {
  const timers = new Set<NodeJS.Timeout>()
  return {
    after(ms: number, answer: () => void): void {
      const timer = setTimeout(() => {
        timers.delete(timer)
        answer()
      }, ms)
      timers.add(timer)
    },
    clear(): void {
      for (const timer of timers) clearTimeout(timer)
      timers.clear()
    },
  }
}
