import type { Agenda } from 'agenda'
import type { DeliveryScheduler } from '../db/queries/deliveries'
import { removeUnlockedUniqueJobs } from './agenda-patches'

/**
 * The job store's floor of jobs/: job names and the enqueue/wake functions core/ may call. The handlers
 * (publish-delivery.ts, drip-runner.ts, ...) define what these jobs do, one floor up.
 */
export const PUBLISH_DELIVERY_JOB = 'publish-delivery'
/** The drip runner's lanes: `DRIP_LANES` recurring jobs of this one name, one per lane (decision 122). */
export const DRIP_LANE_JOB = 'drip-lane'
/** Before decision 122 each lane was a job name of its own: `drip-runner`, `drip-runner-2`, … (up to DRIP_LANES' maximum). */
export const LEGACY_DRIP_RUNNER_JOBS = ['drip-runner', ...Array.from({ length: 63 }, (_, i) => `drip-runner-${i + 2}`)]
export const DRIP_WAKE_JOB = 'drip-runner-wake'
export const SIGNUP_CONFIRMATION_JOB = 'signup-confirmation'
export const BULK_ENROLL_JOB = 'bulk-enroll'

/** Jobs for deliveries: one unique publish job per delivery id. */
export function deliveryScheduler(agenda: Agenda): DeliveryScheduler {
  return {
    schedule: ({ workspaceId, deliveryId, runAt }) => scheduleUniqueJob(agenda, { name: PUBLISH_DELIVERY_JOB, key: deliveryId, runAt, data: { workspaceId } }),
    cancel: async ({ deliveryId }) => {
      await cancelUniqueJob(agenda, { name: PUBLISH_DELIVERY_JOB, key: deliveryId })
    },
  }
}

/** Remove the jobs of deliveries a batch claimed (decision 106), those not locked by a worker, in one statement. */
export async function dropDeliveryJobs(agenda: Agenda, args: { deliveryIds: string[] }): Promise<number> {
  return removeUnlockedUniqueJobs(
    agenda,
    PUBLISH_DELIVERY_JOB,
    args.deliveryIds.map((id) => uniqueKeyOf(PUBLISH_DELIVERY_JOB, id)),
  )
}

/** Wake the drip runner now (one wake-up job at a time, whoever asks). */
export async function wakeDripRunnerJob(agenda: Agenda, now: Date): Promise<void> {
  await scheduleUniqueJob(agenda, { name: DRIP_WAKE_JOB, key: 'wake', runAt: now })
}

/** Queue the double opt-in email of one consent record (one job per consent; jobs/signup-confirmation.ts sends it). */
export async function enqueueSignupConfirmation(agenda: Agenda, args: { workspaceId: string; contactId: string; consentId: string; runAt: Date }): Promise<void> {
  const { workspaceId, contactId, consentId, runAt } = args
  await scheduleUniqueJob(agenda, { name: SIGNUP_CONFIRMATION_JOB, key: consentId, runAt, data: { workspaceId, contactId, consentId } })
}

/** Queue a bulk enrollment (one job per run; jobs/bulk-enroll.ts runs it, and resumes it after a crash). */
export async function enqueueBulkEnrollment(agenda: Agenda, args: { workspaceId: string; runId: string; runAt: Date }): Promise<void> {
  await scheduleUniqueJob(agenda, { name: BULK_ENROLL_JOB, key: args.runId, runAt: args.runAt, data: { workspaceId: args.workspaceId, runId: args.runId } })
}

/** Keep one recurring schedule for job `name` every `everyMs` (`every` upserts it under the name). */
export async function scheduleEvery(agenda: Agenda, name: string, everyMs: number): Promise<void> {
  await withStartupRetries(() => agenda.every(everyMs, name, undefined, { skipImmediate: true }))
}

/**
 * Keep one recurring job `name` for `key`, every `everyMs` (first run one interval from now): several per
 * name, unlike `scheduleEvery`. An existing one is left as it is (its next run and lock untouched), also
 * when several processes call at once (the unique index on `data.uniqueKey`, as in `scheduleUniqueJob`).
 */
export async function scheduleRecurringUniqueJob(agenda: Agenda, args: { name: string; key: string; everyMs: number }): Promise<void> {
  const { name, key, everyMs } = args
  requireText('name', name)
  requireText('key', key)
  const uniqueKey = uniqueKeyOf(name, key)
  // The loser of a race (duplicate key) finds the winner's job on the next try.
  await withStartupRetries(() => agenda.create(name, { key, uniqueKey }).repeatEvery(everyMs, { skipImmediate: true }).unique({ 'data.uniqueKey': uniqueKey }, { insertOnly: true }).save())
}

/** A schedule made as workers start: they race each other, and a busy store (FerretDB on SQLite) may refuse; five tries, 100 ms apart and growing. */
async function withStartupRetries(save: () => Promise<unknown>): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await save()
      return
    } catch (error) {
      if (attempt === 5) throw error
      await new Promise((resolve) => setTimeout(resolve, 100 * attempt))
    }
  }
}

export type UniqueJobArgs = { name: string; key: string; runAt: Date; data?: Record<string, unknown> }

/**
 * Schedule job `name` for `key` at `runAt`: at most one such job exists (a second call moves it to the
 * new `runAt` and replaces its data), also when several processes call at once. The job's data carries
 * `key` and `uniqueKey` (reserved); a unique index on `data.uniqueKey` in every store makes this atomic.
 */
export async function scheduleUniqueJob(agenda: Agenda, args: UniqueJobArgs): Promise<void> {
  const { name, key, runAt, data = {} } = args
  requireText('name', name)
  requireText('key', key)
  if (!(runAt instanceof Date) || Number.isNaN(runAt.getTime())) throw new TypeError('runAt: must be a valid Date')
  for (const reserved of ['key', 'uniqueKey']) {
    if (reserved in data) throw new TypeError(`data.${reserved}: reserved, pass the key as \`key\``)
  }
  const uniqueKey = uniqueKeyOf(name, key)
  // Agenda upserts by `unique` with a read-then-write (PostgreSQL) or an upsert that may insert twice
  // (MongoDB); the unique index turns the loser of a race into a duplicate-key error. The retry then
  // finds the winner's job and moves it.
  for (let attempt = 1; ; attempt++) {
    const job = agenda.create(name, { ...data, key, uniqueKey })
    job.schedule(runAt).unique({ 'data.uniqueKey': uniqueKey })
    try {
      await job.save()
      return
    } catch (error) {
      if (!isDuplicateKey(error) || attempt === 3) throw error
    }
  }
}

/** Remove the job `name` scheduled for `key` (running or not); resolves to how many were removed (0 or 1). */
export async function cancelUniqueJob(agenda: Agenda, args: { name: string; key: string }): Promise<number> {
  requireText('name', args.name)
  requireText('key', args.key)
  return agenda.cancel({ name: args.name, data: { uniqueKey: uniqueKeyOf(args.name, args.key) } })
}

function uniqueKeyOf(name: string, key: string): string {
  return JSON.stringify([name, key])
}

function requireText(field: string, value: unknown): void {
  if (typeof value !== 'string' || value.trim() === '') throw new TypeError(`${field}: must be a non-empty string`)
}

/** PostgreSQL unique_violation (23505) or MongoDB duplicate key (11000). */
function isDuplicateKey(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code
  return code === '23505' || code === 11000
}
