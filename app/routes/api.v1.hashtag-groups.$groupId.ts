import { apiRoute } from '~/utils/api.server'
import { removeHashtagGroup } from '../core.server'

export const { loader, action } = apiRoute({
  DELETE: async ({ services, auth, params }) => {
    await removeHashtagGroup(services, { workspaceId: auth.workspaceId, groupId: params.groupId })
    return new Response(null, { status: 204 })
  },
})
