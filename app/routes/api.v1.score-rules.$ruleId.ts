import { apiJson, apiRoute } from '~/utils/api.server'
import { getScoreRule, removeScoreRule, replaceScoreRule, scoreRuleIdOf } from '../core.server'

export const { loader, action } = apiRoute({
  GET: async ({ services, auth, params }) => apiJson(await getScoreRule(services, { workspaceId: auth.workspaceId, ruleId: scoreRuleIdOf(params) })),
  PUT: async ({ services, auth, params, body }) => {
    const ruleId = scoreRuleIdOf(params)
    await getScoreRule(services, { workspaceId: auth.workspaceId, ruleId }) // 404 before reading the body
    return apiJson(await replaceScoreRule(services, { workspaceId: auth.workspaceId, actorUserId: auth.userId, ruleId, input: await body() }))
  },
  DELETE: async ({ services, auth, params }) => {
    await removeScoreRule(services, { workspaceId: auth.workspaceId, actorUserId: auth.userId, ruleId: scoreRuleIdOf(params) })
    return new Response(null, { status: 204 })
  },
})
