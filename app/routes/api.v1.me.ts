import { apiJson, apiRoute } from '~/utils/api.server'
import { workspaceJson } from '~/utils/openapi/workspace'
import { loadUserAndWorkspace } from '../core.server'

export const { loader, action } = apiRoute({
  GET: async ({ services, auth }) => {
    const { user, workspace } = await loadUserAndWorkspace(services, { userId: auth.userId, workspaceId: auth.workspaceId })
    return apiJson({
      user: { id: user!.id, email: user!.email, name: user!.name },
      workspace: workspaceJson(workspace!),
      role: auth.role,
      token: { id: auth.tokenId },
    })
  },
})
