import type { LoaderFunctionArgs } from '@remix-run/node'
import { dailyCsv } from '#domain/drip/analytics'
import { loadDripAnalyticsFor } from '~/utils/drip-analytics.server'

/** The daily activity of the page's period as CSV: date, sends, opens, clicks, conversions. */
export async function loader(args: LoaderFunctionArgs) {
  const a = await loadDripAnalyticsFor(args)
  const slug = a.drip.name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'drip'
  return new Response(dailyCsv(a.daily), {
    headers: {
      'Content-Type': 'text/csv; charset=utf-8',
      'Content-Disposition': `attachment; filename="${slug}-${a.daily[0]?.day ?? a.period.from.slice(0, 10)}-${a.daily.at(-1)?.day ?? a.period.to.slice(0, 10)}.csv"`,
      'Cache-Control': 'no-store, private',
    },
  })
}
