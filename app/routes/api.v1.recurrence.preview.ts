import { previewRecurrence } from '#domain/recurrence'
import { apiError, apiJson, apiRoute } from '~/utils/api.server'

export const { loader, action } = apiRoute({
  POST: {
    role: 'viewer',
    run: async ({ body }) => {
      const result = previewRecurrence(await body())
      if (!result.ok) {
        const [issue] = result.issues
        throw apiError(400, 'invalid_request', issue?.message ?? 'Invalid recurrence', issue?.field)
      }
      return apiJson(result.value)
    },
  },
})
