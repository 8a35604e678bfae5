import type { Agenda } from 'agenda'
import { pipelineOptions } from '../core/publishing/publish.server'
import { reconcileDeliveries, type ReconcileDeps } from '../core/publishing/reconcile.server'

/** The recurring `reconcile-deliveries` job: one pass of core/publishing/reconcile.server.ts reconcileDeliveries. */
export const RECONCILE_DELIVERIES_JOB = 'reconcile-deliveries'

export function defineReconcileDeliveries(agenda: Agenda, deps: ReconcileDeps): void {
  const { leaseMs } = pipelineOptions(deps)
  agenda.define(
    RECONCILE_DELIVERIES_JOB,
    async () => {
      await reconcileDeliveries(deps)
    },
    { lockLifetime: leaseMs, concurrency: 1 },
  )
}
