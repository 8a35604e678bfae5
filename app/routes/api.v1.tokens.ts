import { apiJson, apiRoute } from '~/utils/api.server'
import { apiTokenJson } from '~/utils/openapi/workspace'
import { listVisibleApiTokens } from '../core.server'

export const { loader, action } = apiRoute({
  GET: async ({ services, auth }) => apiJson({ tokens: (await listVisibleApiTokens(services, { workspaceId: auth.workspaceId, viewer: auth })).map(apiTokenJson) }),
})
