import type { ActionFunctionArgs } from '@remix-run/node'
import { requireMembership } from '~/utils/auth.server'
import { readFormData } from '~/utils/forms.server'
import { MAX_VIDEO_BYTES, InputError, storeImage } from '../core.server'

/**
 * Upload one video (MP4 or MOV) for a post (decision 102): the composer posts a video here rather than to
 * /app/media, so images keep their 5 MB body limit. Session + CSRF; answers the stored media as JSON, or
 * a 4xx `{ error, field }` saying what is wrong with the file (413 too big, 415 not a video it can read).
 */
export async function action({ request, context }: ActionFunctionArgs) {
  const { services } = context
  const { workspace } = await requireMembership(request, services, { role: 'editor' })
  const declared = Number(request.headers.get('Content-Length') ?? 0)
  const limit = `file: videos can be at most ${MAX_VIDEO_BYTES / 1024 / 1024} MB`
  if (declared > MAX_VIDEO_BYTES + 64 * 1024) return Response.json({ error: limit, field: 'file' }, { status: 413 })
  const form = await readFormData(request, services)
  const file = form.get('file')
  if (!file || typeof file === 'string') return Response.json({ error: 'file: choose a video to upload', field: 'file' }, { status: 400 })
  try {
    // An image sent here is stored too (its own 5 MB limit applies in storeImage).
    const stored = await storeImage(services, { workspaceId: workspace.id, fileName: file.name, bytes: new Uint8Array(await file.arrayBuffer()) })
    return Response.json(stored, { status: 201 })
  } catch (error) {
    if (error instanceof InputError) return Response.json({ error: error.message, field: error.field }, { status: error.status })
    throw error
  }
}
