import { z } from 'zod'
import { apiJson, apiMethods, jsonApi, parseJsonBody, requireApiAuth } from '~/utils/api.server'
import { deleteSegment, getSegment, segmentIdOf, updateSegment } from '../core.server'

export const loader = jsonApi(async ({ request, context, params }) => {
  const { services } = context
  const auth = await requireApiAuth(request, services)
  return apiJson(await getSegment(services, { workspaceId: auth.workspaceId, segmentId: segmentIdOf(params) }))
})

export const action = apiMethods({
  PATCH: async ({ request, context, params }) => {
    const { services } = context
    const auth = await requireApiAuth(request, services, { role: 'editor' })
    const segmentId = segmentIdOf(params)
    await getSegment(services, { workspaceId: auth.workspaceId, segmentId }) // 404 before reading the body
    const input = await parseJsonBody(request, z.unknown())
    return apiJson(await updateSegment(services, { workspaceId: auth.workspaceId, segmentId, input }))
  },
  DELETE: async ({ request, context, params }) => {
    const { services } = context
    const auth = await requireApiAuth(request, services, { role: 'editor' })
    await deleteSegment(services, { workspaceId: auth.workspaceId, segmentId: segmentIdOf(params) })
    return new Response(null, { status: 204 })
  },
})
