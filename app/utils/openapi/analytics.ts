import { z } from 'zod'
import { errorResponses, jsonResponse, type OpenApiFragment } from './helpers'

/** API contract of analytics (core/drips/analytics.server.ts, docs/decisions/080-per-drip-analytics.md). */

const Count = z.number().int().min(0)
const Fraction = z.number().min(0).describe('0…1')
const Revenue = z.array(z.object({ currency: z.string().nullable().describe('properties.currency of the goal events, as given'), amount: z.number() }))

export const DripAnalyticsSchema = z.object({
  drip: z.object({ id: z.uuid(), name: z.string(), timezone: z.string(), goals: z.array(z.string()), attributionDays: z.number().int() }),
  period: z.object({ from: z.iso.datetime(), to: z.iso.datetime(), days: z.number().int().nullable() }),
  enrolled: Count.describe('Enrollments started in the period (the cohort)'),
  goalReached: Count.describe('Of those, enrollments ended by a goal event'),
  funnel: z.array(z.object({ label: z.string(), count: Count, rate: Fraction.describe('of enrolled'), stepRate: Fraction.describe('of the stage before') })),
  totals: z.object({ sent: Count, delivered: Count, opened: Count, clicked: Count, unsubscribed: Count, bounced: Count, complained: Count, conversions: Count, revenue: Revenue }),
  steps: z.array(
    z.object({
      stepId: z.uuid(),
      position: z.number().int(),
      subject: z.string(),
      counts: z.object({ sent: Count, delivered: Count, bounced: Count, hardBounced: Count, softBounced: Count, opened: Count, clicked: Count, unsubscribed: Count, complained: Count, conversions: Count }),
      rates: z.object({ delivered: Fraction, opened: Fraction, clicked: Fraction, clickToOpen: Fraction, unsubscribed: Fraction, bounced: Fraction, complained: Fraction, conversion: Fraction }),
      links: z.array(z.object({ url: z.string(), clicks: Count.describe('Messages with a click on this link') })),
      revenue: Revenue,
    }),
  ),
  daily: z.array(z.object({ day: z.iso.date(), sends: Count, opens: Count, clicks: Count, conversions: Count })).describe("Activity by day in the drip's time zone"),
})

const Metric = z.number().int().min(0).nullable().describe('null: the network does not report it, or it was not read yet')
const Metrics = z.object({ impressions: Metric, likes: Metric, reposts: Metric, replies: Metric, quotes: Metric, bookmarks: Metric })
const Post = z.object({
  deliveryId: z.uuid(),
  stepId: z.uuid(),
  position: z.number().int().describe('The post (step), 0-based'),
  network: z.string().describe('x, mastodon, bluesky…'),
  handle: z.string(),
  publishedAt: z.iso.datetime(),
  url: z.string().nullable(),
  metricsAge: z.enum(['1h', '24h', '7d']).nullable().describe('The age of the latest metrics read; null before the first'),
  metrics: Metrics,
  clicks: Count.describe('Clicks on the short links of this post (bots not counted)'),
  text: z.string(),
  engagement: Count.describe('likes + reposts + replies + quotes + bookmarks + clicks'),
  engagementRate: z.number().nullable().describe('engagement of impressions, where the network reports impressions'),
})

export const SeriesAnalyticsSchema = z.object({
  series: z.object({ id: z.uuid(), name: z.string(), timezone: z.string(), shortLinks: z.boolean() }),
  period: z.object({ from: z.iso.datetime(), to: z.iso.datetime(), days: z.number().int().nullable() }),
  totals: z.object({ posts: Count, impressions: Count, engagement: Count, clicks: Count }),
  networks: z.array(Metrics.extend({ network: z.string(), posts: Count, clicks: Count, engagement: Count })),
  posts: z.array(Post).describe('The posts published in the period (one per network account), by publishing time, one page of them: see postsPage'),
  postsPage: z.object({ page: z.number().int().min(1), pageSize: z.number().int().min(1), total: Count.describe('Posts in the period (totals.posts)') }).describe('Which page of the posts `posts` lists (`?page`)'),
  best: z.array(Post).describe('Up to 3 most engaging posts'),
  worst: z.array(Post).describe('Up to 3 least engaging posts (none of the best)'),
  heatMap: z
    .array(z.object({ weekday: z.number().int().min(0).max(6).describe('0 = Monday'), hour: z.number().int().min(0).max(23), posts: Count, engagement: Count, average: z.number() }))
    .describe("Engagement by the weekday and hour posts went out, in the series' time zone (cells with posts only)"),
})

const Stage = z.object({
  key: z.enum(['reach', 'clicks', 'enrollments', 'conversions']),
  label: z.string(),
  social: Count.nullable().describe('Reach: impressions of the posts as the networks report them; clicks: short-link clicks. null where social posts have no part'),
  email: Count.nullable().describe('Reach: emails delivered; clicks: emails with a clicked link. null where email has no part'),
  total: Count,
  rate: Fraction.describe('of reach'),
  stepRate: Fraction.describe('of the stage before'),
})

export const CampaignAnalyticsSchema = z.object({
  campaign: z.string(),
  period: z.object({ from: z.iso.datetime(), to: z.iso.datetime(), days: z.number().int().nullable() }),
  funnel: z.array(Stage).describe('reach → clicks → enrollments (started in the campaign’s drips) → conversions (goal events attributed to a drip email)'),
  revenue: Revenue,
  series: z.array(z.object({ id: z.uuid(), name: z.string(), posts: Count, impressions: Count, clicks: Count })),
  drips: z.array(z.object({ id: z.uuid(), name: z.string(), delivered: Count, clicked: Count, enrolled: Count, conversions: Count })),
})

const query = (name: string, description: string, schema: Record<string, unknown>) => ({ name, in: 'query', required: false, description, schema })

export const analyticsApi: OpenApiFragment = {
  tags: [{ name: 'analytics', description: 'Funnels, rates, conversions and daily activity' }],
  responses: { DripAnalytics: DripAnalyticsSchema, SeriesAnalytics: SeriesAnalyticsSchema, CampaignAnalytics: CampaignAnalyticsSchema },
  paths: {
    '/analytics/drips/{dripId}': {
      get: {
        operationId: 'getDripAnalytics',
        tags: ['analytics'],
        summary:
          "A drip's funnel, per-step rates, per-link clicks, conversions (goal events attributed to the last step sent within the drip's attribution window) and revenue for the enrollments started in the period, and its daily activity",
        parameters: [
          { name: 'dripId', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } },
          query('from', 'Start (ISO 8601 instant or UTC date); default: 30 days before `to`', { type: 'string' }),
          query('to', 'End, excluded (ISO 8601 instant or UTC date); default: now', { type: 'string' }),
          query('days', 'Instead of from/to: the last 7, 30 or 90 days', { type: 'integer', enum: [7, 30, 90] }),
        ],
        responses: { 200: jsonResponse("The drip's analytics", 'DripAnalytics'), ...errorResponses(400, 401, 404) },
      },
    },
    '/analytics/series/{seriesId}': {
      get: {
        operationId: 'getSeriesAnalytics',
        tags: ['analytics'],
        summary:
          "A series' posts published in the period with each network's metrics (read 1 h, 24 h and 7 d after publishing) and short-link clicks, totals per network, the best and worst posts, and engagement by posting weekday and hour",
        parameters: [
          { name: 'seriesId', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } },
          query('from', 'Start (ISO 8601 instant or UTC date); default: 30 days before `to`', { type: 'string' }),
          query('to', 'End, excluded (ISO 8601 instant or UTC date); default: now', { type: 'string' }),
          query('days', 'Instead of from/to: the last 7, 30 or 90 days', { type: 'integer', enum: [7, 30, 90] }),
          query('page', 'Which page of the posts to list (100 a page, by publishing time); default 1. Totals, networks, best, worst and the heat map count every post', { type: 'integer', minimum: 1 }),
        ],
        responses: { 200: jsonResponse("The series' analytics", 'SeriesAnalytics'), ...errorResponses(400, 401, 404) },
      },
    },
    '/analytics/campaigns/{campaign}': {
      get: {
        operationId: 'getCampaignAnalytics',
        tags: ['analytics'],
        summary:
          'One funnel across channels for the series and drips sharing a campaign tag: reach (post impressions + emails delivered) → clicks (short-link clicks + emails clicked) → enrollments → conversions, per channel and in total',
        parameters: [
          { name: 'campaign', in: 'path', required: true, description: 'The campaign tag (URL-encoded)', schema: { type: 'string' } },
          query('from', 'Start (ISO 8601 instant or UTC date); default: 30 days before `to`', { type: 'string' }),
          query('to', 'End, excluded (ISO 8601 instant or UTC date); default: now', { type: 'string' }),
          query('days', 'Instead of from/to: the last 7, 30 or 90 days', { type: 'integer', enum: [7, 30, 90] }),
        ],
        responses: { 200: jsonResponse("The campaign's funnel", 'CampaignAnalytics'), ...errorResponses(400, 401, 404) },
      },
    },
  },
}
