import type { Agenda } from 'agenda'
import { scheduleEvery } from './enqueue'
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
  await scheduleEvery(agenda, COLLECT_POST_METRICS_JOB, everyMs)
}
