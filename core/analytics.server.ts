import { listSeries, seriesStepStats } from '../db/queries/series'
import { PENDING_STATES, type DeliveryState } from '../domain/delivery'
import { listDripOverviews } from './drips.server'
import { formatLocal, instantToWall } from '../domain/timing/zone'
import type { Services } from './services.server'

const PROBLEM_STATES: DeliveryState[] = ['failed', 'missed', 'needs_review']

type Outcome = { published: number; pending: number; problems: number; skipped: number }

function outcomeOf(counts: Partial<Record<DeliveryState, number>>): Outcome {
  const sum = (states: readonly DeliveryState[]) => states.reduce((a, s) => a + (counts[s] ?? 0), 0)
  return { published: counts.published ?? 0, pending: sum([...PENDING_STATES, 'publishing']), problems: sum(PROBLEM_STATES), skipped: sum(['skipped', 'canceled']) }
}

/**
 * The analytics page: per series (and per post: deliveries by outcome, the published post's link) and
 * per drip (totals, per step counts and the funnel, from the drip roll-ups: decision 104).
 */
export async function loadAnalytics(services: Services, args: { workspaceId: string }) {
  const db = services.database.db
  const [series, stats, drips] = await Promise.all([listSeries(db, args), seriesStepStats(db, args), listDripOverviews(services, args)])
  const bySeries = new Map<string, Map<number, { text: string; firstDueAt: Date; remoteUrl: string | null; counts: Partial<Record<DeliveryState, number>> }>>()
  for (const s of stats) {
    const steps = bySeries.get(s.sequenceId) ?? new Map()
    bySeries.set(s.sequenceId, steps)
    const step = steps.get(s.position) ?? { text: s.text, firstDueAt: s.firstDueAt, remoteUrl: null, counts: {} }
    step.counts[s.state] = (step.counts[s.state] ?? 0) + s.count
    if (s.firstDueAt < step.firstDueAt) step.firstDueAt = s.firstDueAt
    step.remoteUrl ??= s.remoteUrl
    steps.set(s.position, step)
  }
  return {
    series: series.map((s) => ({
      id: s.id,
      name: s.name,
      status: s.status,
      posts: s.steps,
      ...outcomeOf(s.counts),
      steps: [...(bySeries.get(s.id) ?? new Map()).entries()].map(([position, step]) => ({
        position,
        text: step.text,
        when: `${formatLocal(instantToWall(s.timezone, step.firstDueAt.getTime())).replace('T', ' ')} ${s.timezone}`,
        remoteUrl: step.remoteUrl,
        ...outcomeOf(step.counts),
      })),
    })),
    drips,
  }
}
