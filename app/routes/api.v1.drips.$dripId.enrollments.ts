import { apiJson, apiRoute } from '~/utils/api.server'
import { enrollContact, getDrip, dripIdOf, listDripEnrollments } from '../core.server'
import { enrollmentJson } from '~/utils/openapi/drips'

export const { loader, action } = apiRoute({
  GET: async ({ services, auth, params }) => {
    const dripId = dripIdOf(params)
    await getDrip(services, { workspaceId: auth.workspaceId, dripId })
    const rows = await listDripEnrollments(services, { workspaceId: auth.workspaceId, dripId })
    return apiJson({ enrollments: rows.map(enrollmentJson) })
  },
  POST: async ({ services, auth, params, body }) => {
    const dripId = dripIdOf(params)
    await getDrip(services, { workspaceId: auth.workspaceId, dripId })
    const input = await body()
    const result = await enrollContact(services, { workspaceId: auth.workspaceId, dripId, input: input as never, source: 'api' })
    return apiJson({ enrollment: enrollmentJson(result.enrollment), created: result.created }, { status: result.created ? 201 : 200 })
  },
})
