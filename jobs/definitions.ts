import type { Agenda } from 'agenda'
import type { ReconcileDeps } from '../core/publishing/reconcile.server'
import { definePublishDelivery } from './publish-delivery'
import type { JobStore } from './store'
import { RECONCILE_DELIVERIES_JOB, createReconciler, type Reconciler, type ReconcilerTiming } from './reconcile-deliveries'

export type JobDeps = ReconcileDeps &
  ReconcilerTiming & {
    /** Deliveries one worker publishes at once. Default 50: ten jobs of up to publishBatchSize (decision 106; PUBLISH_CONCURRENCY). */
    publishConcurrency?: number
    /** Deliveries one publish job may claim and publish together, its own included (decision 106; at most publishConcurrency; PUBLISH_BATCH_SIZE). Default 5; 1 publishes one delivery per job (then publishConcurrency jobs run at once, as before decision 106). */
    publishBatchSize?: number
    /** Publish jobs one worker runs at once (decision 112). Default publishConcurrency ÷ publishBatchSize; the rest of publishConcurrency is for the siblings they claim. */
    publishJobs?: number
  }

const reconcilers = new WeakMap<Agenda, Reconciler>()

/**
 * Register every job of the publishing pipeline on the store's Agenda, and its reconciler. Then call
 * startPipeline once Agenda runs.
 */
export function defineJobs(store: Pick<JobStore, 'agenda'>, deps: JobDeps): void {
  const { agenda } = store
  const reconciler = createReconciler(agenda, deps)
  reconcilers.set(agenda, reconciler)
  definePublishDelivery(store, deps, { concurrency: deps.publishConcurrency, batchSize: deps.publishBatchSize, jobs: deps.publishJobs, onRun: () => reconciler.wakeSoon() })
}

/**
 * Start the reconciler with one pass now: deliveries that came due while no worker ran go out (or become
 * `missed`) right after a worker starts, and expired claims are recovered. Then it passes on its own
 * schedule (jobs/reconcile-deliveries.ts, decision 109).
 */
export async function startPipeline(agenda: Agenda, deps: JobDeps): Promise<void> {
  let reconciler = reconcilers.get(agenda)
  if (!reconciler) reconcilers.set(agenda, (reconciler = createReconciler(agenda, deps)))
  // The recurring job of before decision 109, if this store still has it. Only a clean-up: a store that
  // refuses now (FerretDB busy) is asked again by the next worker that starts.
  await agenda.cancel({ name: RECONCILE_DELIVERIES_JOB }).catch(() => {})
  await reconciler.start()
}
