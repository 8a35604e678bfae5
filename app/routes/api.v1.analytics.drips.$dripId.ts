import { apiJson, apiRoute } from '~/utils/api.server'
import { loadDripAnalytics, parseAnalyticsPeriod } from '../core.server'

/** One drip's analytics over `?from&to` (or `?days=7|30|90`): the numbers of /app/drips/{id}/analytics. */
export const { loader, action } = apiRoute({
  GET: async ({ request, params, services, auth }) =>
    apiJson(await loadDripAnalytics(services, { workspaceId: auth.workspaceId, dripId: params.dripId ?? '', period: parseAnalyticsPeriod(new URL(request.url).searchParams) })),
})
