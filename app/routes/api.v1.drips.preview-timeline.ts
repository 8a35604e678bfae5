import { apiJson, apiRoute } from '~/utils/api.server'
import { previewDripTimeline } from '../core.server'

/** When each step of an unsaved drip would be sent to a contact enrolling now (any member may preview: it writes nothing). */
export const { loader, action } = apiRoute({
  POST: { role: 'viewer', run: async ({ services, auth, body }) => apiJson(await previewDripTimeline(services, { workspaceId: auth.workspaceId, input: await body() })) },
})
