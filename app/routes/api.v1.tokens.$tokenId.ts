import type { LoaderFunctionArgs } from '@remix-run/node'
import { z } from 'zod'
import { getApiToken, revokeApiToken } from '../../db/queries/tokens'
import { apiJson, apiMethods, apiNotFound, jsonApi, requireApiAuth, type ApiAuth } from '~/utils/api.server'
import { apiTokenJson } from '~/utils/openapi/workspace'

/** A token of the workspace that this member may see: their own, or any for an owner. Else 404. */
async function findVisibleToken({ context, params }: Pick<LoaderFunctionArgs, 'context' | 'params'>, auth: ApiAuth) {
  const tokenId = z.uuid().safeParse(params.tokenId)
  const token = tokenId.success ? await getApiToken(context.services.database.db, { workspaceId: auth.workspaceId, tokenId: tokenId.data }) : null
  if (!token || (auth.role !== 'owner' && token.userId !== auth.userId)) throw apiNotFound('API token')
  return token
}

export const loader = jsonApi(async (args) => {
  const auth = await requireApiAuth(args.request, args.context.services)
  return apiJson(apiTokenJson(await findVisibleToken(args, auth)))
})

export const action = apiMethods({
  DELETE: async (args) => {
    const { services } = args.context
    const auth = await requireApiAuth(args.request, services)
    const token = await findVisibleToken(args, auth)
    await revokeApiToken(services.database.db, { workspaceId: auth.workspaceId, tokenId: token.id, at: services.clock.now() })
    const revoked = await getApiToken(services.database.db, { workspaceId: auth.workspaceId, tokenId: token.id })
    return apiJson(apiTokenJson(revoked!))
  },
})
