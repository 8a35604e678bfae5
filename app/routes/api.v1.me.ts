import { apiJson, jsonApi, requireApiAuth } from '~/utils/api.server'
import { workspaceJson } from '~/utils/openapi/workspace'
import { loadUserAndWorkspace } from '../core.server'

export const loader = jsonApi(async ({ request, context }) => {
  const auth = await requireApiAuth(request, context.services)
  const { user, workspace } = await loadUserAndWorkspace(context.services, { userId: auth.userId, workspaceId: auth.workspaceId })
  return apiJson({
    user: { id: user!.id, email: user!.email, name: user!.name },
    workspace: workspaceJson(workspace!),
    role: auth.role,
    token: { id: auth.tokenId },
  })
})
