import { apiJson, apiRoute } from '~/utils/api.server'
import { loadCampaignAnalytics, parseAnalyticsPeriod } from '../core.server'

/** One campaign's funnel across channels over `?from&to` (or `?days=7|30|90`): the numbers of /app/analytics/campaigns/{campaign}. */
export const { loader, action } = apiRoute({
  GET: async ({ request, params, services, auth }) =>
    apiJson(await loadCampaignAnalytics(services, { workspaceId: auth.workspaceId, campaign: params.campaign ?? '', period: parseAnalyticsPeriod(new URL(request.url).searchParams) })),
})
