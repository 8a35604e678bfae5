import { z } from 'zod'
import { apiJson, apiMethods, jsonApi, parseJsonBody, requireApiAuth } from '~/utils/api.server'
import { createDrip, listDrips } from '../core.server'

export const loader = jsonApi(async ({ request, context }) => {
  const { services } = context
  const auth = await requireApiAuth(request, services)
  return apiJson({ drips: await listDrips(services, { workspaceId: auth.workspaceId }) })
})

export const action = apiMethods({
  POST: async ({ request, context }) => {
    const { services } = context
    const auth = await requireApiAuth(request, services, { role: 'editor' })
    const input = await parseJsonBody(request, z.unknown())
    return apiJson(await createDrip(services, { workspaceId: auth.workspaceId, input }), { status: 201 })
  },
})
