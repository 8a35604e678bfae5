import type { Agenda, Job } from 'agenda'
import { runDripPass, type DripRunnerDeps } from '../core/drips/runner.server'
import { cancelUniqueJob, DRIP_LANE_JOB, DRIP_WAKE_JOB, LEGACY_DRIP_RUNNER_JOBS, scheduleRecurringUniqueJob } from './enqueue'

/** The drip runner's jobs: each runs one pass of core/drips/runner.server.ts runDripPass (decision 016). */

export const DEFAULT_DRIP_EVERY_MS = 5_000

/**
 * The runner's lanes (decisions 021, 122): `lanes` recurring jobs of one name, `drip-lane`, keyed by lane,
 * so that as many worker processes as there are lanes can send at once (their claims keep them apart).
 * One name for all of them is what spreads them: a process locks at most one job of the name at a time
 * (`lockLimit: 1`), so a process running a pass leaves the other lanes to other processes. With a name
 * per lane a process running a pass locked the other lanes' jobs too, ended them at once and, knowing
 * their next run time first, locked them again: a second worker never sent.
 */
const laneKey = (lane: number): string => `lane-${lane + 1}`

/**
 * Register the runner: the lanes' job plus a unique wake-up job enrollments schedule. A process runs one
 * pass at a time, whichever job started it: a wake-up that finds a pass running here returns at once
 * (that pass sends what is due). So a process never has more than one send window of messages without
 * their outcome recorded (decision 099), and a SIGKILL re-sends at most that many.
 */
export function defineDripRunner(agenda: Agenda, deps: DripRunnerDeps): void {
  let passing = false
  const run = async (job: Job) => {
    if (passing) return
    passing = true
    try {
      await runDripPass({ ...deps, heartbeat: () => job.touch().catch(() => undefined) })
    } finally {
      passing = false
    }
  }
  // The pass touches its job lock before every batch, and a batch stops sending at its claim lease, so
  // the lock only has to outlive one batch. After a SIGKILL the job stays locked this long (the dead
  // worker's claims are held about as long anyway); the claims, not Agenda's lock, keep passes apart.
  // lockLimit 1: a process locks one lane at a time, leaving the others to other processes.
  const jobOptions = { concurrency: 1, lockLimit: 1, lockLifetime: 2 * (deps.leaseMs ?? 120_000) + 5_000 }
  agenda.define(DRIP_LANE_JOB, run, jobOptions)
  agenda.define(DRIP_WAKE_JOB, run, { ...jobOptions, removeOnComplete: true } as typeof jobOptions)
}

/** Keep one recurring job per lane, remove those of lanes no longer configured and the jobs of before decision 122. */
export async function scheduleDripRunner(agenda: Agenda, options: { everyMs?: number; lanes?: number } = {}): Promise<void> {
  const lanes = options.lanes ?? 1
  for (let lane = 0; lane < lanes; lane++) await scheduleRecurringUniqueJob(agenda, { name: DRIP_LANE_JOB, key: laneKey(lane), everyMs: options.everyMs ?? DEFAULT_DRIP_EVERY_MS })
  const { jobs } = await agenda.queryJobs({ name: DRIP_LANE_JOB })
  const wanted = new Set(Array.from({ length: lanes }, (_, lane) => laneKey(lane)))
  for (const job of jobs) {
    const key = (job.data as { key?: string } | undefined)?.key
    if (key && !wanted.has(key)) await cancelUniqueJob(agenda, { name: DRIP_LANE_JOB, key })
  }
  await agenda.cancel({ names: LEGACY_DRIP_RUNNER_JOBS })
}
