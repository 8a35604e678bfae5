import type { ActionFunctionArgs } from '@remix-run/node'
import { handleLobWebhook } from '../core.server'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const text = (status: number, body: string) => new Response(body, { status, headers: { 'Content-Type': 'text/plain; charset=utf-8' } })

/**
 * Lob's tracking webhooks (decision 089): a JSON event signed with `Lob-Signature` (HMAC-SHA256 of
 * `Lob-Signature-Timestamp.body` under the webhook's secret); recorded on the delivery of its piece.
 * Not under /api/v1: Lob cannot send a bearer token.
 */
export async function action({ request, params, context }: ActionFunctionArgs) {
  if (request.method !== 'POST') return text(405, 'POST only')
  const workspaceId = params.workspaceId ?? ''
  if (!UUID.test(workspaceId)) return text(404, 'Not found')
  const body = await request.text()
  const result = await handleLobWebhook(context.services, { workspaceId, body, signature: request.headers.get('Lob-Signature'), timestamp: request.headers.get('Lob-Signature-Timestamp') })
  if (result.status === 403) return text(403, `Lob-Signature: ${result.message ?? 'invalid'}`)
  if (result.status === 400) return text(400, `body: ${result.message ?? 'invalid'}`)
  return new Response(null, { status: result.recorded ? 204 : 200 })
}
