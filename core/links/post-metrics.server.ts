/**
 * Social post metrics (docs/decisions/084-short-links-and-post-metrics.md): the `collect-post-metrics`
 * job's pass. Each published post is read through its connector's `metrics` at 1 h, 24 h and 7 d. A
 * rate-limited read waits for the network's reset, and so do the account's other reads of the pass.
 */
import { isConnectorError } from '../../connectors/types'
import { foldPostSlotChanges } from '../../db/queries/series-analytics'
import { findDueMetricReads, recordMetricRead, type DueMetricRead, type MetricOutcome } from '../../db/queries/post-metrics'
import type { PipelineDeps } from '../publishing/publish.server'

export const DEFAULT_METRICS_EVERY_MS = 5 * 60_000
const BATCH = 100
const MAX_ATTEMPTS = 5
const RETRY_MS = 10 * 60_000
const AUTH_RETRY_MS = 60 * 60_000

export type MetricsReport = { read: number; gone: number; rateLimited: number; retried: number; failed: number; unsupported: number }

export type MetricsDeps = Pick<PipelineDeps, 'db' | 'clock' | 'resolveTarget'>

/** One pass: every read that is due (up to a batch), one at a time. */
export async function collectPostMetrics(deps: MetricsDeps, options: { limit?: number } = {}): Promise<MetricsReport> {
  const { db, clock } = deps
  const report: MetricsReport = { read: 0, gone: 0, rateLimited: 0, retried: 0, failed: 0, unsupported: 0 }
  const due = await findDueMetricReads(db, { now: clock.now(), limit: options.limit ?? BATCH })
  /** Accounts rate-limited in this pass, until when. */
  const limited = new Map<string, Date>()
  const record = (item: DueMetricRead, outcome: MetricOutcome) => recordMetricRead(db, { workspaceId: item.workspaceId, deliveryId: item.deliveryId, age: item.age, outcome })
  const failure = (item: DueMetricRead, error: string, retryMs: number): MetricOutcome =>
    item.attempts + 1 >= MAX_ATTEMPTS ? { state: 'failed', error } : { state: 'retry', retryAt: new Date(clock.now().getTime() + retryMs), error, countAttempt: true }

  for (const item of due) {
    const resetAt = limited.get(item.accountId)
    if (resetAt) {
      await record(item, { state: 'retry', retryAt: resetAt, error: 'rate-limited', countAttempt: false })
      report.rateLimited++
      continue
    }
    try {
      const target = await deps.resolveTarget({ workspaceId: item.workspaceId, accountId: item.accountId, posts: 0 })
      if (!target.connector.metrics) {
        await record(item, { state: 'failed', error: `${target.connector.displayName} offers no metrics` })
        report.unsupported++
        continue
      }
      const metrics = await target.connector.metrics({ credentials: target.credentials, post: { remoteId: item.remoteId, partIds: item.partIds ?? undefined } })
      if (metrics === null) {
        await record(item, { state: 'gone', at: clock.now() })
        report.gone++
      } else {
        await record(item, { state: 'done', at: clock.now(), values: metrics })
        report.read++
      }
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error)
      if (isConnectorError(error) && error.kind === 'rate-limited') {
        const at = error.resetAt && error.resetAt > clock.now() ? error.resetAt : new Date(clock.now().getTime() + RETRY_MS)
        limited.set(item.accountId, at)
        await record(item, { state: 'retry', retryAt: at, error: message, countAttempt: false })
        report.rateLimited++
        continue
      }
      const auth = isConnectorError(error) && (error.kind === 'auth' || error.kind === 'disconnected')
      const outcome = failure(item, message, auth ? AUTH_RETRY_MS : RETRY_MS)
      await record(item, outcome)
      if (outcome.state === 'failed') report.failed++
      else report.retried++
    }
  }
  // The slot changes of the reads just recorded and of clicks (decision 116); readers add what is not folded yet.
  if (due.length > 0) await foldPostSlotChanges(db).catch(() => 0)
  return report
}
