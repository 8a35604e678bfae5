import { listApiTokens } from '../../db/queries/tokens'
import { apiJson, jsonApi, requireApiAuth } from '~/utils/api.server'
import { apiTokenJson } from '~/utils/openapi/workspace'

export const loader = jsonApi(async ({ request, context }) => {
  const auth = await requireApiAuth(request, context.services)
  const tokens = await listApiTokens(context.services.database.db, {
    workspaceId: auth.workspaceId,
    userId: auth.role === 'owner' ? undefined : auth.userId,
  })
  return apiJson({ tokens: tokens.map(apiTokenJson) })
})
