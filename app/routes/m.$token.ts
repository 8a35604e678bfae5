import type { LoaderFunctionArgs } from '@remix-run/node'
import { publicMediaResponse } from '../core.server'

/**
 * A stored image or video at a signed, expiring public address (decision 111), for the networks that
 * fetch media from a URL (Threads): its bytes with Content-Type, Content-Length and byte ranges; the same
 * 404 for an unknown, expired or forged token.
 */
export async function loader({ context, params, request }: LoaderFunctionArgs) {
  const { services } = context
  return publicMediaResponse(
    { db: services.database.db, config: services.config, clock: services.clock },
    { token: params.token ?? '', range: request.headers.get('range'), head: request.method === 'HEAD' },
  )
}
