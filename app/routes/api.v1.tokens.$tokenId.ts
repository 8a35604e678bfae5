import { z } from 'zod'
import { apiJson, apiNotFound, apiRoute, type ApiCall } from '~/utils/api.server'
import { apiTokenJson } from '~/utils/openapi/workspace'
import { findVisibleApiToken, revokeVisibleApiToken } from '../core.server'

/** A token of the workspace that this member may see: their own, or any for an owner. Else 404. */
async function findVisibleToken({ services, auth, params }: ApiCall) {
  const tokenId = z.uuid().safeParse(params.tokenId)
  const token = tokenId.success ? await findVisibleApiToken(services, { workspaceId: auth.workspaceId, tokenId: tokenId.data, viewer: auth }) : null
  if (!token) throw apiNotFound('API token')
  return token
}

export const { loader, action } = apiRoute({
  GET: async (call) => apiJson(apiTokenJson(await findVisibleToken(call))),
  // Any member may revoke a token they can see (their own; an owner any).
  DELETE: {
    role: 'viewer',
    run: async (call) => {
      const token = await findVisibleToken(call)
      const revoked = await revokeVisibleApiToken(call.services, { workspaceId: call.auth.workspaceId, tokenId: token.id, viewer: call.auth })
      return apiJson(apiTokenJson(revoked!))
    },
  },
})
