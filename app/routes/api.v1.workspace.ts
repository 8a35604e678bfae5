import { getWorkspace, updateWorkspace } from '../../db/queries/workspaces'
import { apiJson, apiMethods, jsonApi, parseJsonBody, requireApiAuth } from '~/utils/api.server'
import { WorkspaceUpdateSchema, workspaceJson } from '~/utils/openapi/workspace'

export const loader = jsonApi(async ({ request, context }) => {
  const auth = await requireApiAuth(request, context.services)
  const workspace = await getWorkspace(context.services.database.db, { workspaceId: auth.workspaceId })
  return apiJson(workspaceJson(workspace!))
})

export const action = apiMethods({
  PATCH: async ({ request, context }) => {
    const auth = await requireApiAuth(request, context.services, { role: 'editor' })
    const input = await parseJsonBody(request, WorkspaceUpdateSchema)
    const workspace = await updateWorkspace(context.services.database.db, { workspaceId: auth.workspaceId, ...input })
    return apiJson(workspaceJson(workspace!))
  },
})
