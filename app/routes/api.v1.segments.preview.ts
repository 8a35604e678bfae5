import { z } from 'zod'
import { apiJson, apiMethods, parseJsonBody, requireApiAuth } from '~/utils/api.server'
import { previewSegment } from '../core.server'

/** How many contacts an unsaved rule matches, with a sample (any member may preview: it writes nothing). */
export const action = apiMethods({
  POST: async ({ request, context }) => {
    const { services } = context
    const auth = await requireApiAuth(request, services)
    const input = await parseJsonBody(request, z.unknown())
    return apiJson(await previewSegment(services, { workspaceId: auth.workspaceId, input }))
  },
})
