import { z } from 'zod'
import { apiJson, apiNotFound, apiRoute } from '~/utils/api.server'
import { deleteSeries, loadSeries, SeriesInputSchema, updateSeries, type Services } from '../core.server'

async function find(services: Services, workspaceId: string, seriesId: string | undefined) {
  if (!seriesId || !z.uuid().safeParse(seriesId).success) throw apiNotFound('series')
  const series = await loadSeries(services, { workspaceId, seriesId })
  if (!series) throw apiNotFound('series')
  return series
}

export const { loader, action } = apiRoute({
  GET: async ({ services, auth, params }) => apiJson(await find(services, auth.workspaceId, params.seriesId)),
  PUT: async ({ services, auth: { workspaceId, userId, role }, params, body }) => {
    const { id } = await find(services, workspaceId, params.seriesId)
    const input = await body(SeriesInputSchema)
    await updateSeries(services, { workspaceId, seriesId: id, input, actor: { userId, role } })
    return apiJson(await loadSeries(services, { workspaceId, seriesId: id }))
  },
  DELETE: async ({ services, auth: { workspaceId }, params }) => {
    const { id } = await find(services, workspaceId, params.seriesId)
    await deleteSeries(services, { workspaceId, seriesId: id })
    return new Response(null, { status: 204 })
  },
})
