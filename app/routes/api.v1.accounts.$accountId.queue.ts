import { apiJson, apiRoute } from '~/utils/api.server'
import { getPostingSchedule, savePostingSchedule } from '../core.server'

export const { loader, action } = apiRoute({
  GET: async ({ services, auth, params }) => apiJson(await getPostingSchedule(services, { workspaceId: auth.workspaceId, accountId: params.accountId })),
  PUT: async ({ services, auth, params, body }) => {
    await getPostingSchedule(services, { workspaceId: auth.workspaceId, accountId: params.accountId }) // 404 before reading the body
    return apiJson(await savePostingSchedule(services, { workspaceId: auth.workspaceId, accountId: params.accountId, input: await body() }))
  },
})
