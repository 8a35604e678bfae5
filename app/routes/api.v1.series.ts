import { apiJson, apiRoute } from '~/utils/api.server'
import { createSeries, describeSeriesRule, listSeriesSummaries, loadSeries, SeriesInputSchema } from '../core.server'

export const { loader, action } = apiRoute({
  GET: async ({ services, auth }) => {
    const series = await listSeriesSummaries(services, { workspaceId: auth.workspaceId })
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
  },
  POST: async ({ services, auth: { workspaceId, userId, role }, body }) => {
    const input = await body(SeriesInputSchema)
    // An editor's token creates a draft that an owner approves (POST /series/{id}/approve).
    const { seriesId } = await createSeries(services, { workspaceId, input, actor: { userId, role } })
    return apiJson(await loadSeries(services, { workspaceId, seriesId }), { status: 201 })
  },
})
