import type { ActionFunctionArgs } from '@remix-run/node'
import { InputError, twilioWebhookArgs, WebhookSignatureError, type TwilioWebhookArgs } from '../core.server'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const text = (status: number, body: string) => new Response(body, { status, headers: { 'Content-Type': 'text/plain; charset=utf-8' } })

/**
 * The glue of Twilio's webhooks (decision 081): POST only, a form body, the workspace from the path;
 * a bad or missing signature is 403, bad input 400 naming the field, an unknown workspace 404.
 */
export async function twilioWebhook({ request, params, context }: ActionFunctionArgs, run: (webhook: TwilioWebhookArgs) => Promise<Response>): Promise<Response> {
  if (request.method !== 'POST') return text(405, 'POST only')
  const workspaceId = params.workspaceId ?? ''
  if (!UUID.test(workspaceId)) return text(404, 'Not found')
  if (!(request.headers.get('Content-Type') ?? '').toLowerCase().startsWith('application/x-www-form-urlencoded')) return text(415, 'Content-Type: send application/x-www-form-urlencoded')
  let form: FormData
  try {
    form = await request.formData()
  } catch {
    return text(400, 'body: not a form')
  }
  const webhook = twilioWebhookArgs(context.services, { workspaceId, requestUrl: request.url, signature: request.headers.get('X-Twilio-Signature'), form })
  try {
    return await run(webhook)
  } catch (error) {
    if (error instanceof WebhookSignatureError) return text(403, `X-Twilio-Signature: ${error.message}`)
    if (error instanceof InputError) return text(error.status, error.message)
    throw error
  }
}
