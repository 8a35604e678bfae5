import { json, type ActionFunctionArgs } from '@remix-run/node'
import { requireMembership } from '~/utils/auth.server'
import { previewTimelineForm } from '../core.server'
import { readFormData } from '~/utils/forms.server'

/** The drip builder's timeline preview: the editor's (unsaved) timing fields and a zone or sample contact's email. */
export async function action({ request, context }: ActionFunctionArgs) {
  const { services } = context
  const { workspace } = await requireMembership(request, services)
  const result = await previewTimelineForm(services, { workspaceId: workspace.id, form: await readFormData(request, services) })
  return json(result, { status: result.ok ? 200 : 400 })
}
