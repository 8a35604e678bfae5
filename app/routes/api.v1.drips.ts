import { apiJson, apiRoute } from '~/utils/api.server'
import { createDrip, listDrips } from '../core.server'

export const { loader, action } = apiRoute({
  GET: async ({ services, auth }) => apiJson({ drips: await listDrips(services, { workspaceId: auth.workspaceId }) }),
  POST: async ({ services, auth, body }) => apiJson(await createDrip(services, { workspaceId: auth.workspaceId, input: await body() }), { status: 201 }),
})
