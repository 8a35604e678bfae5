import { apiJson, apiRoute } from '~/utils/api.server'
import { getBestTimes } from '../core.server'

export const { loader, action } = apiRoute({
  GET: async ({ services, auth, params }) => apiJson(await getBestTimes(services, { workspaceId: auth.workspaceId, accountId: params.accountId })),
})
