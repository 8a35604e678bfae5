import type { LoaderFunctionArgs } from '@remix-run/node'
import { InputError, loadDripAnalytics, parseAnalyticsPeriod } from '../core.server'
import { notFound, requireMembership } from './auth.server'

/**
 * The drip analytics of the page and its CSV export: any member of the workspace; an unknown drip (or
 * another workspace's) is a 404, a bad period a 400 naming the parameter.
 */
export async function loadDripAnalyticsFor({ request, params, context }: Pick<LoaderFunctionArgs, 'request' | 'params' | 'context'>) {
  const { services } = context
  const { workspace } = await requireMembership(request, services)
  try {
    const search = new URL(request.url).searchParams
    return await loadDripAnalytics(services, { workspaceId: workspace.id, dripId: params.dripId ?? '', period: parseAnalyticsPeriod(search) })
  } catch (error) {
    if (!(error instanceof InputError)) throw error
    if (error.status === 404) throw notFound('No such drip')
    throw new Response(error.message, { status: 400, headers: { 'Content-Type': 'text/plain; charset=utf-8' } })
  }
}
