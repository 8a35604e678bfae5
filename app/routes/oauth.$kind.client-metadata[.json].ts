import type { LoaderFunctionArgs } from '@remix-run/node'
import { delegatedClientDocuments } from '../core.server'

/**
 * The OAuth client-metadata document of a network whose authorization server fetches it from the
 * client id (Bluesky: `<APP_URL>/oauth/bluesky/client-metadata.json`, decision 115). 404 where the
 * network does not offer OAuth on this server.
 */
export function loader({ params, context }: LoaderFunctionArgs) {
  const documents = delegatedClientDocuments(context.services, params.kind ?? '')
  if (!documents) throw new Response('Not found', { status: 404 })
  return Response.json(documents.clientMetadata, { headers: { 'Cache-Control': 'public, max-age=300' } })
}
