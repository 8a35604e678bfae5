import { getUserById } from '../../db/queries/users'
import { getWorkspace } from '../../db/queries/workspaces'
import { apiJson, jsonApi, requireApiAuth } from '~/utils/api.server'
import { workspaceJson } from '~/utils/openapi/workspace'

export const loader = jsonApi(async ({ request, context }) => {
  const auth = await requireApiAuth(request, context.services)
  const db = context.services.database.db
  const [user, workspace] = await Promise.all([getUserById(db, { userId: auth.userId }), getWorkspace(db, { workspaceId: auth.workspaceId })])
  return apiJson({
    user: { id: user!.id, email: user!.email, name: user!.name },
    workspace: workspaceJson(workspace!),
    role: auth.role,
    token: { id: auth.tokenId },
  })
})
