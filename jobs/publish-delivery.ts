import type { Job } from 'agenda'
import { pipelineOptions, startDueBatch, type PipelineDeps, type PublishRun } from '../core/publishing/publish.server'
import { dropDeliveryJobAt, dropDeliveryJobs, PUBLISH_DELIVERY_JOB } from './enqueue'
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

/**
 * A job that ended before its siblings (decision 118), as this worker knows it: the leases of its batches
 * still publishing (each the latest instant, on the monotonic clock, a sibling's claim may last), the time
 * its last run saved, whether that run left its own delivery to run again, and that save (Agenda's).
 */
type Watch = { leases: Set<{ until: number }>; savedAt?: Date; rerun: boolean; saved: Promise<void> }

export function definePublishDelivery(
  store: Pick<JobStore, 'agenda' | 'lingerUntilSettled'>,
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
  const { agenda } = store
  // This worker's watches (decision 118), by delivery id (the job's key), and the save each waits for.
  const watches = new Map<string, Watch>()
  const completions = new WeakMap<Job, () => void>()
  agenda.on(`complete:${PUBLISH_DELIVERY_JOB}`, (job: Job) => completions.get(job)?.())
  // A watch of this worker is not dropped as a sibling's job: it may be the only reminder of its batch.
  const dropJobs = async (deliveryIds: string[]) => void (await dropDeliveryJobs(agenda, { deliveryIds: deliveryIds.filter((id) => !watches.has(id)) }))
  /** A watch's batches are all settled: once its last save landed, remove the job unless its own delivery runs again. */
  const release = async (key: string, watch: Watch) => {
    for (let saved: Promise<void> | undefined; saved !== watch.saved; ) await (saved = watch.saved)
    if (watch.leases.size || watches.get(key) !== watch) return
    watches.delete(key)
    // Not when the job is locked again (running: its run decides) or saved since with another time.
    if (!watch.rerun && watch.savedAt) await dropDeliveryJobAt(agenda, { deliveryId: key, nextRunAt: watch.savedAt }).catch(() => {})
  }
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
      // The latest instant a sibling's claim may last: the claim's lease, or a later call's (decision 118).
      const lease = { until: 0 }
      let run: PublishRun | undefined
      try {
        let batch: Awaited<ReturnType<typeof startDueBatch>>
        try {
          batch = await startDueBatch(
            deps,
            { workspaceId, deliveryId: key },
            { batchSize: reserved, dropJobs, onSiblingSending: ({ leaseMs: ms }) => void (lease.until = Math.max(lease.until, performance.now() + ms)) },
            {
              // The job's lock covers its own delivery's call (and a retry after a token refresh).
              onSending: (sending) => void (lockUntil = Math.max(lockUntil, performance.now() + sending.leaseMs)),
            },
          )
        } finally {
          // Nothing was claimed when the claim threw: every reserved slot goes back.
          siblingsInFlight -= reserved
        }
        // The claim statement has returned: its lease (now + leaseMs when it ran) ends before this.
        lease.until = Math.max(lease.until, performance.now() + leaseMs)
        siblingsInFlight += batch.siblings.length
        let open = batch.siblings.length
        for (const sibling of batch.siblings) void sibling.then(() => void ((siblingsInFlight -= 1), (open -= 1)))
        if (!options.endWithOwn) await batch.settled
        let watched: Watch | undefined
        // The siblings may outlive the job: a stopping worker waits for them (and their watch's removal) as
        // for its running jobs.
        if (options.endWithOwn && open > 0) store.lingerUntilSettled(batch.settled.then(() => watched && (watched.leases.delete(lease), release(key, watched))))
        try {
          run = await batch.own
        } finally {
          if (options.endWithOwn && open > 0) {
            // Some are still publishing: the job stays as their watch.
            watched = watches.get(key) ?? { leases: new Set(), rerun: false, saved: Promise.resolve() }
            watches.set(key, watched)
            watched.leases.add(lease)
          }
        }
      } finally {
        clearInterval(keepLock)
        // A touch that lands after Agenda unlocks the finished job would lock it again.
        await touching
        // Agenda saves nextRunAt after the handler: a one-off job runs again only if it is set.
        const rerunAt = run?.result === 'queued' || run?.result === 'waiting' ? run.at : undefined
        const watch = watches.get(key)
        // A watch is due when the last lease of its siblings ends (Agenda's clock is the wall clock).
        const watchAt = watch?.leases.size ? new Date(new Date().getTime() + Math.max(...[...watch.leases].map((l) => l.until)) - performance.now()) : undefined
        const nextRunAt = rerunAt && watchAt ? (rerunAt < watchAt ? rerunAt : watchAt) : (rerunAt ?? watchAt)
        if (nextRunAt) job.attrs.nextRunAt = nextRunAt
        if (watch) {
          watch.rerun = rerunAt !== undefined
          watch.savedAt = nextRunAt
          watch.saved = new Promise((resolve) => completions.set(job, resolve))
        }
      }
    },
    // lockLimit = the jobs that run at once: a worker locks only the jobs it can start now. Without it one poll locks
    // every due job (one query each) before running any, and the jobs it cannot start in time outlive
    // their lock lifetime and are taken again by other workers (1,787 claims for 1,000 deliveries with
    // 4 workers before; decision 018).
    { lockLifetime: leaseMs, concurrency: jobs, lockLimit: jobs, removeOnComplete: true },
  )
}
