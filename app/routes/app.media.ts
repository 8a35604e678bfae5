import type { ActionFunctionArgs } from '@remix-run/node'
import { requireMembership } from '~/utils/auth.server'
import { readFormData } from '~/utils/forms.server'
import { MAX_IMAGE_BYTES, InputError, storeImage } from '../core.server'

/**
 * Upload one image for a post (the editor's file input posts here; session + CSRF). Answers the stored
 * image as JSON, or a 4xx `{ error, field }` saying what is wrong with the file.
 */
export async function action({ request, context }: ActionFunctionArgs) {
  const { services } = context
  const { workspace } = await requireMembership(request, services, { role: 'editor' })
  const declared = Number(request.headers.get('Content-Length') ?? 0)
  if (declared > MAX_IMAGE_BYTES + 64 * 1024) return Response.json({ error: 'file: images can be at most 5 MB', field: 'file' }, { status: 413 })
  const form = await readFormData(request, services)
  const file = form.get('file')
  if (!file || typeof file === 'string') return Response.json({ error: 'file: choose an image to upload', field: 'file' }, { status: 400 })
  try {
    const stored = await storeImage(services, { workspaceId: workspace.id, fileName: file.name, bytes: new Uint8Array(await file.arrayBuffer()) })
    return Response.json(stored, { status: 201 })
  } catch (error) {
    if (error instanceof InputError) return Response.json({ error: error.message, field: error.field }, { status: error.status })
    throw error
  }
}
