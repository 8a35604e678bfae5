import type { ActionFunctionArgs } from '@remix-run/node'
import { requireMembership } from '~/utils/auth.server'
import { readForm } from '~/utils/forms.server'
import { ImportFormSchema, previewImport } from '../core.server'

/**
 * The editor's import preview (session + CSRF): pasted text or an uploaded CSV/Markdown file → the
 * posts it holds with each row's problems. Nothing is written: the editor adds the rows to the form.
 */
export async function action({ request, context }: ActionFunctionArgs) {
  const { services } = context
  const { workspace } = await requireMembership(request, services, { role: 'editor' })
  const form = await readForm(request, services, ImportFormSchema)
  if (!form.ok) {
    const [field, error] = Object.entries(form.fieldErrors)[0]!
    return Response.json({ ok: false, field, error }, { status: 400 })
  }
  const preview = await previewImport(services, { workspaceId: workspace.id, input: form.data })
  return Response.json(preview, { status: preview.ok ? 200 : 400 })
}
