import { apiJson, apiRoute } from '~/utils/api.server'
import { deleteSegment, getSegment, segmentIdOf, updateSegment } from '../core.server'

export const { loader, action } = apiRoute({
  GET: async ({ services, auth, params }) => apiJson(await getSegment(services, { workspaceId: auth.workspaceId, segmentId: segmentIdOf(params) })),
  PATCH: async ({ services, auth, params, body }) => {
    const segmentId = segmentIdOf(params)
    await getSegment(services, { workspaceId: auth.workspaceId, segmentId }) // 404 before reading the body
    return apiJson(await updateSegment(services, { workspaceId: auth.workspaceId, segmentId, input: await body() }))
  },
  DELETE: async ({ services, auth, params }) => {
    await deleteSegment(services, { workspaceId: auth.workspaceId, segmentId: segmentIdOf(params) })
    return new Response(null, { status: 204 })
  },
})
