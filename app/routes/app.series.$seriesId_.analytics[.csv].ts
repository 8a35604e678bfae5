import type { LoaderFunctionArgs } from '@remix-run/node'
import { postsCsv } from '#domain/series/analytics'
import { loadSeriesPostsFor } from '~/utils/series-analytics.server'

/** The posts of the page's period as CSV: one row per post and network with its metrics and clicks. */
export async function loader(args: LoaderFunctionArgs) {
  const a = await loadSeriesPostsFor(args)
  const slug = a.series.name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'series'
  return new Response(postsCsv(a.posts), {
    headers: {
      'Content-Type': 'text/csv; charset=utf-8',
      'Content-Disposition': `attachment; filename="${slug}-${a.period.from.slice(0, 10)}-${a.period.to.slice(0, 10)}.csv"`,
      'Cache-Control': 'no-store, private',
    },
  })
}
