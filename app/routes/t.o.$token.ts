import type { LoaderFunctionArgs } from '@remix-run/node'
import { recordTrackedActivity, verifyEmailToken } from '../core.server'

/** A transparent 1×1 GIF. */
const PIXEL = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64')

/** The open pixel (`/t/o/<token>.gif`): records one open per message, always answers with the image. */
export async function loader({ context, params }: LoaderFunctionArgs) {
  const { services } = context
  const claims = verifyEmailToken(services, 'open', params.token?.replace(/\.gif$/, ''))
  if (!claims) return new Response('Not a valid tracking link', { status: 400, headers: { 'Content-Type': 'text/plain; charset=utf-8' } })
  try {
    await recordTrackedActivity(services, { claims, type: 'opened' })
  } catch (error) {
    // Tracking must never break the recipient's mail client.
    services.logger.error({ err: error }, 'recording an open failed')
  }
  return new Response(PIXEL, { headers: { 'Content-Type': 'image/gif', 'Cache-Control': 'no-store, private', 'Content-Length': String(PIXEL.length) } })
}
