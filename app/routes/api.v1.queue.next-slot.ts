import { apiJson, apiRoute } from '~/utils/api.server'
import { findNextQueueSlot } from '../core.server'

export const { loader, action } = apiRoute({
  GET: async ({ request, services, auth }) => {
    const query = new URL(request.url).searchParams
    const accountIds = (query.get('accountIds') ?? '').split(',').filter(Boolean)
    const input = { accountIds, timezone: query.get('timezone') ?? undefined, seriesId: query.get('seriesId') ?? undefined }
    return apiJson(await findNextQueueSlot(services, { workspaceId: auth.workspaceId, input }))
  },
})
