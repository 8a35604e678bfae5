import { apiJson, jsonApi, requireApiAuth } from '~/utils/api.server'
import { apiTokenJson } from '~/utils/openapi/workspace'
import { listVisibleApiTokens } from '../core.server'

export const loader = jsonApi(async ({ request, context }) => {
  const auth = await requireApiAuth(request, context.services)
  const tokens = await listVisibleApiTokens(context.services, { workspaceId: auth.workspaceId, viewer: auth })
  return apiJson({ tokens: tokens.map(apiTokenJson) })
})
