import { z } from 'zod'
import { apiJson, apiNotFound, apiRoute } from './api.server'
import { approveSeries, loadSeries, requestChanges, RequestChangesSchema, submitForApproval } from '../core.server'

/**
 * The approval endpoints of the API (POST /series/{id}/submit, /approve, /request-changes): the same
 * server functions and role checks as the editor (docs/decisions/012-series-approval-threads-import.md).
 */
export function approvalEndpoint(kind: 'submit' | 'approve' | 'request-changes') {
  return apiRoute({
    POST: async ({ services, auth, params, body }) => {
      const seriesId = params.seriesId
      if (!seriesId || !z.uuid().safeParse(seriesId).success || !(await loadSeries(services, { workspaceId: auth.workspaceId, seriesId }))) throw apiNotFound('series')
      const ref = { workspaceId: auth.workspaceId, seriesId, actor: { userId: auth.userId, role: auth.role } }
      if (kind === 'submit') await submitForApproval(services, ref)
      else if (kind === 'approve') await approveSeries(services, ref)
      else await requestChanges(services, { ...ref, comment: (await body(RequestChangesSchema)).comment })
      return apiJson(await loadSeries(services, { workspaceId: auth.workspaceId, seriesId }))
    },
  }).action
}
