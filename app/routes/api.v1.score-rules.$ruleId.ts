import { z } from 'zod'
import { apiJson, apiMethods, jsonApi, parseJsonBody, requireApiAuth } from '~/utils/api.server'
import { getScoreRule, removeScoreRule, replaceScoreRule, scoreRuleIdOf } from '../core.server'

export const loader = jsonApi(async ({ request, context, params }) => {
  const { services } = context
  const auth = await requireApiAuth(request, services)
  return apiJson(await getScoreRule(services, { workspaceId: auth.workspaceId, ruleId: scoreRuleIdOf(params) }))
})

export const action = apiMethods({
  PUT: async ({ request, context, params }) => {
    const { services } = context
    const auth = await requireApiAuth(request, services, { role: 'editor' })
    const ruleId = scoreRuleIdOf(params)
    await getScoreRule(services, { workspaceId: auth.workspaceId, ruleId }) // 404 before reading the body
    const input = await parseJsonBody(request, z.unknown())
    return apiJson(await replaceScoreRule(services, { workspaceId: auth.workspaceId, actorUserId: auth.userId, ruleId, input }))
  },
  DELETE: async ({ request, context, params }) => {
    const { services } = context
    const auth = await requireApiAuth(request, services, { role: 'editor' })
    await removeScoreRule(services, { workspaceId: auth.workspaceId, actorUserId: auth.userId, ruleId: scoreRuleIdOf(params) })
    return new Response(null, { status: 204 })
  },
})
