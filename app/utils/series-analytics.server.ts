import type { LoaderFunctionArgs } from '@remix-run/node'
import { InputError, loadSeriesAnalytics, parseAnalyticsPeriod } from '../core.server'
import { notFound, requireMembership } from './auth.server'

/**
 * The series analytics of the page and its CSV export: any member of the workspace; an unknown series (or
 * another workspace's) is a 404, a bad period a 400 naming the parameter.
 */
export async function loadSeriesAnalyticsFor({ request, params, context }: Pick<LoaderFunctionArgs, 'request' | 'params' | 'context'>) {
  const { services } = context
  const { workspace } = await requireMembership(request, services)
  try {
    const search = new URL(request.url).searchParams
    return await loadSeriesAnalytics(services, { workspaceId: workspace.id, seriesId: params.seriesId ?? '', period: parseAnalyticsPeriod(search) })
  } catch (error) {
    if (!(error instanceof InputError)) throw error
    if (error.status === 404) throw notFound('No such series')
    throw new Response(error.message, { status: 400, headers: { 'Content-Type': 'text/plain; charset=utf-8' } })
  }
}
