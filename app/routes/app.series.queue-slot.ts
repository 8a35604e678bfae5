import type { ActionFunctionArgs } from '@remix-run/node'
import { requireMembership } from '~/utils/auth.server'
import { readFormData } from '~/utils/forms.server'
import { findNextQueueSlot, InputError } from '../core.server'

/** The editor's "Add to queue" (session-authenticated, CSRF-checked, writes nothing): the next free slot of the ticked accounts, or why there is none. */
export async function action({ request, context }: ActionFunctionArgs) {
  const { services } = context
  const { workspace } = await requireMembership(request, services)
  const form = await readFormData(request, services)
  const input = { accountIds: form.getAll('accountId').map(String), timezone: String(form.get('timezone') ?? '') || undefined, seriesId: String(form.get('seriesId') ?? '') || undefined }
  try {
    return Response.json({ slot: await findNextQueueSlot(services, { workspaceId: workspace.id, input }) })
  } catch (error) {
    if (!(error instanceof InputError)) throw error
    return Response.json({ error: error.message.replace(/^accountIds: /, '').replace(/^\w/, (c) => c.toUpperCase()) }, { status: error.status })
  }
}
