import { json, type ActionFunctionArgs } from '@remix-run/node'
import { requireMembership } from '~/utils/auth.server'
import { readFormData } from '~/utils/forms.server'
import { previewSegmentForm } from '../core.server'

/** The segment editor's live count: the (unsaved) rule in the form, counted the way drips count it, with a sample. */
export async function action({ request, context }: ActionFunctionArgs) {
  const { services } = context
  const { workspace } = await requireMembership(request, services)
  const result = await previewSegmentForm(services, { workspaceId: workspace.id, form: await readFormData(request, services) })
  if (!result.ok) return json({ ok: false as const, field: result.field, message: result.message }, { status: 400 })
  return json({ ok: true as const, ...result.preview })
}
