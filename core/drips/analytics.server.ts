import { z } from 'zod'
import { dripAnalyticsRollups } from '../../db/queries/drip-rollups'
import { getDrip as getDripRow } from '../../db/queries/drips'
import { ANALYTICS_PERIODS, compareSteps, daysBetween, fillDaily, funnelOf, revenueByCurrency, stepMetrics, type StepAnalytics } from '../../domain/drip/analytics'
import { DEFAULT_ATTRIBUTION_DAYS } from '../../domain/drip/schema'
import { formatLocal, instantToWall, resolveWall } from '../../domain/timing/zone'
import { InputError } from '../errors'
import type { Services } from '../services.server'

export { ANALYTICS_PERIODS }
const DAY = 86_400_000
const MAX_SPAN_DAYS = 366

const Instant = (field: string) =>
  z
    .string()
    .trim()
    .refine((s) => /^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:\d{2}))?$/.test(s) && !Number.isNaN(Date.parse(s)), { error: `${field} must be a date (2026-11-01) or an ISO 8601 instant` })
    .transform((s) => new Date(s))

/** `?days=7|30|90`, or `?from&to` (instants or UTC dates; `to` defaults to now, `from` to 30 days before `to`). */
export const DripAnalyticsPeriodSchema = z
  .strictObject({
    days: z.coerce.number().refine((n) => (ANALYTICS_PERIODS as readonly number[]).includes(n), { error: 'days must be 7, 30 or 90' }).optional(),
    from: Instant('from').optional(),
    to: Instant('to').optional(),
  })
  .refine((p) => !(p.days && (p.from || p.to)), { error: 'give either days or from/to', path: ['days'] })

export type DripAnalyticsPeriod = z.input<typeof DripAnalyticsPeriodSchema>

/** Read the period from URL search parameters (`also`: the page's other parameters); a bad value is an InputError naming it (a 400). */
export function parseAnalyticsPeriod(search: URLSearchParams, also: string[] = []): DripAnalyticsPeriod {
  const raw = Object.fromEntries([...search.entries()].filter(([k, v]) => ['days', 'from', 'to'].includes(k) && v !== ''))
  const unknown = [...search.keys()].find((k) => !['days', 'from', 'to', 'a', 'b', ...also].includes(k))
  if (unknown) throw new InputError(unknown, `${unknown} is not a parameter here: use days, or from and to`)
  return raw
}

/** The period's instants (shared with the series analytics); a bad one is an InputError naming the parameter. */
export function resolvePeriod(input: DripAnalyticsPeriod, now: Date): { from: Date; to: Date; days: number | null } {
  const parsed = DripAnalyticsPeriodSchema.safeParse(input)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!
    const field = issue.path.map(String).join('.') || 'period'
    throw new InputError(field, issue.message.startsWith(field) ? issue.message : `${field}: ${issue.message}`)
  }
  const p = parsed.data
  const to = p.to ?? now
  const days = p.from ? null : (p.days ?? 30)
  const from = p.from ?? new Date(to.getTime() - (days ?? 30) * DAY)
  if (from >= to) throw new InputError('from', 'from must be before to')
  if (to.getTime() - from.getTime() > MAX_SPAN_DAYS * DAY) throw new InputError('from', `the period can be at most ${MAX_SPAN_DAYS} days`)
  return { from, to, days }
}

const localDay = (zone: string, at: number) => formatLocal(instantToWall(zone, at)).slice(0, 10)
const nextDay = (day: string) => new Date(Date.parse(`${day}T00:00:00Z`) + DAY).toISOString().slice(0, 10)
const dayStart = (zone: string, day: string) => new Date(resolveWall(zone, Date.parse(`${day}T00:00:00Z`)))

/**
 * The period widened to whole local days in `zone` (what the roll-ups count by): from the start of
 * `from`'s day to the end of the day of `to`'s last instant. `toDay` is exclusive.
 */
export function wholeDays(zone: string, period: { from: Date; to: Date }) {
  const fromDay = localDay(zone, period.from.getTime())
  const toDay = nextDay(localDay(zone, period.to.getTime() - 1))
  return { fromDay, toDay, from: dayStart(zone, fromDay), to: dayStart(zone, toDay) }
}

/**
 * A drip's analytics over a period (docs/decisions/080-per-drip-analytics.md): the funnel and per-step
 * counts, rates, links, conversions and revenue of the enrollments started in the period, and the
 * daily activity (sends, opens, clicks, conversions) of the period's days in the drip's zone. The
 * period is read as whole days in the drip's zone and the numbers come from the roll-ups
 * (docs/decisions/094-drip-analytics-roll-ups.md).
 */
export async function loadDripAnalytics(services: Services, args: { workspaceId: string; dripId: string; period?: DripAnalyticsPeriod }) {
  const db = services.database.db
  const drip = z.uuid().safeParse(args.dripId).success ? await getDripRow(db, { workspaceId: args.workspaceId, dripId: args.dripId }) : null
  if (!drip) throw new InputError(undefined, 'No such drip', { status: 404 })
  const requested = resolvePeriod(args.period ?? {}, services.clock.now())
  const timeZone = drip.drip.timezone
  const attributionDays = drip.drip.settings.attributionDays ?? DEFAULT_ATTRIBUTION_DAYS
  const { fromDay, toDay, from, to } = wholeDays(timeZone, requested)
  const days = requested.days
  const raw = await dripAnalyticsRollups(db, { workspaceId: args.workspaceId, dripId: drip.drip.id, fromDay, toDay })
  const steps: StepAnalytics[] = drip.steps.map((step) => {
    const c = raw.steps.find((s) => s.stepId === step.id)
    const counts = { sent: c?.sent ?? 0, bounced: c?.bounced ?? 0, softBounced: c?.softBounced ?? 0, opened: c?.opened ?? 0, clicked: c?.clicked ?? 0, unsubscribed: c?.unsubscribed ?? 0, complained: c?.complained ?? 0 }
    const conversions = raw.conversions.filter((r) => r.stepId === step.id)
    return {
      stepId: step.id,
      position: step.position,
      subject: step.content.email?.subject ?? '',
      ...stepMetrics(counts, conversions.reduce((a, r) => a + r.conversions, 0)),
      links: raw.links.filter((l) => l.stepId === step.id).map((l) => ({ url: l.url, clicks: l.clicks })).sort((a, b) => b.clicks - a.clicks || a.url.localeCompare(b.url)),
      revenue: revenueByCurrency(conversions),
    }
  })
  const sum = (k: keyof StepAnalytics['counts']) => steps.reduce((a, s) => a + s.counts[k], 0)
  return {
    drip: { id: drip.drip.id, name: drip.drip.name, timezone: timeZone, goals: drip.drip.settings.goals, attributionDays },
    period: { from: from.toISOString(), to: to.toISOString(), days },
    enrolled: raw.enrolled,
    goalReached: raw.goalReached,
    funnel: funnelOf({ enrolled: raw.enrolled, steps: steps.map((s) => ({ position: s.position, sent: s.counts.sent })), goalReached: raw.goalReached }),
    totals: {
      sent: sum('sent'),
      delivered: sum('delivered'),
      opened: sum('opened'),
      clicked: sum('clicked'),
      unsubscribed: sum('unsubscribed'),
      bounced: sum('bounced'),
      complained: sum('complained'),
      conversions: sum('conversions'),
      revenue: revenueByCurrency(raw.conversions),
    },
    steps,
    daily: fillDaily(daysBetween(localDay(timeZone, from.getTime()), localDay(timeZone, to.getTime() - 1)), raw.daily),
  }
}

export type DripAnalytics = Awaited<ReturnType<typeof loadDripAnalytics>>

/** Two steps (by position) of the analytics side by side, or null when either is missing. */
export function compareDripSteps(a: DripAnalytics, positions: { a: number; b: number }) {
  const first = a.steps.find((s) => s.position === positions.a)
  const second = a.steps.find((s) => s.position === positions.b)
  return first && second ? { a: first.position, b: second.position, rates: compareSteps(first, second) } : null
}
