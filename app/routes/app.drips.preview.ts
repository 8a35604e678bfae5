import { json, type ActionFunctionArgs } from '@remix-run/node'
import { z } from 'zod'
import { requireMembership } from '~/utils/auth.server'
import { previewTemplate } from '../core.server'
import { readForm } from '~/utils/forms.server'

const PreviewSchema = z.object({ subject: z.string().max(300), markdown: z.string().max(100_000) })

/** The drip builder's live preview: a step's (unsaved) subject and body rendered for a sample contact. */
export async function action({ request, context }: ActionFunctionArgs) {
  const { services } = context
  const { workspace } = await requireMembership(request, services)
  const form = await readForm(request, services, PreviewSchema)
  if (!form.ok) return json({ error: Object.values(form.fieldErrors)[0] ?? 'Nothing to preview' }, { status: 400 })
  const rendered = await previewTemplate(services, { workspaceId: workspace.id, template: form.data })
  return json({ subject: rendered.subject, html: rendered.html })
}
