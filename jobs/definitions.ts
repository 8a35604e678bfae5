import type { Agenda } from 'agenda'
import { DEFAULT_RECONCILE_EVERY_MS, reconcileDeliveries, type ReconcileDeps } from '../core/publishing/reconcile.server'
import { definePublishDelivery } from './publish-delivery'
import { RECONCILE_DELIVERIES_JOB, defineReconcileDeliveries } from './reconcile-deliveries'

export type JobDeps = ReconcileDeps & {
  /** Deliveries one worker publishes at once. Default 50: ten jobs of up to publishBatchSize (decision 106). */
  publishConcurrency?: number
  /** Deliveries one publish job may claim and publish together, its own included (decision 106; at most publishConcurrency). Default 5; 1 publishes one delivery per job (then publishConcurrency jobs run at once, as before decision 106). */
  publishBatchSize?: number
  reconcileEveryMs?: number
}

/** Register every job of the publishing pipeline. Then call startPipeline once Agenda runs. */
export function defineJobs(agenda: Agenda, deps: JobDeps): void {
  definePublishDelivery(agenda, deps, { concurrency: deps.publishConcurrency, batchSize: deps.publishBatchSize })
  defineReconcileDeliveries(agenda, deps)
}

/**
 * Schedule the reconciler and run one pass now: deliveries that came due while no worker ran go out
 * (or become `missed`) right after a worker starts, and expired claims are recovered.
 */
export async function startPipeline(agenda: Agenda, deps: JobDeps): Promise<void> {
  // Workers starting together all upsert the one recurring job; a busy store (FerretDB on SQLite answers
  // SQLITE_BUSY under contention) gets a few more tries.
  for (let attempt = 1; ; attempt++) {
    try {
      await agenda.every(deps.reconcileEveryMs ?? DEFAULT_RECONCILE_EVERY_MS, RECONCILE_DELIVERIES_JOB, undefined, { skipImmediate: true })
      break
    } catch (error) {
      if (attempt === 5) throw error
      await new Promise((resolve) => setTimeout(resolve, 100 * attempt))
    }
  }
  await reconcileDeliveries(deps)
}
