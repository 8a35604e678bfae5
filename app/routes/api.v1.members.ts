import { apiJson, jsonApi, requireApiAuth } from '~/utils/api.server'
import { memberJson } from '~/utils/openapi/workspace'
import { listWorkspaceMembers } from '../core.server'

export const loader = jsonApi(async ({ request, context }) => {
  const auth = await requireApiAuth(request, context.services)
  const members = await listWorkspaceMembers(context.services, { workspaceId: auth.workspaceId })
  return apiJson({ members: members.map(memberJson) })
})
