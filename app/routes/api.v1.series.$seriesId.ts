import { z } from 'zod'
import { apiJson, apiMethods, apiNotFound, jsonApi, parseJsonBody, requireApiAuth } from '~/utils/api.server'
import { deleteSeries, loadSeries, SeriesInputSchema, updateSeries, type Services } from '../core.server'

async function find(services: Services, workspaceId: string, seriesId: string | undefined) {
  if (!seriesId || !z.uuid().safeParse(seriesId).success) throw apiNotFound('series')
  const series = await loadSeries(services, { workspaceId, seriesId })
  if (!series) throw apiNotFound('series')
  return series
}

export const loader = jsonApi(async ({ request, params, context }) => {
  const { workspaceId } = await requireApiAuth(request, context.services)
  return apiJson(await find(context.services, workspaceId, params.seriesId))
})

export const action = apiMethods({
  PUT: async ({ request, params, context }) => {
    const { services } = context
    const { workspaceId, userId, role } = await requireApiAuth(request, services, { role: 'editor' })
    const { id } = await find(services, workspaceId, params.seriesId)
    const input = await parseJsonBody(request, SeriesInputSchema)
    await updateSeries(services, { workspaceId, seriesId: id, input, actor: { userId, role } })
    return apiJson(await loadSeries(services, { workspaceId, seriesId: id }))
  },
  DELETE: async ({ request, params, context }) => {
    const { services } = context
    const { workspaceId } = await requireApiAuth(request, services, { role: 'editor' })
    const { id } = await find(services, workspaceId, params.seriesId)
    await deleteSeries(services, { workspaceId, seriesId: id })
    return new Response(null, { status: 204 })
  },
})
