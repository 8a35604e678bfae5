import { apiJson, apiRoute } from '~/utils/api.server'
import { memberJson } from '~/utils/openapi/workspace'
import { listWorkspaceMembers } from '../core.server'

export const { loader, action } = apiRoute({
  GET: async ({ services, auth }) => apiJson({ members: (await listWorkspaceMembers(services, { workspaceId: auth.workspaceId })).map(memberJson) }),
})
