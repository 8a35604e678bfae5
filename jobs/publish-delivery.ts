import { pipelineOptions, startDueBatch, type PipelineDeps, type PublishRun } from '../core/publishing/publish.server'
import { dropDeliveryJobs, PUBLISH_DELIVERY_JOB } from './enqueue'
import type { JobStore } from './store'

/** Deliveries one publish job may publish at once, its own included (decision 106). */
export const DEFAULT_PUBLISH_BATCH = 5
/** Deliveries one worker publishes at once (decision 106): ten jobs of up to five. */
export const DEFAULT_PUBLISH_CONCURRENCY = 50

/**
 * The `publish-delivery` job: one per delivery (jobs/enqueue.ts deliveryScheduler). The pipeline itself is
 * core/publishing/publish.server.ts publishDelivery (startDueBatch: the job's delivery and other due ones
 * claimed with it); this handler runs it and sets when the job runs again.
 */

export function definePublishDelivery(
  store: Pick<JobStore, 'agenda'>,
  deps: PipelineDeps,
  options: {
    concurrency?: number
    batchSize?: number
    /** Publish jobs at once (default concurrency ÷ batchSize); the rest of `concurrency` is for siblings (decision 112). */
    jobs?: number
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
  const { agenda } = store
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
      let run: PublishRun | undefined
      try {
        let batch: Awaited<ReturnType<typeof startDueBatch>>
        try {
          batch = await startDueBatch(deps, { workspaceId, deliveryId: key }, { batchSize: reserved, dropJobs }, {
            // The job's lock covers its own delivery's call (and a retry after a token refresh).
            onSending: (sending) => void (lockUntil = Math.max(lockUntil, performance.now() + sending.leaseMs)),
          })
        } finally {
          // Nothing was claimed when the claim threw: every reserved slot goes back.
          siblingsInFlight -= reserved
        }
        siblingsInFlight += batch.siblings.length
        for (const sibling of batch.siblings) void sibling.then(() => void (siblingsInFlight -= 1))
        // The job ends when its whole batch is settled: its lock covers every claim of it (decision 109's recovery of a dead worker's claims).
        await batch.settled
        run = await batch.own
      } finally {
        clearInterval(keepLock)
        // A touch that lands after Agenda unlocks the finished job would lock it again.
        await touching
        // Agenda saves nextRunAt after the handler: a one-off job runs again only if it is set.
        if (run?.result === 'queued' || run?.result === 'waiting') job.attrs.nextRunAt = run.at
      }
    },
    // lockLimit = the jobs that run at once: a worker locks only the jobs it can start now. Without it one poll locks
    // every due job (one query each) before running any, and the jobs it cannot start in time outlive
    // their lock lifetime and are taken again by other workers (1,787 claims for 1,000 deliveries with
    // 4 workers before; decision 018).
    { lockLifetime: leaseMs, concurrency: jobs, lockLimit: jobs, removeOnComplete: true },
  )
}
