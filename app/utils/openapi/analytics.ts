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

const query = (name: string, description: string, schema: Record<string, unknown>) => ({ name, in: 'query', required: false, description, schema })

export const analyticsApi: OpenApiFragment = {
  tags: [{ name: 'analytics', description: 'Funnels, rates, conversions and daily activity' }],
  responses: { DripAnalytics: DripAnalyticsSchema },
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
  },
}
