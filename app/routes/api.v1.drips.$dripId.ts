import { apiJson, apiRoute } from '~/utils/api.server'
import { deleteDrip, dripIdOf, getDrip, updateDrip } from '../core.server'

export const { loader, action } = apiRoute({
  GET: async ({ services, auth, params }) => apiJson(await getDrip(services, { workspaceId: auth.workspaceId, dripId: dripIdOf(params) })),
  PUT: async ({ services, auth, params, body }) => {
    const dripId = dripIdOf(params)
    await getDrip(services, { workspaceId: auth.workspaceId, dripId }) // 404 before reading the body
    return apiJson(await updateDrip(services, { workspaceId: auth.workspaceId, dripId, input: await body() }))
  },
  DELETE: async ({ services, auth, params }) => {
    await deleteDrip(services, { workspaceId: auth.workspaceId, dripId: dripIdOf(params) })
    return new Response(null, { status: 204 })
  },
})
