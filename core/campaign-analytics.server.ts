import { listCampaignSequences, listCampaigns as listCampaignRows } from '../db/queries/campaigns'
import { seriesTotals } from '../db/queries/series-analytics'
import { campaignFunnel } from '../domain/campaign'
import { revenueByCurrency } from '../domain/drip/analytics'
import { loadDripAnalytics, resolvePeriod, type DripAnalyticsPeriod } from './drips/analytics.server'
import { InputError } from './errors'
import type { Services } from './services.server'

/**
 * One campaign's funnel across channels (docs/decisions/094-drip-analytics-roll-ups.md): reach → clicks →
 * enrollments → conversions over a period, from the analytics of each series and drip tagged with it
 * (decisions 080 and 084; each counts its period by its own rules, a drip by whole days in its zone).
 */
export async function loadCampaignAnalytics(services: Services, args: { workspaceId: string; campaign: string; period?: DripAnalyticsPeriod }) {
  const campaign = args.campaign.trim()
  const { from, to, days } = resolvePeriod(args.period ?? {}, services.clock.now())
  const members = campaign ? await listCampaignSequences(services.database.db, { workspaceId: args.workspaceId, campaign }) : []
  if (members.length === 0) throw new InputError(undefined, 'No such campaign', { status: 404 })
  // A series counts only its totals here (decision 108): its posts, their impressions and clicks, as its page sums them.
  const [series, drips] = await Promise.all([
    Promise.all(
      members.filter((m) => m.kind === 'series').map(async (m) => ({ id: m.id, name: m.name, ...(await seriesTotals(services.database.db, { workspaceId: args.workspaceId, seriesId: m.id, from, to })) })),
    ),
    Promise.all(members.filter((m) => m.kind === 'drip').map((m) => loadDripAnalytics(services, { workspaceId: args.workspaceId, dripId: m.id, period: args.period }))),
  ])
  const sum = <T>(xs: T[], pick: (x: T) => number) => xs.reduce((a, x) => a + pick(x), 0)
  const social = { reach: sum(series, (s) => s.impressions), clicks: sum(series, (s) => s.clicks) }
  const email = { reach: sum(drips, (d) => d.totals.delivered), clicks: sum(drips, (d) => d.totals.clicked) }
  const enrollments = sum(drips, (d) => d.enrolled)
  const conversions = sum(drips, (d) => d.totals.conversions)
  const revenue = revenueByCurrency(drips.flatMap((d) => d.totals.revenue.map((r) => ({ currency: r.currency, revenue: r.amount, valued: 1 }))))
  return {
    campaign,
    period: { from: from.toISOString(), to: to.toISOString(), days },
    funnel: campaignFunnel({ social, email, enrollments, conversions }),
    revenue,
    series: series.map((s) => ({ id: s.id, name: s.name, posts: s.posts, impressions: s.impressions, clicks: s.clicks })),
    drips: drips.map((d) => ({ id: d.drip.id, name: d.drip.name, delivered: d.totals.delivered, clicked: d.totals.clicked, enrolled: d.enrolled, conversions: d.totals.conversions })),
  }
}

export type CampaignAnalytics = Awaited<ReturnType<typeof loadCampaignAnalytics>>

/** The workspace's campaign tags, each with how many series and drips carry it. */
export function listCampaigns(services: Services, args: { workspaceId: string }) {
  return listCampaignRows(services.database.db, args)
}
