import { apiJson, apiRoute } from '~/utils/api.server'
import { pauseDrip, dripIdOf } from '../core.server'

export const { loader, action } = apiRoute({
  POST: async ({ services, auth, params }) => apiJson(await pauseDrip(services, { workspaceId: auth.workspaceId, dripId: dripIdOf(params) })),
})
