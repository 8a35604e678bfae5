import type { LoaderFunctionArgs } from '@remix-run/node'
import { readHealth } from '~/utils/health.server'

export async function loader({ context }: LoaderFunctionArgs) {
  const health = await readHealth(context.services)
  return Response.json(health, { status: health.ok ? 200 : 503, headers: { 'Cache-Control': 'no-store' } })
}
