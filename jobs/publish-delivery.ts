import type { Agenda } from 'agenda'
import { pipelineOptions, publishDelivery, type PipelineDeps } from '../core/publishing/publish.server'
import { PUBLISH_DELIVERY_JOB } from './enqueue'

/**
 * The `publish-delivery` job: one per delivery (jobs/enqueue.ts deliveryScheduler). The pipeline itself is
 * core/publishing/publish.server.ts publishDelivery; this handler runs it and sets when the job runs again.
 */

/**
 * Register the publish job. Its lock lifetime is the lease: a job of a dead worker is picked up again once
 * its claim can be recovered. A post with a video holds its claim longer (`videoLeaseMs`, decision 105):
 * while its publish runs, the job touches its lock every third of the lifetime, so Agenda neither cancels
 * it nor hands it to another worker, until that lease ends; a dead worker stops touching, and its job is
 * free again a lock lifetime later, as before.
 */
export function definePublishDelivery(agenda: Agenda, deps: PipelineDeps, options: { concurrency?: number } = {}): void {
  const { leaseMs } = pipelineOptions(deps)
  agenda.define<{ workspaceId: string; key: string }>(
    PUBLISH_DELIVERY_JOB,
    async (job) => {
      const { workspaceId, key } = job.attrs.data
      // Touches only until the lease of the call under way ends (measured on the monotonic clock, as
      // Agenda's lock is in real time): a stalled worker's job is free again once its claim can be taken over.
      let lockUntil = 0
      let touching: Promise<void> | undefined
      const keepLock = setInterval(() => {
        if (performance.now() < lockUntil) touching ??= job.touch().catch(() => undefined).finally(() => (touching = undefined))
      }, leaseMs / 3)
      let run: Awaited<ReturnType<typeof publishDelivery>>
      try {
        run = await publishDelivery(
          deps,
          { workspaceId, deliveryId: key },
          { onSending: (lease) => void (lease.leaseMs > leaseMs && (lockUntil = performance.now() + lease.leaseMs)) },
        )
      } finally {
        clearInterval(keepLock)
        // A touch that lands after Agenda unlocks the finished job would lock it again.
        await touching
      }
      // Agenda saves nextRunAt after the handler: a one-off job runs again only if we set it.
      if (run.result === 'queued' || run.result === 'waiting') job.attrs.nextRunAt = run.at
    },
    // lockLimit = concurrency: a worker locks only the jobs it can start now. Without it one poll locks
    // every due job (one query each) before running any, and the jobs it cannot start in time outlive
    // their lock lifetime and are taken again by other workers (1,787 claims for 1,000 deliveries with
    // 4 workers before; decision 018).
    { lockLifetime: leaseMs, concurrency: options.concurrency ?? 10, lockLimit: options.concurrency ?? 10, removeOnComplete: true },
  )
}
