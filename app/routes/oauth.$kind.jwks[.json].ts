import type { LoaderFunctionArgs } from '@remix-run/node'
import { delegatedClientDocuments } from '../core.server'

/** The public keys the client-metadata document names (`jwks_uri`): the authorization server checks Trickle's signed client assertions with them. */
export function loader({ params, context }: LoaderFunctionArgs) {
  const documents = delegatedClientDocuments(context.services, params.kind ?? '')
  if (!documents) throw new Response('Not found', { status: 404 })
  return Response.json(documents.jwks, { headers: { 'Cache-Control': 'public, max-age=300' } })
}
