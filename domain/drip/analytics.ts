/**
 * Per-drip analytics, pure (docs/decisions/080-per-drip-analytics.md): rates from counts, the funnel
 * enrolled → each step sent → goal reached, the daily series with every day of the period present, and
 * its CSV. The counts come from one set-based query (db/queries/drip-analytics.ts).
 */
import { toCsv } from '../email/csv'

/** The periods the analytics pages offer (days back from now); here so the browser bundle has them too. */
export const ANALYTICS_PERIODS = [7, 30, 90] as const

export type StepCountsInput = { sent: number; bounced: number; softBounced: number; opened: number; clicked: number; unsubscribed: number; complained: number }

export type StepRates = { delivered: number; opened: number; clicked: number; clickToOpen: number; unsubscribed: number; bounced: number; complained: number; conversion: number }

export type StepAnalytics = {
  stepId: string
  position: number
  subject: string
  counts: StepCountsInput & { delivered: number; hardBounced: number; conversions: number }
  /** Fractions 0…1: delivered and bounced of sent; the others of delivered; click-to-open of opened. */
  rates: StepRates
  links: Array<{ url: string; clicks: number }>
  revenue: Array<{ currency: string | null; amount: number }>
}

export type DailyRow = { day: string; sends: number; opens: number; clicks: number; conversions: number }

const ratio = (part: number, whole: number) => (whole > 0 ? part / whole : 0)

/** One step's derived counts and rates. A click implies an open (recorded as one), so opened ≥ clicked. */
export function stepMetrics(c: StepCountsInput, conversions: number): Pick<StepAnalytics, 'counts' | 'rates'> {
  const delivered = Math.max(0, c.sent - c.bounced)
  return {
    counts: { ...c, delivered, hardBounced: c.bounced - c.softBounced, conversions },
    rates: {
      delivered: ratio(delivered, c.sent),
      opened: ratio(c.opened, delivered),
      clicked: ratio(c.clicked, delivered),
      clickToOpen: ratio(c.clicked, c.opened),
      unsubscribed: ratio(c.unsubscribed, delivered),
      bounced: ratio(c.bounced, c.sent),
      complained: ratio(c.complained, delivered),
      conversion: ratio(conversions, delivered),
    },
  }
}

export type FunnelStage = { label: string; count: number; /** of enrolled */ rate: number; /** of the stage before */ stepRate: number }

/** enrolled → step 1 sent → … → last step sent → goal reached. */
export function funnelOf(args: { enrolled: number; steps: Array<{ position: number; sent: number }>; goalReached: number }): FunnelStage[] {
  const stages = [
    { label: 'Enrolled', count: args.enrolled },
    ...args.steps.map((s) => ({ label: `Step ${s.position + 1} sent`, count: s.sent })),
    { label: 'Goal reached', count: args.goalReached },
  ]
  return stages.map((s, i) => ({ ...s, rate: ratio(s.count, args.enrolled), stepRate: i === 0 ? 1 : ratio(s.count, stages[i - 1]!.count) }))
}

/** Sum revenue by currency (null: none given). */
export function revenueByCurrency(rows: Array<{ currency: string | null; revenue: number; valued: number }>): Array<{ currency: string | null; amount: number }> {
  const by = new Map<string | null, number>()
  for (const r of rows) if (r.valued > 0) by.set(r.currency, (by.get(r.currency) ?? 0) + r.revenue)
  return [...by.entries()].map(([currency, amount]) => ({ currency, amount: Math.round(amount * 100) / 100 })).sort((a, b) => String(a.currency).localeCompare(String(b.currency)))
}

/** The calendar days (YYYY-MM-DD) from `first` to `last`, both included. */
export function daysBetween(first: string, last: string): string[] {
  const days: string[] = []
  for (let t = Date.parse(`${first}T00:00:00Z`), end = Date.parse(`${last}T00:00:00Z`); t <= end && days.length < 1000; t += 86_400_000) days.push(new Date(t).toISOString().slice(0, 10))
  return days
}

/** Every day of `days` with its counts (zero when nothing happened). */
export function fillDaily(days: string[], rows: DailyRow[]): DailyRow[] {
  const by = new Map(rows.map((r) => [r.day, r]))
  return days.map((day) => by.get(day) ?? { day, sends: 0, opens: 0, clicks: 0, conversions: 0 })
}

/** The daily series as CSV (RFC 4180, header row). */
export function dailyCsv(rows: DailyRow[]): string {
  return toCsv([['date', 'sends', 'opens', 'clicks', 'conversions'], ...rows.map((r) => [r.day, r.sends, r.opens, r.clicks, r.conversions].map(String))])
}

/** Two steps side by side: each rate, and the difference (second minus first, in fraction points). */
export function compareSteps(a: StepAnalytics, b: StepAnalytics): Array<{ rate: keyof StepRates; a: number; b: number; difference: number }> {
  return (Object.keys(a.rates) as Array<keyof StepRates>).map((rate) => ({ rate, a: a.rates[rate], b: b.rates[rate], difference: b.rates[rate] - a.rates[rate] }))
}
