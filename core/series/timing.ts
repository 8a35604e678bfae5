/**
 * A series' timing as planSeries sees it: the stored rule, revisions, overrides and pauses of a series
 * expanded to one date per post, and the rule in words. Pure (no I/O): shared by the schemas, the
 * re-planning and the editor's live check.
 */
import type { SeriesTimingRow } from '../../db/queries/series'
import type { StoredTiming } from '../../db/schema/index'
import { describeRule, planSeries, type PlannedStep } from '../../domain/recurrence/index'

/** The IANA zones the editor and the calendar offer. */
export const TIMEZONES = Intl.supportedValuesOf('timeZone')

const hasEnd = (rule: string) => /(^|;)\s*(COUNT|UNTIL)\s*=/i.test(rule)

/**
 * The timing planSeries expands. A rule without COUNT or UNTIL ends with the series' last post: it is
 * bounded generously here (skipped dates and shifted pauses use up extra occurrences; expansion is lazy,
 * so the bound costs nothing).
 */
export function planningTiming(timing: StoredTiming, stepCount: number): Omit<StoredTiming, 'evergreen'> & { evergreen?: NonNullable<StoredTiming['evergreen']> } {
  const { evergreen, ...rest } = timing
  // An evergreen series is bounded by its end date (the schema requires one), not by its posts.
  if (evergreen) return { ...rest, evergreen }
  return hasEnd(timing.rule) ? rest : { ...rest, rule: `${timing.rule.replace(/;\s*$/, '')};COUNT=${stepCount + 100_000}` }
}

/**
 * The most posts (steps × rounds, per account) an evergreen series plans ahead (decision 107): every
 * round up to its end date is materialized as deliveries when the series is saved, so the horizon is
 * bounded by this and by EVERGREEN_MAX_YEARS.
 */
export const EVERGREEN_MAX_POSTS = 5_000
/** An evergreen series' end date is at most this many years after its start. */
export const EVERGREEN_MAX_YEARS = 2

/** "P14D" → "14 days", "P2W" → "2 weeks", "PT12H" → "12 hours"; anything else as written. */
export function describeGap(minGap: string): string {
  const m = /^P(?:(\d+)W|(\d+)D|T(\d+)H|T(\d+)M)$/.exec(minGap)
  if (!m) return minGap
  const [n, unit] = m[1] ? [m[1], 'week'] : m[2] ? [m[2], 'day'] : m[3] ? [m[3], 'hour'] : [m[4]!, 'minute']
  return `${Number(n)} ${unit}${Number(n) === 1 ? '' : 's'}`
}

/**
 * The plain-language text: an open-ended rule reads as "…, N times" (one per post); an evergreen series
 * says how its rounds repeat (decision 107).
 */
export function describeSeriesRule(timing: Pick<StoredTiming, 'rule' | 'start'> & { evergreen?: StoredTiming['evergreen'] }, stepCount: number): string {
  if (timing.evergreen) {
    const { minGap, until } = timing.evergreen
    return `${describeRule({ rule: timing.rule, start: timing.start })}, then again from post 1 at least ${describeGap(minGap)} after the last post, until ${until.replace('T', ' ')}`
  }
  const rule = hasEnd(timing.rule) ? timing.rule : `${timing.rule.replace(/;\s*$/, '')};COUNT=${stepCount}`
  return describeRule({ rule, start: timing.start })
}

export function currentTiming(row: SeriesTimingRow): StoredTiming {
  return row.revisions.at(-1)?.timing ?? { rule: row.rule, start: row.start, timezone: row.timezone, exdates: row.exdates, rdates: row.rdates, evergreen: row.evergreen ?? null }
}

/**
 * Steps 1..stepCount on the stored timing and edits (pauses count once resumed; a pause still open holds
 * nothing back). The first round only, unless `rounds` (an evergreen series' later rounds, decision 107:
 * cycle 2, 3, … up to its end date, at most EVERGREEN_MAX_POSTS rows).
 */
export function planStoredSeries(row: SeriesTimingRow, stepCount: number, options: { rounds?: boolean } = {}): PlannedStep[] {
  if (stepCount === 0) return []
  // Evergreen is the series' current setting, whichever rule revision a round ends on (decision 107): turned
  // on after the first round went out, it still starts the next round.
  const evergreen = currentTiming(row).evergreen ?? null
  const base: StoredTiming = { rule: row.rule, start: row.start, timezone: row.timezone, exdates: row.exdates, rdates: row.rdates, evergreen }
  const plan = planSeries({
    timing: planningTiming(base, stepCount),
    stepCount,
    overrides: row.overrides,
    pauses: row.pauses.flatMap((p) => (p.until && p.policy ? [{ from: new Date(p.from), until: new Date(p.until), policy: p.policy }] : [])),
    revisions: row.revisions.map((r) => ({ from: new Date(r.from), timing: planningTiming({ ...r.timing, evergreen }, stepCount), overrides: r.overrides })),
    limit: options.rounds ? EVERGREEN_MAX_POSTS : Math.min(10_000, stepCount),
  })
  return options.rounds ? plan : plan.filter((p) => p.cycle === 1)
}

/**
 * The posts an occurrence move took off the rule's date: post number → the date the rule gave it (what
 * the calendar's drag or "Move to" changed). Skipped dates stay in both plans, so only moves differ.
 */
export function movedPosts(row: SeriesTimingRow, stepCount: number): Map<number, Date> {
  const skipsOnly = (overrides: SeriesTimingRow['overrides']) => overrides.filter((o) => o.kind === 'skip')
  const unmoved = new Map(
    planStoredSeries({ ...row, overrides: skipsOnly(row.overrides), revisions: row.revisions.map((r) => ({ ...r, overrides: skipsOnly(r.overrides) })) }, stepCount).map((p) => [p.step, p.at]),
  )
  const moved = new Map<number, Date>()
  for (const p of planStoredSeries(row, stepCount)) {
    const before = unmoved.get(p.step)
    if (before && before.getTime() !== p.at.getTime()) moved.set(p.step, before)
  }
  return moved
}

/**
 * A new timing whose first post would already be due (issue 20: a start in the past was accepted, then
 * its posts were reported "missed"): the message says when and how many, in the series' zone. Null when
 * post 1 is still to come. Nothing is published in the past, so saving refuses it and the editor warns.
 */
export function pastStartProblem(timing: StoredTiming, stepCount: number, now: Date): string | null {
  if (stepCount === 0) return null
  let plan: PlannedStep[]
  try {
    plan = planSeries({ timing: planningTiming(timing, stepCount), stepCount, limit: Math.min(10_000, stepCount) })
  } catch {
    return null // an invalid rule has its own message
  }
  const past = plan.filter((p) => p.at.getTime() <= now.getTime())
  if (past.length === 0) return null
  const when = past[0]!.local.replace('T', ' ')
  const count = past.length === 1 ? 'post 1 would be due' : `posts 1–${past.length} would be due`
  return `Start: ${count} before now (post 1 on ${when}, ${timing.timezone}), and nothing is published in the past. Choose a start later than now.`
}
