import type { LoaderFunctionArgs } from '@remix-run/node'
import { recordTrackedActivity, verifyEmailToken } from '../core.server'

/**
 * The click redirect. Only a URL inside a valid signature is ever a destination: an altered token
 * (or one signed for another purpose) is a 400, never a redirect, so this cannot be an open redirect.
 */
export async function loader({ context, params }: LoaderFunctionArgs) {
  const { services } = context
  const claims = verifyEmailToken(services, 'click', params.token)
  const target = claims?.url ? safeHttpUrl(claims.url) : null
  if (!claims || !target) {
    return new Response('This link is not valid: it may be incomplete or altered.', { status: 400, headers: { 'Content-Type': 'text/plain; charset=utf-8' } })
  }
  try {
    await recordTrackedActivity(services, { claims, type: 'clicked' })
  } catch (error) {
    services.logger.error({ err: error }, 'recording a click failed')
  }
  return new Response(null, { status: 302, headers: { Location: target, 'Cache-Control': 'no-store, private', 'Referrer-Policy': 'no-referrer' } })
}

function safeHttpUrl(url: string): string | null {
  try {
    const parsed = new URL(url)
    return parsed.protocol === 'https:' || parsed.protocol === 'http:' ? parsed.toString() : null
  } catch {
    return null
  }
}
