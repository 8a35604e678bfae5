import type { LoaderFunctionArgs } from '@remix-run/node'
import { requireApiAuth } from '~/utils/api.server'
import { requireMembership } from '~/utils/auth.server'
import { readHealth } from '~/core.server'
import { readSession } from '~/utils/session.server'

const headers = { 'Cache-Control': 'no-store' }

/**
 * Public liveness: `{ ok }` only (503 when the database or job store does not answer), nothing about
 * the installation. `/healthz?detail` adds the database and job store kinds and errors, the worker
 * heartbeat and the oldest overdue delivery, for an owner: a signed-in owner or an owner's API token
 * (`Authorization: Bearer trk_…`). The detail reads across workspaces, so it is for the operator.
 */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const { services } = context
  const detail = new URL(request.url).searchParams.has('detail')
  if (detail) {
    if (request.headers.get('Authorization')) await requireApiAuth(request, services, { role: 'owner' })
    else if (await readSession(request, services)) await requireMembership(request, services, { role: 'owner' })
    else return Response.json({ error: 'Sign in as a workspace owner, or send an owner\'s API token (Authorization: Bearer trk_…), to see the detail' }, { status: 401, headers })
  }
  const health = await readHealth(services)
  return Response.json(detail ? health : { ok: health.ok }, { status: health.ok ? 200 : 503, headers })
}
