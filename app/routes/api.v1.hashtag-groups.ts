import { apiJson, apiRoute } from '~/utils/api.server'
import { createHashtagGroup, listWorkspaceHashtagGroups } from '../core.server'

export const { loader, action } = apiRoute({
  GET: async ({ services, auth }) => apiJson({ groups: await listWorkspaceHashtagGroups(services, { workspaceId: auth.workspaceId }) }),
  POST: async ({ services, auth, body }) => apiJson(await createHashtagGroup(services, { workspaceId: auth.workspaceId, input: await body() }), { status: 201 }),
})
