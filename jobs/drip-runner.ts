import type { Agenda, Job } from 'agenda'
import { runDripPass, type DripRunnerDeps } from '../core/drips/runner.server'
import { DRIP_RUNNER_JOB, DRIP_WAKE_JOB } from './enqueue'

/** The drip runner's jobs: each runs one pass of core/drips/runner.server.ts runDripPass (decision 016). */

export const DEFAULT_DRIP_EVERY_MS = 5_000

/**
 * The runner's lanes: `drip-runner`, `drip-runner-2`, … — one recurring job each, so that as many
 * worker processes as there are lanes can send at once (their claims keep them apart). One lane is
 * the single-worker default; `DRIP_LANES` raises it.
 */
export const dripLaneJob = (lane: number): string => (lane === 0 ? DRIP_RUNNER_JOB : `${DRIP_RUNNER_JOB}-${lane + 1}`)

/**
 * Register the runner: one recurring job per lane plus a unique wake-up job enrollments schedule.
 * A process runs one pass at a time, whichever job started it: a job that finds a pass running here
 * returns at once (that pass sends what is due; its lane runs again at its next interval, perhaps in
 * another process). So a process never has more than one message in flight without its outcome
 * recorded, and a SIGKILL re-sends at most one message however many lanes it held.
 */
export function defineDripRunner(agenda: Agenda, deps: DripRunnerDeps, options: { lanes?: number } = {}): void {
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
  // lockLimit 1: a process locks one job of a lane at a time, leaving the others to other processes.
  const jobOptions = { concurrency: 1, lockLimit: 1, lockLifetime: 2 * (deps.leaseMs ?? 120_000) + 5_000 }
  for (let lane = 0; lane < (options.lanes ?? 1); lane++) agenda.define(dripLaneJob(lane), run, jobOptions)
  agenda.define(DRIP_WAKE_JOB, run, { ...jobOptions, removeOnComplete: true } as typeof jobOptions)
}

export async function scheduleDripRunner(agenda: Agenda, options: { everyMs?: number; lanes?: number } = {}): Promise<void> {
  for (let lane = 0; lane < (options.lanes ?? 1); lane++) {
    for (let attempt = 1; ; attempt++) {
      try {
        await agenda.every(options.everyMs ?? DEFAULT_DRIP_EVERY_MS, dripLaneJob(lane), undefined, { skipImmediate: true })
        break
      } catch (error) {
        if (attempt === 5) throw error
        await new Promise((resolve) => setTimeout(resolve, 100 * attempt))
      }
    }
  }
}

