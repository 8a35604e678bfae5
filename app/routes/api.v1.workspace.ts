import { apiJson, apiMethods, jsonApi, parseJsonBody, requireApiAuth } from '~/utils/api.server'
import { WorkspaceUpdateSchema, workspaceJson } from '~/utils/openapi/workspace'
import { loadWorkspace, updateWorkspaceSettings } from '../core.server'

export const loader = jsonApi(async ({ request, context }) => {
  const auth = await requireApiAuth(request, context.services)
  const workspace = await loadWorkspace(context.services, { workspaceId: auth.workspaceId })
  return apiJson(workspaceJson(workspace!))
})

export const action = apiMethods({
  PATCH: async ({ request, context }) => {
    const auth = await requireApiAuth(request, context.services, { role: 'editor' })
    const input = await parseJsonBody(request, WorkspaceUpdateSchema)
    const workspace = await updateWorkspaceSettings(context.services, { workspaceId: auth.workspaceId, actorUserId: auth.userId, ...input })
    return apiJson(workspaceJson(workspace!))
  },
})
