/**
 * A campaign across channels (docs/decisions/094-drip-analytics-roll-ups.md), pure: the tag a series and
 * a drip share, and the funnel reach → clicks → enrollments → conversions built from their numbers.
 */
import { z } from 'zod'
import { isStorableText } from './email/contact'
import { toCsv } from './email/csv'

/** A campaign tag: up to 80 characters without control characters; empty or null = none (`campaignTag`). */
export const CampaignSchema = z
  .string({ error: 'campaign: a short name, or null for none' })
  .trim()
  .max(80, { error: 'campaign: at most 80 characters' })
  // eslint-disable-next-line no-control-regex
  .refine((s) => isStorableText(s) && !/[\u0000-\u001f\u007f]/.test(s), { error: 'campaign: must not contain control characters' })
  .nullable()

/** The tag to store: null for none (absent stays absent: an update without it keeps the stored one). */
export function campaignTag<T extends string | null | undefined>(value: T): T extends undefined ? undefined : string | null {
  return (value === undefined ? undefined : value || null) as T extends undefined ? undefined : string | null
}

export type ChannelNumbers = { reach: number; clicks: number }
export type CampaignStage = { key: 'reach' | 'clicks' | 'enrollments' | 'conversions'; label: string; social: number | null; email: number | null; total: number; /** of reach */ rate: number; /** of the stage before */ stepRate: number }

const ratio = (part: number, whole: number) => (whole > 0 ? part / whole : 0)

/**
 * The stages: reach and clicks per channel (social: impressions and short-link clicks of the posts;
 * email: emails delivered and messages clicked), then the campaign's enrollments and conversions.
 */
export function campaignFunnel(args: { social: ChannelNumbers; email: ChannelNumbers; enrollments: number; conversions: number }): CampaignStage[] {
  const stages: Array<Omit<CampaignStage, 'rate' | 'stepRate'>> = [
    { key: 'reach', label: 'Reach', social: args.social.reach, email: args.email.reach, total: args.social.reach + args.email.reach },
    { key: 'clicks', label: 'Clicks', social: args.social.clicks, email: args.email.clicks, total: args.social.clicks + args.email.clicks },
    { key: 'enrollments', label: 'Enrollments', social: null, email: null, total: args.enrollments },
    { key: 'conversions', label: 'Conversions', social: null, email: null, total: args.conversions },
  ]
  return stages.map((s, i) => ({ ...s, rate: ratio(s.total, stages[0]!.total), stepRate: i === 0 ? 1 : ratio(s.total, stages[i - 1]!.total) }))
}

/** The funnel as CSV (RFC 4180, header row); a channel that has no part in a stage is empty. */
export function campaignCsv(stages: CampaignStage[]): string {
  const cell = (n: number | null) => (n === null ? '' : String(n))
  return toCsv([['stage', 'social', 'email', 'total'], ...stages.map((s) => [s.key, cell(s.social), cell(s.email), String(s.total)])])
}
