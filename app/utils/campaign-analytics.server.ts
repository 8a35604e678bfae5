import type { LoaderFunctionArgs } from '@remix-run/node'
import { InputError, loadCampaignAnalytics, parseAnalyticsPeriod } from '../core.server'
import { notFound, requireMembership } from './auth.server'

/**
 * The campaign funnel of the page and its CSV export: any member of the workspace; a tag no series or
 * drip of the workspace carries is a 404, a bad period a 400 naming the parameter.
 */
export async function loadCampaignAnalyticsFor({ request, params, context }: Pick<LoaderFunctionArgs, 'request' | 'params' | 'context'>) {
  const { services } = context
  const { workspace } = await requireMembership(request, services)
  try {
    const search = new URL(request.url).searchParams
    return await loadCampaignAnalytics(services, { workspaceId: workspace.id, campaign: params.campaign ?? '', period: parseAnalyticsPeriod(search) })
  } catch (error) {
    if (!(error instanceof InputError)) throw error
    if (error.status === 404) throw notFound('No such campaign')
    throw new Response(error.message, { status: 400, headers: { 'Content-Type': 'text/plain; charset=utf-8' } })
  }
}
