import { apiJson, apiRoute } from '~/utils/api.server'
import { activateDrip, dripIdOf } from '../core.server'

export const { loader, action } = apiRoute({
  POST: async ({ services, auth, params }) => apiJson(await activateDrip(services, { workspaceId: auth.workspaceId, dripId: dripIdOf(params) })),
})
