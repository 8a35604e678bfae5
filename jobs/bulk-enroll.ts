import { exponential, type Agenda, type BackoffStrategy, type Job } from 'agenda'
import { failBulkEnrollment, runBulkEnrollment } from '../core/drips/bulk-enroll.server'
import type { Services } from '../core/services.server'
import { BULK_ENROLL_JOB } from './enqueue'

/**
 * A bulk enrollment (a segment or a CSV into a drip; decision 074): the job runs it batch by batch,
 * touching its lock after each. A worker that dies mid-run leaves the lock to expire; the job then runs
 * again, anywhere, and core resumes at the last committed batch. A failure (the database went away) is
 * retried from the cursor with backoff; when the retries are spent the run is marked failed with why.
 */

export type BulkEnrollData = { workspaceId: string; runId: string }

/** `onBatch` and `backoff` are for tests (a batch that always throws, retries in milliseconds). */
export function defineBulkEnroll(agenda: Agenda, services: Services, options: { backoff?: BackoffStrategy; onBatch?: () => unknown } = {}): void {
  agenda.define<BulkEnrollData>(
    BULK_ENROLL_JOB,
    async (job) => {
      const { workspaceId, runId } = job.attrs.data
      await runBulkEnrollment(services, { workspaceId, runId, heartbeat: () => job.touch().catch(() => undefined), onBatch: options.onBatch })
    },
    // A batch takes well under a minute.
    { concurrency: 1, lockLifetime: 2 * 60_000, backoff: options.backoff ?? exponential({ delay: 10_000, factor: 2, maxDelay: 10 * 60_000, maxRetries: 8 }), removeOnComplete: true },
  )
  agenda.on(`retry exhausted:${BULK_ENROLL_JOB}`, (error: Error, job: Job) => {
    const data = job.attrs.data as BulkEnrollData
    failBulkEnrollment(services, { ...data, reason: error.message }).catch((e: unknown) => services.logger.error({ err: e, runId: data.runId }, 'could not mark the bulk enrollment failed'))
  })
}
