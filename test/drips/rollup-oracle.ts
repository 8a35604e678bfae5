import type { DbOrTx } from '../../db/client'
import { dripAnalyticsRows, type DripAnalyticsRaw } from '../../db/queries/drip-analytics'
import { dripAnalyticsRollups } from '../../db/queries/drip-rollups'
import { wholeDays } from '../../core/drips/analytics.server'

/** Arrays sorted and numbers rounded so the two answers compare as data. */
function normal(r: DripAnalyticsRaw) {
  const by = <T>(xs: T[], key: (x: T) => string) => [...xs].sort((a, b) => key(a).localeCompare(key(b)))
  return {
    enrolled: r.enrolled,
    goalReached: r.goalReached,
    steps: by(r.steps, (s) => s.stepId),
    links: by(r.links, (l) => `${l.stepId} ${l.url}`),
    conversions: by(r.conversions, (c) => `${c.stepId} ${c.currency}`).map((c) => ({ ...c, revenue: Math.round(c.revenue * 100) / 100 })),
    daily: r.daily,
  }
}

/**
 * The roll-ups against the raw query (the oracle) over whole local days of the drip's zone: the same
 * numbers for every period. Returns the roll-ups' answers for further assertions.
 */
export async function rollupsAndRaw(
  db: DbOrTx,
  args: { workspaceId: string; dripId: string; timeZone: string; goals: string[]; attributionDays: number; period: { from: Date; to: Date } },
) {
  const { fromDay, toDay, from, to } = wholeDays(args.timeZone, args.period)
  const rollups = await dripAnalyticsRollups(db, { workspaceId: args.workspaceId, dripId: args.dripId, fromDay, toDay })
  const raw = await dripAnalyticsRows(db, { ...args, from, to })
  return { rollups: normal(rollups), raw: normal(raw) }
}
