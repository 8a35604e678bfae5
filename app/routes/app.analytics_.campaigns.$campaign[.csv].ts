import type { LoaderFunctionArgs } from '@remix-run/node'
import { campaignCsv } from '#domain/campaign'
import { loadCampaignAnalyticsFor } from '~/utils/campaign-analytics.server'

/** The campaign funnel of the page's period as CSV: stage, social, email, total. */
export async function loader(args: LoaderFunctionArgs) {
  const a = await loadCampaignAnalyticsFor(args)
  const slug = a.campaign.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'campaign'
  return new Response(campaignCsv(a.funnel), {
    headers: {
      'Content-Type': 'text/csv; charset=utf-8',
      'Content-Disposition': `attachment; filename="campaign-${slug}-${a.period.from.slice(0, 10)}-${a.period.to.slice(0, 10)}.csv"`,
      'Cache-Control': 'no-store, private',
    },
  })
}
