import type { DeliveryState } from './delivery'

/** Where an approved series stands, as its list and page say it. */
export type SeriesRunState = 'active' | 'paused' | 'finished'

const OPEN: readonly DeliveryState[] = ['planned', 'queued', 'publishing', 'needs_review']

/**
 * Finished once it has deliveries and none is still to come or in flight (every one published, failed,
 * skipped, canceled or missed); a finished series stays "Finished" even when paused (issue 20: the list
 * kept a finished series "Active").
 */
export function seriesRunState(args: { status: string; counts: Partial<Record<DeliveryState, number>> }): SeriesRunState {
  const total = Object.values(args.counts).reduce<number>((sum, n) => sum + (n ?? 0), 0)
  const open = OPEN.reduce((sum, state) => sum + (args.counts[state] ?? 0), 0)
  if (total > 0 && open === 0) return 'finished'
  return args.status === 'paused' ? 'paused' : 'active'
}
