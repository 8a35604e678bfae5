import { json, type ActionFunctionArgs } from '@remix-run/node'
import { requireMembership } from '~/utils/auth.server'
import { previewTemplate, TemplatePreviewInputSchema } from '../core.server'
import { readForm } from '~/utils/forms.server'

/**
 * The step editor's live preview: a step's (unsaved) subject and body rendered for a sample contact
 * (`contact`: a contact's email; empty: a made-up one). 400 with the problems under `subject`,
 * `markdown` (line and bad name) or `contact`.
 */
export async function action({ request, context }: ActionFunctionArgs) {
  const { services } = context
  const { workspace } = await requireMembership(request, services)
  const form = await readForm(request, services, TemplatePreviewInputSchema)
  if (!form.ok) return json({ ok: false as const, errors: form.fieldErrors }, { status: 400 })
  const preview = await previewTemplate(services, { workspaceId: workspace.id, ...form.data })
  return json(preview, { status: preview.ok ? 200 : 400 })
}
