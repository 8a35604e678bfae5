import type { Agenda } from 'agenda'
import { collectPostMetrics, DEFAULT_METRICS_EVERY_MS, type MetricsDeps } from '../core/links/post-metrics.server'

/** Social post metrics at 1 h, 24 h and 7 d (core/links/post-metrics.server.ts, decision 084). */

export const COLLECT_POST_METRICS_JOB = 'collect-post-metrics'

export function defineCollectPostMetrics(agenda: Agenda, deps: MetricsDeps): void {
  agenda.define(
    COLLECT_POST_METRICS_JOB,
    async () => {
      await collectPostMetrics(deps)
    },
    { concurrency: 1, lockLifetime: 10 * 60_000 },
  )
}

/** Every few minutes (one schedule for every worker: `every` keeps a single job under the name). */
export async function scheduleCollectPostMetrics(agenda: Agenda, everyMs = DEFAULT_METRICS_EVERY_MS): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      // Several workers starting together race to create the one schedule: the loser tries again.
      await agenda.every(everyMs, COLLECT_POST_METRICS_JOB, undefined, { skipImmediate: true })
      return
    } catch (error) {
      if (attempt === 5) throw error
      await new Promise((resolve) => setTimeout(resolve, 100 * attempt))
    }
  }
}
