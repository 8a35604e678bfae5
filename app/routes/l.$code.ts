import type { LoaderFunctionArgs } from '@remix-run/node'
import { followShortLink } from '../core.server'

/**
 * A short link of a published post (decision 084): 302 to the link as written plus its UTM parameters,
 * recording a person's click (not a bot's). An unknown code is a 404 with no Location: the target is
 * only ever a URL stored when the post was published, so this is not an open redirect.
 */
export async function loader({ context, params, request }: LoaderFunctionArgs) {
  const followed = await followShortLink(context.services, { code: params.code ?? '', userAgent: request.headers.get('user-agent') })
  if (!followed) return new Response('This link does not exist.', { status: 404, headers: { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' } })
  return new Response(null, { status: 302, headers: { Location: followed.location, 'Cache-Control': 'no-store, private', 'Referrer-Policy': 'no-referrer-when-downgrade' } })
}
