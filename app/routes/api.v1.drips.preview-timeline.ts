import { z } from 'zod'
import { apiJson, apiMethods, parseJsonBody, requireApiAuth } from '~/utils/api.server'
import { previewDripTimeline } from '../core.server'

export const action = apiMethods({
  POST: async ({ request, context }) => {
    const { services } = context
    const auth = await requireApiAuth(request, services)
    return apiJson(await previewDripTimeline(services, { workspaceId: auth.workspaceId, input: await parseJsonBody(request, z.unknown()) }))
  },
})
