import { apiJson, apiRoute } from '~/utils/api.server'
import { createSegment, listSegments } from '../core.server'

export const { loader, action } = apiRoute({
  GET: async ({ services, auth }) => apiJson({ segments: await listSegments(services, { workspaceId: auth.workspaceId }) }),
  POST: async ({ services, auth, body }) => apiJson(await createSegment(services, { workspaceId: auth.workspaceId, input: await body() }), { status: 201 }),
})
