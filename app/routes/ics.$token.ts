import type { LoaderFunctionArgs } from '@remix-run/node'
import { renderCalendarFeed } from '../core.server'

/** The workspace's ICS feed for calendar apps: no session; the signed URL is the credential. */
export async function loader({ params, context }: LoaderFunctionArgs) {
  const body = await renderCalendarFeed(context.services, { token: params.token ?? '' })
  if (body === null) return new Response('No such calendar feed: it may have been regenerated or revoked. Copy the current URL from the calendar page.', { status: 404 })
  return new Response(body, { headers: { 'content-type': 'text/calendar; charset=utf-8', 'cache-control': 'private, max-age=300' } })
}
