import type { LoaderFunctionArgs } from '@remix-run/node'
import { notFound, requireMembership } from '~/utils/auth.server'
import { readImage } from '../core.server'

/** An uploaded image of the current workspace (previews in the editor); 404 for anything else. */
export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const { workspace } = await requireMembership(request, context.services)
  const image = await readImage(context.services, { workspaceId: workspace.id, mediaId: params.mediaId ?? '' })
  if (!image) throw notFound('No such image in this workspace')
  return new Response(Buffer.from(image.bytes), {
    headers: { 'Content-Type': image.media.mimeType, 'Cache-Control': 'private, max-age=3600', 'X-Content-Type-Options': 'nosniff' },
  })
}
