/**
 * Projected email volume (the calendar's "N emails" per day). Pure: the database groups the active
 * enrollments of active drips by drip, next step and local day; this walks each group forward through
 * the drip's later steps with their delays and send windows. The projection is an upper bound: it
 * assumes every condition holds, and it stops at a step timed from the enrollment (the group does not
 * know when its enrollments started). Contacts in their own zones are projected in the drip's zone.
 */
import { instantToWall, formatLocal } from '../timing/zone'
import { stepDueAt, type DripDef, type StepDef } from './runner'

/** Active enrollments of one drip waiting for step `position`, due first at `firstDueAt` on one local day. */
export type DueGroup = { dripId: string; position: number; count: number; firstDueAt: Date }

/** Emails projected on one local day, in all and per drip (most first). */
export type EmailVolumeDay = { date: string; count: number; drips: Array<{ dripId: string; count: number }> }

export function projectEmailVolume(args: {
  groups: DueGroup[]
  drips: Map<string, { drip: DripDef; steps: StepDef[] }>
  timeZone: string
  /** Local dates `YYYY-MM-DD` in `timeZone`, inclusive. */
  from: string
  to: string
  now: Date
}): EmailVolumeDay[] {
  const byDay = new Map<string, Map<string, number>>()
  const dayOf = (at: Date) => formatLocal(instantToWall(args.timeZone, at.getTime())).slice(0, 10)
  const add = (dripId: string, at: Date, count: number) => {
    const day = dayOf(at)
    if (day >= args.from && day <= args.to) {
      const drips = byDay.get(day) ?? byDay.set(day, new Map()).get(day)!
      drips.set(dripId, (drips.get(dripId) ?? 0) + count)
    }
    return day <= args.to
  }
  for (const group of args.groups) {
    const def = args.drips.get(group.dripId)
    if (!def) continue
    // Overdue enrollments go out as soon as the runner gets to them: today.
    let at = group.firstDueAt < args.now ? args.now : group.firstDueAt
    if (!add(group.dripId, at, group.count)) continue
    for (const step of def.steps.filter((s) => s.position > group.position)) {
      if (step.settings.after === 'enrollment') break
      at = stepDueAt({ drip: def.drip, step, contactTimezone: null, enrolledAt: at, previousAt: at })
      if (!add(group.dripId, at, group.count)) break
    }
  }
  return [...byDay]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([date, drips]) => ({
      date,
      count: [...drips.values()].reduce((a, b) => a + b, 0),
      drips: [...drips].map(([dripId, count]) => ({ dripId, count })).sort((a, b) => b.count - a.count || (a.dripId < b.dripId ? -1 : 1)),
    }))
}
