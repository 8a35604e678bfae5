import type { LoaderFunctionArgs } from '@remix-run/node'
import { readMetrics } from '~/core.server'

/** Prometheus scrape endpoint: exists only with METRICS_TOKEN set, and answers only its bearer token. */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const metrics = await readMetrics(context.services, request.headers.get('Authorization'))
  if (metrics.status === 404) return new Response('Not found', { status: 404 })
  if (metrics.status !== 200) return new Response('Send Authorization: Bearer <METRICS_TOKEN>', { status: 401, headers: { 'WWW-Authenticate': 'Bearer' } })
  return new Response(metrics.body, { headers: { 'Content-Type': metrics.contentType, 'Cache-Control': 'no-store' } })
}
