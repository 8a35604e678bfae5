import type { LoaderFunctionArgs } from '@remix-run/node'
import { z } from 'zod'
import { apiJson, apiMethods, apiNotFound, jsonApi, requireApiAuth, type ApiAuth } from '~/utils/api.server'
import { apiTokenJson } from '~/utils/openapi/workspace'
import { findVisibleApiToken, revokeVisibleApiToken } from '../core.server'

/** A token of the workspace that this member may see: their own, or any for an owner. Else 404. */
async function findVisibleToken({ context, params }: Pick<LoaderFunctionArgs, 'context' | 'params'>, auth: ApiAuth) {
  const tokenId = z.uuid().safeParse(params.tokenId)
  const token = tokenId.success ? await findVisibleApiToken(context.services, { workspaceId: auth.workspaceId, tokenId: tokenId.data, viewer: auth }) : null
  if (!token) throw apiNotFound('API token')
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
    const revoked = await revokeVisibleApiToken(services, { workspaceId: auth.workspaceId, tokenId: token.id, viewer: auth })
    return apiJson(apiTokenJson(revoked!))
  },
})
