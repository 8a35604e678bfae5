import { requireMembership } from '~/utils/auth.server'
import { readFormData } from '~/utils/forms.server'
import { InputError, storeImage, type Services } from '../core.server'

/**
 * One uploaded file for a post (the composer's uploads: session + CSRF, editors and owners): stored and
 * answered as JSON, or a 4xx `{ error, field }` naming what is wrong with the file. A declared body over
 * `maxBytes` is refused before it is read; `storeImage` checks the bytes themselves.
 */
export async function uploadMediaFile(request: Request, services: Services, messages: { tooBig: string; missing: string }, maxBytes: number): Promise<Response> {
  const { workspace } = await requireMembership(request, services, { role: 'editor' })
  const declared = Number(request.headers.get('Content-Length') ?? 0)
  if (declared > maxBytes + 64 * 1024) return Response.json({ error: `file: ${messages.tooBig}`, field: 'file' }, { status: 413 })
  const form = await readFormData(request, services)
  const file = form.get('file')
  if (!file || typeof file === 'string') return Response.json({ error: `file: ${messages.missing}`, field: 'file' }, { status: 400 })
  try {
    const stored = await storeImage(services, { workspaceId: workspace.id, fileName: file.name, bytes: new Uint8Array(await file.arrayBuffer()) })
    return Response.json(stored, { status: 201 })
  } catch (error) {
    if (error instanceof InputError) return Response.json({ error: error.message, field: error.field }, { status: error.status })
    throw error
  }
}
