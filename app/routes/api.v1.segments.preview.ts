import { apiJson, apiRoute } from '~/utils/api.server'
import { previewSegment } from '../core.server'

/** How many contacts an unsaved rule matches, with a sample (any member may preview: it writes nothing). */
export const { loader, action } = apiRoute({
  POST: { role: 'viewer', run: async ({ services, auth, body }) => apiJson(await previewSegment(services, { workspaceId: auth.workspaceId, input: await body() })) },
})
