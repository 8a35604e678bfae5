import type { Agenda } from 'agenda'
import { DEFAULT_RECONCILE_EVERY_MS, DEFAULT_RECONCILE_SWEEP_MS, nextReconcileAt, reconcileDeliveries, type ReconcileDeps } from '../core/publishing/reconcile.server'
import { processorOf } from './agenda-patches'

/**
 * The recurring job the reconciler was until decision 109: a worker that still finds it in its store
 * removes it (nothing defines it any more).
 */
export const RECONCILE_DELIVERIES_JOB = 'reconcile-deliveries'

export type ReconcilerTiming = {
  /** While this worker publishes, a pass at least this often (the cadence of the old recurring job). */
  reconcileEveryMs?: number
  /** With nothing to do, a pass at least this often anyway: the safety sweep. */
  reconcileSweepMs?: number
}

export type Reconciler = {
  /** Run a pass now, then keep passing on its own schedule while the job store runs. */
  start(): Promise<void>
  /** This worker is publishing: a pass within `reconcileEveryMs` (no statement, only a timer). */
  wakeSoon(): void
}

/**
 * The reconciler of one worker (core/publishing/reconcile.server.ts reconcileDeliveries), on a timer of
 * its own instead of a recurring job (decision 109). After each pass it asks the database when a pass
 * could next find work (one statement: the earliest lease, lookup, or stall instant) and sleeps until
 * then, between `reconcileEveryMs` and `reconcileSweepMs`. With a million future deliveries and nothing
 * due, that is one pass and one query per sweep.
 *
 * What it would not see from the database when it last asked is a claim taken later. Every publish job
 * this worker runs wakes it within `reconcileEveryMs` (as the recurring job ran while anything was in
 * flight); a claim of another worker that died is covered by that worker's publish job while the job
 * still runs (a job ends only when every delivery of its batch is settled): the lock runs out, a live
 * worker runs the job again and that wakes its reconciler, whose pass then sees every expired or expiring
 * lease. Anything else (a lookup recorded by a worker that died after its job ended, a delivery whose
 * enqueue was lost) waits for the safety sweep, or for the first pass of a worker that starts. Passes of
 * several workers may overlap:
 * every write of a pass is conditional.
 */
export function createReconciler(agenda: Agenda, deps: ReconcileDeps & ReconcilerTiming): Reconciler {
  const everyMs = deps.reconcileEveryMs ?? DEFAULT_RECONCILE_EVERY_MS
  const sweepMs = Math.max(everyMs, deps.reconcileSweepMs ?? DEFAULT_RECONCILE_SWEEP_MS)
  // Timers run on the monotonic clock; the instants from the database compare with deps.clock.
  let timer: ReturnType<typeof setTimeout> | undefined
  let timerAt = Infinity
  let passing = false
  let again = false
  const running = () => processorOf(agenda)?.isRunning === true

  const arm = (inMs: number) => {
    const at = performance.now() + inMs
    if (at >= timerAt) return
    clearTimeout(timer)
    timerAt = at
    timer = setTimeout(fire, Math.max(0, inMs))
    // While Agenda runs its poll keeps the process alive; this timer alone must not.
    timer.unref()
  }

  /** One pass, then the delay until the next (clamped to [everyMs, sweepMs]). */
  const pass = async (): Promise<number> => {
    await reconcileDeliveries(deps)
    const next = await nextReconcileAt(deps)
    const inMs = next ? next.getTime() - deps.clock.now().getTime() : sweepMs
    return Math.min(sweepMs, Math.max(everyMs, inMs))
  }

  function fire() {
    timer = undefined
    timerAt = Infinity
    if (!running()) return
    if (passing) return void (again = true)
    passing = true
    // A database error (a restart, a busy server): the next pass retries at the busy cadence.
    void pass().catch(() => everyMs).then((inMs) => {
      passing = false
      if (!running()) return
      arm(again ? 0 : inMs)
      again = false
    })
  }

  return {
    async start() {
      // As before decision 109, a failing first pass fails the worker's start.
      passing = true
      const inMs = await pass().finally(() => (passing = false))
      arm(again ? 0 : inMs)
      again = false
    },
    wakeSoon() {
      if (running()) arm(everyMs)
    },
  }
}
