import { apiJson, apiRoute } from '~/utils/api.server'
import { loadSeriesAnalytics, parseAnalyticsPeriod } from '../core.server'

/** One series' analytics over `?from&to` (or `?days=7|30|90`), posts listed a page at a time (`?page`): the numbers of /app/series/{id}/analytics. */
export const { loader, action } = apiRoute({
  GET: async ({ request, params, services, auth }) => {
    const search = new URL(request.url).searchParams
    return apiJson(await loadSeriesAnalytics(services, { workspaceId: auth.workspaceId, seriesId: params.seriesId ?? '', period: parseAnalyticsPeriod(search, ['page']), page: search.get('page') || undefined }))
  },
})
