import type { Agenda } from 'agenda'
import { pipelineOptions, publishDueBatch, type PipelineDeps } from '../core/publishing/publish.server'
import { dropDeliveryJobs, PUBLISH_DELIVERY_JOB } from './enqueue'

/** Deliveries one publish job may publish at once, its own included (decision 106). */
export const DEFAULT_PUBLISH_BATCH = 5
/** Deliveries one worker publishes at once (decision 106): ten jobs of up to five. */
export const DEFAULT_PUBLISH_CONCURRENCY = 50

/**
 * The `publish-delivery` job: one per delivery (jobs/enqueue.ts deliveryScheduler). The pipeline itself is
 * core/publishing/publish.server.ts publishDelivery (publishDueBatch: the job's delivery and other due ones
 * claimed with it); this handler runs it and sets when the job runs again.
 */

/**
 * Register the publish job. Its lock lifetime is the lease: a job of a dead worker is picked up again once
 * its claim can be recovered. A post with a video holds its claim longer (`videoLeaseMs`, decision 105):
 * while its publish runs, the job touches its lock every third of the lifetime, so Agenda neither cancels
 * it nor hands it to another worker, until that lease ends; a dead worker stops touching, and its job is
 * free again a lock lifetime later, as before. A job claims its delivery and up to `batchSize` − 1 other due
 * ones (decision 106), all run within it.
 */
export function definePublishDelivery(
  agenda: Agenda,
  deps: PipelineDeps,
  options: {
    concurrency?: number
    batchSize?: number
    /** Called as each job starts (the reconciler's wake-up while this worker publishes, decision 109). */
    onRun?: () => void
  } = {},
): void {
  const { leaseMs } = pipelineOptions(deps)
  // A job claims its delivery and up to perJob − 1 other due ones in one statement and drops their jobs:
  // when many are due, the job store's cost (lock, saves, removal) is paid per batch (decision 106). At
  // most `concurrency` deliveries are in flight in a worker, as before: jobs × perJob ≤ concurrency.
  const concurrency = Math.max(1, options.concurrency ?? DEFAULT_PUBLISH_CONCURRENCY)
  const perJob = Math.max(1, Math.min(options.batchSize ?? DEFAULT_PUBLISH_BATCH, concurrency))
  const jobs = Math.max(1, Math.floor(concurrency / perJob))
  const batch = { batchSize: perJob - 1, dropJobs: async (deliveryIds: string[]) => void (await dropDeliveryJobs(agenda, { deliveryIds })) }
  agenda.define<{ workspaceId: string; key: string }>(
    PUBLISH_DELIVERY_JOB,
    async (job) => {
      const { workspaceId, key } = job.attrs.data
      options.onRun?.()
      // Touches only until the lease of the call under way ends (measured on the monotonic clock, as
      // Agenda's lock is in real time): a stalled worker's job is free again once its claim can be taken over.
      let lockUntil = 0
      let touching: Promise<void> | undefined
      const keepLock = setInterval(() => {
        if (performance.now() < lockUntil) touching ??= job.touch().catch(() => undefined).finally(() => (touching = undefined))
      }, leaseMs / 3)
      let run: Awaited<ReturnType<typeof publishDueBatch>>
      try {
        // Every delivery of the batch runs in this job, and each call (a retry after a token refresh too) extends
        // its lease: the lock lasts until the latest of those leases ends.
        run = await publishDueBatch(deps, { workspaceId, deliveryId: key }, batch, {
          onSending: (lease) => void (lockUntil = Math.max(lockUntil, performance.now() + lease.leaseMs)),
        })
      } finally {
        clearInterval(keepLock)
        // A touch that lands after Agenda unlocks the finished job would lock it again.
        await touching
      }
      // Agenda saves nextRunAt after the handler: a one-off job runs again only if we set it.
      if (run.result === 'queued' || run.result === 'waiting') job.attrs.nextRunAt = run.at
    },
    // lockLimit = the jobs that run at once: a worker locks only the jobs it can start now. Without it one poll locks
    // every due job (one query each) before running any, and the jobs it cannot start in time outlive
    // their lock lifetime and are taken again by other workers (1,787 claims for 1,000 deliveries with
    // 4 workers before; decision 018).
    { lockLifetime: leaseMs, concurrency: jobs, lockLimit: jobs, removeOnComplete: true },
  )
}
