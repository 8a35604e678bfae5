import { apiJson, apiMethods, requireApiAuth } from '~/utils/api.server'
import { pauseDrip, dripIdOf } from '../core.server'

export const action = apiMethods({
  POST: async ({ request, context, params }) => {
    const { services } = context
    const auth = await requireApiAuth(request, services, { role: 'editor' })
    return apiJson(await pauseDrip(services, { workspaceId: auth.workspaceId, dripId: dripIdOf(params) }))
  },
})
