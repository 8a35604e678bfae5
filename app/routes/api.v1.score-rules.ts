import { z } from 'zod'
import { apiJson, apiMethods, jsonApi, parseJsonBody, requireApiAuth } from '~/utils/api.server'
import { createScoreRule, listScoreRules } from '../core.server'

export const loader = jsonApi(async ({ request, context }) => {
  const { services } = context
  const auth = await requireApiAuth(request, services)
  return apiJson({ rules: await listScoreRules(services, { workspaceId: auth.workspaceId }) })
})

export const action = apiMethods({
  POST: async ({ request, context }) => {
    const { services } = context
    const auth = await requireApiAuth(request, services, { role: 'editor' })
    const input = await parseJsonBody(request, z.unknown())
    return apiJson(await createScoreRule(services, { workspaceId: auth.workspaceId, actorUserId: auth.userId, input }), { status: 201 })
  },
})
