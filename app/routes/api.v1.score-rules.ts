import { apiJson, apiRoute } from '~/utils/api.server'
import { createScoreRule, listScoreRules } from '../core.server'

export const { loader, action } = apiRoute({
  GET: async ({ services, auth }) => apiJson({ rules: await listScoreRules(services, { workspaceId: auth.workspaceId }) }),
  POST: async ({ services, auth, body }) =>
    apiJson(await createScoreRule(services, { workspaceId: auth.workspaceId, actorUserId: auth.userId, input: await body() }), { status: 201 }),
})
