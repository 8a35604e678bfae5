/** How a test asks a loopback API server to misbehave: `times` requests, after skipping `after` matching ones. */
export type FaultRule<F> = F & { times?: number; after?: number; method?: string; path?: string }

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
