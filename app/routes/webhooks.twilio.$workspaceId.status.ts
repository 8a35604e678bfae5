import type { ActionFunctionArgs } from '@remix-run/node'
import { applySmsStatusCallback } from '../core.server'
import { twilioWebhook } from '~/utils/twilio-webhook.server'

/** Twilio's message status callback (decision 081): queued → sent → delivered / undelivered / failed on the SMS delivery. */
export async function action(args: ActionFunctionArgs) {
  return twilioWebhook(args, async (webhook) => {
    const { applied } = await applySmsStatusCallback(args.context.services, webhook)
    return new Response(null, { status: applied ? 204 : 200 })
  })
}
