import type { ActionFunctionArgs } from '@remix-run/node'
import { requireMembership } from '~/utils/auth.server'
import { readForm } from '~/utils/forms.server'
import { checkDraft, DraftFormSchema } from '../core.server'

/** The editor's live check (session-authenticated, CSRF-checked): preview, counters and warnings. */
export async function action({ request, context }: ActionFunctionArgs) {
  const { services } = context
  const { workspace } = await requireMembership(request, services)
  const form = await readForm(request, services, DraftFormSchema)
  if (!form.ok) return Response.json({ error: Object.values(form.fieldErrors).join(' ') }, { status: 400 })
  return Response.json(await checkDraft(services, { workspaceId: workspace.id, draft: form.data }))
}
