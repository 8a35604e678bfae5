import { exponential, type Agenda } from 'agenda'
import { runBulkEnrollment } from '../core/drips/bulk-enroll.server'
import type { Services } from '../core/services.server'
import { BULK_ENROLL_JOB } from './enqueue'

/**
 * A bulk enrollment (a segment or a CSV into a drip; decision 074): the job runs it batch by batch,
 * touching its lock after each. A worker that dies mid-run leaves the lock to expire; the job then runs
 * again, anywhere, and core resumes at the last committed batch.
 */

export type BulkEnrollData = { workspaceId: string; runId: string }

export function defineBulkEnroll(agenda: Agenda, services: Services): void {
  agenda.define<BulkEnrollData>(
    BULK_ENROLL_JOB,
    async (job) => {
      const { workspaceId, runId } = job.attrs.data
      await runBulkEnrollment(services, { workspaceId, runId, heartbeat: () => job.touch().catch(() => undefined) })
    },
    // A batch takes well under a minute; a failure (the database went away) is retried from the cursor.
    { concurrency: 1, lockLifetime: 2 * 60_000, backoff: exponential({ delay: 10_000, factor: 2, maxDelay: 10 * 60_000, maxRetries: 8 }), removeOnComplete: true },
  )
}
