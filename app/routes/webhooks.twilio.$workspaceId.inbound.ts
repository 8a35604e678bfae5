import type { ActionFunctionArgs } from '@remix-run/node'
import { handleInboundSms, inboundTwiml } from '../core.server'
import { twilioWebhook } from '~/utils/twilio-webhook.server'

/**
 * Twilio's messaging webhook for the workspace's number (decision 081): STOP / START / HELP and replies.
 * Authenticated by X-Twilio-Signature under the workspace's auth token; answers TwiML.
 */
export async function action(args: ActionFunctionArgs) {
  return twilioWebhook(args, async (webhook) => {
    const outcome = await handleInboundSms(args.context.services, webhook)
    return new Response(await inboundTwiml(outcome.reply), { headers: { 'Content-Type': 'text/xml; charset=utf-8' } })
  })
}

