import { z } from 'zod'
import { apiJson, apiMethods, jsonApi, parseJsonBody, requireApiAuth } from '~/utils/api.server'
import { enrollContact, getDrip, dripIdOf, listDripEnrollments } from '../core.server'
import { enrollmentJson } from '~/utils/openapi/drips'

export const loader = jsonApi(async ({ request, context, params }) => {
  const { services } = context
  const auth = await requireApiAuth(request, services)
  const dripId = dripIdOf(params)
  await getDrip(services, { workspaceId: auth.workspaceId, dripId })
  const rows = await listDripEnrollments(services, { workspaceId: auth.workspaceId, dripId })
  return apiJson({ enrollments: rows.map(enrollmentJson) })
})

export const action = apiMethods({
  POST: async ({ request, context, params }) => {
    const { services } = context
    const auth = await requireApiAuth(request, services, { role: 'editor' })
    const dripId = dripIdOf(params)
    await getDrip(services, { workspaceId: auth.workspaceId, dripId })
    const input = await parseJsonBody(request, z.unknown())
    const result = await enrollContact(services, { workspaceId: auth.workspaceId, dripId, input: input as never, source: 'api' })
    return apiJson({ enrollment: enrollmentJson(result.enrollment), created: result.created }, { status: result.created ? 201 : 200 })
  },
})
