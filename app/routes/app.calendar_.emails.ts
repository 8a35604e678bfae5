import { json, type LoaderFunctionArgs } from '@remix-run/node'
import { requireMembership } from '~/utils/auth.server'
import { InputError, loadEmailVolume } from '../core.server'

/**
 * The calendar's projected drip emails for the days it shows: `?from=YYYY-MM-DD&to=YYYY-MM-DD&tz=Zone`
 * (at most 62 days), per day with the drips behind each count. The calendar asks again on every change
 * of view. A bad range or zone is a 400 naming the field.
 */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const { services } = context
  const { workspace } = await requireMembership(request, services)
  try {
    const days = await loadEmailVolume(services, { workspaceId: workspace.id, query: Object.fromEntries(new URL(request.url).searchParams) })
    return json({ ok: true as const, days }, { headers: { 'Cache-Control': 'no-store' } })
  } catch (error) {
    if (!(error instanceof InputError)) throw error
    return json({ ok: false as const, field: error.field, message: error.message }, { status: error.status })
  }
}
