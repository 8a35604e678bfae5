import type { Agenda } from 'agenda'
import { pipelineOptions, startDueBatch, type PipelineDeps, type PublishRun } from '../core/publishing/publish.server'
import { dropDeliveryJobs, PUBLISH_DELIVERY_JOB } from './enqueue'
import { lingerUntilSettled } from './store'

/** Deliveries one publish job may publish at once, its own included (decision 106). */
export const DEFAULT_PUBLISH_BATCH = 5
/** Deliveries one worker publishes at once (decision 106): ten jobs of up to five. */
export const DEFAULT_PUBLISH_CONCURRENCY = 50

/**
 * The `publish-delivery` job: one per delivery (jobs/enqueue.ts deliveryScheduler). The pipeline itself is
 * core/publishing/publish.server.ts publishDelivery (startDueBatch: the job's delivery and other due ones
 * claimed with it); this handler runs it and sets when the job runs again.
 */

/**
 * Register the publish job. Its lock lifetime is the lease: a job of a dead worker is picked up again once
 * its claim can be recovered. A post with a video holds its claim longer (`videoLeaseMs`, decision 105):
 * while its publish runs, the job touches its lock every third of the lifetime, so Agenda neither cancels
 * it nor hands it to another worker, until that lease ends; a dead worker stops touching, and its job is
 * free again a lock lifetime later, as before.
 *
 * A job claims its delivery and other due ones (decision 106), as many as the worker has free sibling
 * slots, up to `batchSize` − 1 (decision 112). With `endWithOwn` it ends once its own delivery is settled:
 * its siblings go on publishing in the worker, counted against the worker's in-flight limit until each is
 * settled, and the job's slot takes the next due job at once instead of waiting for the slowest of its batch.
 */
export function definePublishDelivery(
  agenda: Agenda,
  deps: PipelineDeps,
  options: {
    concurrency?: number
    batchSize?: number
    /** Publish jobs at once (default concurrency ÷ batchSize); the rest of `concurrency` is for siblings (decision 112). */
    jobs?: number
    /**
     * End a job once its own delivery is settled, its siblings publishing on in the worker (decision 112).
     * Default false: a job ends when its whole batch is settled (decision 106), so its lock covers every
     * claim of its batch (decision 109's recovery of a dead worker's claims).
     */
    endWithOwn?: boolean
    /** Called as each job starts (the reconciler's wake-up while this worker publishes, decision 109). */
    onRun?: () => void
  } = {},
): void {
  const { leaseMs } = pipelineOptions(deps)
  // At most `concurrency` deliveries are in flight in a worker: one per running job (its own) plus the
  // siblings, which may use the rest (decision 112). Each job claims only as many siblings as are free.
  const concurrency = Math.max(1, options.concurrency ?? DEFAULT_PUBLISH_CONCURRENCY)
  const perJob = Math.max(1, Math.min(options.batchSize ?? DEFAULT_PUBLISH_BATCH, concurrency))
  const jobs = Math.max(1, Math.min(concurrency, options.jobs ?? Math.floor(concurrency / perJob)))
  const siblingSlots = concurrency - jobs
  let siblingsInFlight = 0
  const dropJobs = async (deliveryIds: string[]) => void (await dropDeliveryJobs(agenda, { deliveryIds }))
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
      // Sibling slots are taken before the claim and those the claim did not fill are handed back after it.
      const reserved = Math.max(0, Math.min(perJob - 1, siblingSlots - siblingsInFlight))
      siblingsInFlight += reserved
      let run: PublishRun
      try {
        let batch: Awaited<ReturnType<typeof startDueBatch>>
        try {
          batch = await startDueBatch(deps, { workspaceId, deliveryId: key }, { batchSize: reserved, dropJobs }, {
            // The job's lock covers its own delivery's call (and a retry after a token refresh).
            onSending: (lease) => void (lockUntil = Math.max(lockUntil, performance.now() + lease.leaseMs)),
          })
        } finally {
          // Nothing was claimed when the claim threw: every reserved slot goes back.
          siblingsInFlight -= reserved
        }
        siblingsInFlight += batch.siblings.length
        for (const sibling of batch.siblings) void sibling.then(() => void (siblingsInFlight -= 1))
        if (options.endWithOwn) {
          // The siblings outlive the job: a stopping worker waits for them as for its running jobs.
          if (batch.siblings.length) lingerUntilSettled(agenda, batch.settled)
        } else {
          await batch.settled
        }
        run = await batch.own
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
