import { z } from 'zod'
import { getSequence, listSteps } from '../../db/queries/sequences'
import { seriesPostRows } from '../../db/queries/series-analytics'
import { contentForNetwork } from '../../domain/series/variants'
import { bestAndWorst, heatMap, postAnalytics, totalsByNetwork } from '../../domain/series/analytics'
import { resolvePeriod, type DripAnalyticsPeriod } from '../drips/analytics.server'
import { InputError } from '../errors'
import type { Services } from '../services.server'

/**
 * A series' analytics over a period (docs/decisions/084-short-links-and-post-metrics.md): the posts
 * published in it, each with its latest metrics from its network and its short-link clicks; totals per
 * network; the best and worst posts; engagement by the weekday and hour posts went out, in the series' zone.
 */
export async function loadSeriesAnalytics(services: Services, args: { workspaceId: string; seriesId: string; period?: DripAnalyticsPeriod }) {
  const db = services.database.db
  const sequence = z.uuid().safeParse(args.seriesId).success ? await getSequence(db, { workspaceId: args.workspaceId, sequenceId: args.seriesId }) : null
  if (!sequence || sequence.kind !== 'series') throw new InputError(undefined, 'No such series', { status: 404 })
  const { from, to, days } = resolvePeriod(args.period ?? {}, services.clock.now())
  const [rows, steps] = await Promise.all([
    seriesPostRows(db, { workspaceId: args.workspaceId, seriesId: sequence.id, from, to }),
    listSteps(db, { workspaceId: args.workspaceId, sequenceId: sequence.id }),
  ])
  const contents = new Map(steps.map((s) => [s.id, s.content]))
  // Each row shows what its network published: the network's own variant when the post has one (decision 098).
  const textOf = (r: { stepId: string; network: string }) => {
    const content = contents.get(r.stepId)
    return content ? (contentForNetwork(content, r.network).parts[0]?.text ?? '') : ''
  }
  const posts = postAnalytics(rows, textOf)
  const networks = totalsByNetwork(posts)
  const { best, worst } = bestAndWorst(posts)
  const sum = (pick: (n: (typeof networks)[number]) => number) => networks.reduce((a, n) => a + pick(n), 0)
  return {
    series: { id: sequence.id, name: sequence.name, timezone: sequence.timezone, shortLinks: sequence.shortLinks },
    period: { from: from.toISOString(), to: to.toISOString(), days },
    totals: { posts: posts.length, impressions: sum((n) => n.impressions ?? 0), engagement: sum((n) => n.engagement), clicks: sum((n) => n.clicks) },
    networks,
    posts,
    best,
    worst,
    heatMap: heatMap(posts, sequence.timezone),
  }
}

export type SeriesAnalytics = Awaited<ReturnType<typeof loadSeriesAnalytics>>
