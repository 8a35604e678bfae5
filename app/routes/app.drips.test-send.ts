import { json, type ActionFunctionArgs } from '@remix-run/node'
import { isConnectorError } from '#connectors/types'
import { requireMembership } from '~/utils/auth.server'
import { EmailNotConfiguredError, InputError, RateLimitedError, sendTestEmail, TemplatePreviewInputSchema } from '../core.server'
import { readForm } from '~/utils/forms.server'

/**
 * The step editor's test send: the step's (unsaved) subject and body, rendered for the sample contact,
 * to the signed-in user's own address through the workspace's sender ("[Test]" subject; nothing
 * enrolled, tracked or recorded). Editors only; 10 a minute per user (429); no sender: 422 naming `sender`.
 */
export async function action({ request, context }: ActionFunctionArgs) {
  const { services } = context
  const { workspace, user } = await requireMembership(request, services, { role: 'editor' })
  const form = await readForm(request, services, TemplatePreviewInputSchema)
  const fail = (errors: Record<string, string>, status: number) => json({ ok: false as const, errors }, { status })
  if (!form.ok) return fail(form.fieldErrors, 400)
  try {
    const sent = await sendTestEmail(services, { workspaceId: workspace.id, userId: user.id, to: user.email, ...form.data })
    return sent.ok ? json(sent) : fail(sent.errors, 400)
  } catch (error) {
    if (error instanceof InputError && error.field === 'sender') return fail({ sender: error.message }, 422)
    if (error instanceof EmailNotConfiguredError) return fail({ sender: `${error.message}: check the email sender` }, 422)
    if (error instanceof RateLimitedError) return json({ ok: false as const, errors: { form: error.message } }, { status: 429, headers: { 'Retry-After': String(error.retryAfterSeconds) } })
    if (isConnectorError(error)) return fail({ form: `The SMTP server refused the test: ${error.message}` }, 502)
    throw error
  }
}
