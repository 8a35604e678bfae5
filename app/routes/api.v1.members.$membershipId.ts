import { z } from 'zod'
import { apiJson, apiNotFound, jsonApi, requireApiAuth } from '~/utils/api.server'
import { memberJson } from '~/utils/openapi/workspace'
import { findWorkspaceMember } from '../core.server'

export const loader = jsonApi(async ({ request, context, params }) => {
  const auth = await requireApiAuth(request, context.services)
  const membershipId = z.uuid().safeParse(params.membershipId)
  const member = membershipId.success
    ? await findWorkspaceMember(context.services, { workspaceId: auth.workspaceId, membershipId: membershipId.data })
    : null
  if (!member) throw apiNotFound('member')
  return apiJson(memberJson(member))
})
