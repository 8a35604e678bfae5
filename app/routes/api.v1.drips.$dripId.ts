import { z } from 'zod'
import { apiJson, apiMethods, jsonApi, parseJsonBody, requireApiAuth } from '~/utils/api.server'
import { deleteDrip, dripIdOf, getDrip, updateDrip } from '../core.server'

export const loader = jsonApi(async ({ request, context, params }) => {
  const { services } = context
  const auth = await requireApiAuth(request, services)
  return apiJson(await getDrip(services, { workspaceId: auth.workspaceId, dripId: dripIdOf(params) }))
})

export const action = apiMethods({
  PUT: async ({ request, context, params }) => {
    const { services } = context
    const auth = await requireApiAuth(request, services, { role: 'editor' })
    const dripId = dripIdOf(params)
    await getDrip(services, { workspaceId: auth.workspaceId, dripId }) // 404 before reading the body
    const input = await parseJsonBody(request, z.unknown())
    return apiJson(await updateDrip(services, { workspaceId: auth.workspaceId, dripId, input }))
  },
  DELETE: async ({ request, context, params }) => {
    const { services } = context
    const auth = await requireApiAuth(request, services, { role: 'editor' })
    await deleteDrip(services, { workspaceId: auth.workspaceId, dripId: dripIdOf(params) })
    return new Response(null, { status: 204 })
  },
})
