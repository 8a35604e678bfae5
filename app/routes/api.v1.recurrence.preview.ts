import { z } from 'zod'
import { previewRecurrence } from '#domain/recurrence'
import { apiError, apiJson, apiMethods, parseJsonBody, requireApiAuth } from '~/utils/api.server'

export const action = apiMethods({
  POST: async ({ request, context }) => {
    await requireApiAuth(request, context.services)
    const result = previewRecurrence(await parseJsonBody(request, z.unknown()))
    if (!result.ok) {
      const [issue] = result.issues
      throw apiError(400, 'invalid_request', issue?.message ?? 'Invalid recurrence', issue?.field)
    }
    return apiJson(result.value)
  },
})
