import { apiJson, apiRoute } from '~/utils/api.server'
import { WorkspaceUpdateSchema, workspaceJson } from '~/utils/openapi/workspace'
import { loadWorkspace, updateWorkspaceSettings } from '../core.server'

export const { loader, action } = apiRoute({
  GET: async ({ services, auth }) => apiJson(workspaceJson((await loadWorkspace(services, { workspaceId: auth.workspaceId }))!)),
  PATCH: async ({ services, auth, body }) => {
    const input = await body(WorkspaceUpdateSchema)
    const workspace = await updateWorkspaceSettings(services, { workspaceId: auth.workspaceId, actorUserId: auth.userId, ...input })
    return apiJson(workspaceJson(workspace!))
  },
})
