import { z } from 'zod'
import { getMember } from '../../db/queries/workspaces'
import { apiJson, apiNotFound, jsonApi, requireApiAuth } from '~/utils/api.server'
import { memberJson } from '~/utils/openapi/workspace'

export const loader = jsonApi(async ({ request, context, params }) => {
  const auth = await requireApiAuth(request, context.services)
  const membershipId = z.uuid().safeParse(params.membershipId)
  const member = membershipId.success
    ? await getMember(context.services.database.db, { workspaceId: auth.workspaceId, membershipId: membershipId.data })
    : null
  if (!member) throw apiNotFound('member')
  return apiJson(memberJson(member))
})
