import type { LoaderFunctionArgs } from '@remix-run/node'
import { requireMembership } from '~/utils/auth.server'
import { toCsv } from '#domain/email/csv'
import { decayedScore, displayScore } from '#domain/email/score'
import { exportContacts } from '../core.server'

/** Every contact of the workspace as CSV (the import's columns plus status and score), streamed a page at a time. */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const { services } = context
  const { workspace } = await requireMembership(request, services)
  const { keys, halfLifeDays, pages } = await exportContacts(services, { workspaceId: workspace.id, batchSize: 1000 })
  const now = services.clock.now()
  const encoder = new TextEncoder()
  let headerSent = false
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (!headerSent) {
        headerSent = true
        controller.enqueue(encoder.encode(toCsv([['email', 'name', 'timezone', 'tags', ...keys, 'status', 'lead_score']])))
        return
      }
      const next = await pages.next()
      if (next.done) return controller.close()
      const rows = next.value.map((c) => [
        c.email,
        c.name ?? '',
        c.timezone ?? '',
        c.tags.join(';'),
        ...keys.map((k) => (c.fields[k] === null || c.fields[k] === undefined ? '' : String(c.fields[k]))),
        c.status,
        String(displayScore(decayedScore({ stored: { score: c.leadScore, at: c.leadScoreAt }, now, halfLifeDays }))),
      ])
      controller.enqueue(encoder.encode(toCsv(rows)))
    },
  })
  return new Response(body, {
    headers: { 'Content-Type': 'text/csv; charset=utf-8', 'Content-Disposition': `attachment; filename="contacts-${now.toISOString().slice(0, 10)}.csv"`, 'Cache-Control': 'no-store' },
  })
}
