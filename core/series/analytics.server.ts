import { z } from 'zod'
import { getSequence, listSteps } from '../../db/queries/sequences'
import { seriesAnalyticsSummary, seriesPostRows, type ShownPost } from '../../db/queries/series-analytics'
import { contentForNetwork } from '../../domain/series/variants'
import { postAnalytics, type PostRow } from '../../domain/series/analytics'
import type { StepContent } from '../../db/schema'
import { resolvePeriod, type DripAnalyticsPeriod } from '../drips/analytics.server'
import { InputError } from '../errors'
import type { Services } from '../services.server'

/** The posts the page (and the API) lists at a time, by publishing time (decision 108). */
export const POSTS_PER_PAGE = 100

const PageSchema = z.coerce.number().int().min(1, { error: 'page must be a whole number from 1' }).max(100_000, { error: 'page must be at most 100000' })

async function requireSeries(services: Services, args: { workspaceId: string; seriesId: string }) {
  const sequence = z.uuid().safeParse(args.seriesId).success ? await getSequence(services.database.db, { workspaceId: args.workspaceId, sequenceId: args.seriesId }) : null
  if (!sequence || sequence.kind !== 'series') throw new InputError(undefined, 'No such series', { status: 404 })
  return sequence
}

/** Each row shows what its network published: the network's own variant when the post has one (decision 098). */
function withText(rows: PostRow[], contentOf: (row: PostRow) => StepContent | undefined) {
  return postAnalytics(rows, (r) => {
    const content = contentOf(r)
    return content ? (contentForNetwork(content, r.network).parts[0]?.text ?? '') : ''
  })
}
/** The posts the page shows, each with its network's text (their step's content is not sent on). */
function shown(rows: ShownPost[]) {
  const contents = new Map(rows.map((r) => [r.deliveryId, r.content]))
  return withText(
    rows.map(({ content: _, ...row }) => row),
    (r) => contents.get(r.deliveryId),
  )
}

/**
 * A series' analytics over a period (docs/decisions/084-short-links-and-post-metrics.md): the posts
 * published in it, each with its latest metrics from its network and its short-link clicks; totals per
 * network; the best and worst posts; engagement by the weekday and hour posts went out, in the series' zone.
 * The database groups them (decision 108): only the shown posts leave it, `POSTS_PER_PAGE` of the listed
 * posts at a time (`page`, from 1) beside the best and worst.
 */
export async function loadSeriesAnalytics(services: Services, args: { workspaceId: string; seriesId: string; period?: DripAnalyticsPeriod; page?: number | string }) {
  // The series and its numbers are read at once (one round trip); an unknown series is a 404 before a bad period or page.
  const found = requireSeries(services, args)
  const parsedPage = PageSchema.safeParse(args.page ?? 1)
  let period: ReturnType<typeof resolvePeriod>
  try {
    period = resolvePeriod(args.period ?? {}, services.clock.now())
    if (!parsedPage.success) throw new InputError('page', parsedPage.error.issues[0]!.message)
  } catch (error) {
    await found
    throw error
  }
  const { from, to, days } = period
  const page = parsedPage.data
  if (!z.uuid().safeParse(args.seriesId).success) await found
  const [sequence, summary] = await Promise.all([
    found,
    seriesAnalyticsSummary(services.database.db, { workspaceId: args.workspaceId, seriesId: args.seriesId, from, to, offset: (page - 1) * POSTS_PER_PAGE, limit: POSTS_PER_PAGE }),
  ])
  const networks = summary.networks
  const sum = (pick: (n: (typeof networks)[number]) => number) => networks.reduce((a, n) => a + pick(n), 0)
  return {
    series: { id: sequence.id, name: sequence.name, timezone: sequence.timezone, shortLinks: sequence.shortLinks },
    period: { from: from.toISOString(), to: to.toISOString(), days },
    totals: { posts: summary.posts, impressions: sum((n) => n.impressions ?? 0), engagement: sum((n) => n.engagement), clicks: sum((n) => n.clicks) },
    networks,
    posts: shown(summary.page),
    postsPage: { page, pageSize: POSTS_PER_PAGE, total: summary.posts },
    best: shown(summary.best),
    worst: shown(summary.worst),
    heatMap: summary.heatMap.map((c) => ({ ...c, average: c.engagement / c.posts })),
  }
}

export type SeriesAnalytics = Awaited<ReturnType<typeof loadSeriesAnalytics>>

/** Every post of a series published in the period with its numbers (the page's CSV export). */
export async function loadSeriesPosts(services: Services, args: { workspaceId: string; seriesId: string; period?: DripAnalyticsPeriod }) {
  const db = services.database.db
  const sequence = await requireSeries(services, args)
  const { from, to, days } = resolvePeriod(args.period ?? {}, services.clock.now())
  const [rows, steps] = await Promise.all([
    seriesPostRows(db, { workspaceId: args.workspaceId, seriesId: sequence.id, from, to }),
    listSteps(db, { workspaceId: args.workspaceId, sequenceId: sequence.id }),
  ])
  const contents = new Map(steps.map((s) => [s.id, s.content]))
  return {
    series: { id: sequence.id, name: sequence.name },
    period: { from: from.toISOString(), to: to.toISOString(), days },
    posts: withText(rows, (r) => contents.get(r.stepId)),
  }
}
