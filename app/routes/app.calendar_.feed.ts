import { json, type ActionFunctionArgs } from '@remix-run/node'
import { z } from 'zod'
import { requireMembership } from '~/utils/auth.server'
import { regenerateCalendarFeed, revokeCalendarFeed } from '../core.server'
import { readForm } from '~/utils/forms.server'
import { redirectWithToast } from '~/utils/toast.server'

const FeedActionSchema = z.object({ intent: z.enum(['regenerate', 'revoke'], { error: "intent: 'regenerate' or 'revoke'" }) })

/** Creates, regenerates or revokes the workspace's ICS feed (editors and owners), then back to the calendar. */
export async function action({ request, context }: ActionFunctionArgs) {
  const { services } = context
  const { workspace } = await requireMembership(request, services, { role: 'editor' })
  const form = await readForm(request, services, FeedActionSchema)
  if (!form.ok) return json({ ok: false as const, error: Object.values(form.fieldErrors).join(' ') }, { status: 400 })
  if (form.data.intent === 'revoke') {
    await revokeCalendarFeed(services, { workspaceId: workspace.id })
    return redirectWithToast(services, '/app/calendar', { kind: 'success', title: 'Feed revoked', message: 'The ICS feed URL no longer works.' })
  }
  await regenerateCalendarFeed(services, { workspaceId: workspace.id })
  return redirectWithToast(services, '/app/calendar', { kind: 'success', title: 'Feed URL ready', message: 'Subscribe to the new URL; any older one stopped working.' })
}
