import { apiJson, apiMethods, jsonApi, parseJsonBody, requireApiAuth } from '~/utils/api.server'
import { createSeries, describeSeriesRule, listSeriesSummaries, loadSeries, SeriesInputSchema } from '../core.server'

export const loader = jsonApi(async ({ request, context }) => {
  const { workspaceId } = await requireApiAuth(request, context.services)
  const series = await listSeriesSummaries(context.services, { workspaceId })
  return apiJson({
    series: series.map((s) => ({
      id: s.id,
      name: s.name,
      status: s.status,
      approval: s.approval,
      rule: s.rule,
      start: s.start,
      timezone: s.timezone,
      text: describeSeriesRule(s, Math.max(1, s.steps)),
      posts: s.steps,
      nextDueAt: s.nextDueAt?.toISOString() ?? null,
    })),
  })
})

export const action = apiMethods({
  POST: async ({ request, context }) => {
    const { services } = context
    const { workspaceId, userId, role } = await requireApiAuth(request, services, { role: 'editor' })
    const input = await parseJsonBody(request, SeriesInputSchema)
    // An editor's token creates a draft that an owner approves (POST /series/{id}/approve).
    const { seriesId } = await createSeries(services, { workspaceId, input, actor: { userId, role } })
    return apiJson(await loadSeries(services, { workspaceId, seriesId }), { status: 201 })
  },
})
