import { z } from 'zod'
import { apiJson, apiNotFound, apiRoute } from '~/utils/api.server'
import { memberJson } from '~/utils/openapi/workspace'
import { findWorkspaceMember } from '../core.server'

export const { loader, action } = apiRoute({
  GET: async ({ services, auth, params }) => {
    const membershipId = z.uuid().safeParse(params.membershipId)
    const member = membershipId.success ? await findWorkspaceMember(services, { workspaceId: auth.workspaceId, membershipId: membershipId.data }) : null
    if (!member) throw apiNotFound('member')
    return apiJson(memberJson(member))
  },
})
