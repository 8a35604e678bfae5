import { listMembers } from '../../db/queries/workspaces'
import { apiJson, jsonApi, requireApiAuth } from '~/utils/api.server'
import { memberJson } from '~/utils/openapi/workspace'

export const loader = jsonApi(async ({ request, context }) => {
  const auth = await requireApiAuth(request, context.services)
  const members = await listMembers(context.services.database.db, { workspaceId: auth.workspaceId })
  return apiJson({ members: members.map(memberJson) })
})
