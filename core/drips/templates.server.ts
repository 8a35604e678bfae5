import { randomUUID } from 'node:crypto'
import { z } from 'zod'
import { getAccountCredentials } from '../../db/queries/accounts'
import { findContactByEmail, getEmailSettings, listFieldDefinitions } from '../../db/queries/contacts'
import type { FieldType } from '../../domain/email/types'
import { contactScope, describeTemplateProblem, renderTemplate, TemplateError, templateProblems, type ContactScope } from '../../domain/email/liquid'
import { renderEmail, type EmailTemplate, type RenderedEmail } from '../../domain/email/template'
import { emailConnector, EmailNotConfiguredError } from '../email.server'
import { InputError } from '../errors'
import { limitTestSend } from '../rate-limits.server'
import type { Services } from '../services.server'

/**
 * The step template editor's use cases (decision 075): the live preview of a (possibly unsaved) subject
 * and body for a sample contact, and the test send of it to the signed-in user through the workspace's
 * email sender. Neither enrolls anyone nor records an event: links are not tracked and the footer's
 * links are inert placeholders, so a test of a real contact's email cannot unsubscribe that contact.
 */

/** What the preview and the test send read from the editor: a step's subject and body, and whose email it is. */
export const TemplatePreviewInputSchema = z.object({
  subject: z.string().max(300, { error: 'at most 300 characters' }),
  markdown: z.string().max(100_000, { error: 'at most 100,000 characters' }),
  /** A contact's email; empty: a made-up contact with the workspace's fields. */
  contact: z.string().trim().max(254).optional(),
})
export type TemplatePreviewInput = z.infer<typeof TemplatePreviewInputSchema>

/** Problems under the editor's fields: `subject`, `markdown` (with the line and the bad name) or `contact`. */
export type TemplateFieldErrors = Partial<Record<'subject' | 'markdown' | 'contact', string>>

export type TemplatePreview =
  | ({ ok: true; contact: { email: string; name: string; sample: boolean } } & RenderedEmail)
  | { ok: false; errors: TemplateFieldErrors }

const SAMPLE_VALUES: Record<FieldType, (label: string) => string | number> = { text: (label) => `Sample ${label.toLowerCase()}`, number: () => 42, date: () => '1990-06-15' }

/** The made-up contact of a preview: Jane Doe with a sample value in every custom field. */
export function sampleContact(fields: ReadonlyArray<{ key: string; label: string; type: FieldType }>): ContactScope {
  return contactScope({ email: 'jane@example.com', name: 'Jane Doe', timezone: 'UTC', fields: Object.fromEntries(fields.map((f) => [f.key, SAMPLE_VALUES[f.type](f.label)])) })
}

/** Render a step's template for a sample contact, as the editor shows it. Never throws for bad template text: it names the field. */
export async function previewTemplate(services: Services, args: { workspaceId: string } & TemplatePreviewInput): Promise<TemplatePreview> {
  const db = services.database.db
  const [fields, settings] = await Promise.all([listFieldDefinitions(db, args), getEmailSettings(db, args)])
  const fieldKeys = fields.map((f) => f.key)
  const errors: TemplateFieldErrors = {}
  for (const part of ['subject', 'markdown'] as const) {
    const [first] = templateProblems(args[part], { fieldKeys })
    if (first) errors[part] = describeTemplateProblem(first, fieldKeys)
  }
  let contact = sampleContact(fields)
  const email = args.contact?.toLowerCase()
  if (email) {
    const found = await findContactByEmail(db, { workspaceId: args.workspaceId, email })
    if (found) contact = contactScope(found)
    else errors.contact = `no contact with the email ${email} in this workspace`
  }
  if (Object.keys(errors).length) return { ok: false, errors }
  const template: EmailTemplate = { subject: args.subject, markdown: args.markdown }
  try {
    const rendered = renderEmail({
      template,
      scope: { contact },
      now: services.clock.now(),
      postalAddress: settings?.postalAddress ?? '',
      unsubscribeUrl: new URL('/u/preview', services.config.APP_URL).toString(),
      preferencesUrl: new URL('/p/preview', services.config.APP_URL).toString(),
    })
    return { ok: true, ...rendered, contact: { email: contact.email, name: contact.name, sample: !email } }
  } catch (error) {
    if (!(error instanceof TemplateError)) throw error
    // A limit reached while rendering (the text parsed): under the part that reached it.
    return { ok: false, errors: { [failsAlone(template.subject, contact) ? 'subject' : 'markdown']: error.message } }
  }
}

function failsAlone(source: string, contact: ContactScope): boolean {
  try {
    renderTemplate(source, { scope: { contact }, output: (v) => v })
    return false
  } catch {
    return true
  }
}

export type TestSendResult = { ok: true; to: string; messageId: string } | { ok: false; errors: TemplateFieldErrors }

/**
 * Send a step's template, rendered for the sample contact, to `to` (the signed-in user's address) through
 * the workspace's sender: subject prefixed "[Test]", nothing tracked or recorded. At most
 * TEST_SENDS_PER_USER per user (RateLimitedError); no sender: a 422 naming `sender`.
 */
export async function sendTestEmail(services: Services, args: { workspaceId: string; userId: string; to: string } & TemplatePreviewInput): Promise<TestSendResult> {
  const db = services.database.db
  const settings = await getEmailSettings(db, { workspaceId: args.workspaceId })
  if (!settings?.senderAccountId) throw new InputError('sender', 'Set up the email sender first', { status: 422, code: 'not_configured' })
  const preview = await previewTemplate(services, args)
  if (!preview.ok) return preview
  await limitTestSend(services, { userId: args.userId })
  const credentials = await getAccountCredentials(db, { workspaceId: args.workspaceId, accountId: settings.senderAccountId, keyring: services.keyring }).catch(() => {
    throw new EmailNotConfiguredError('The sender account cannot be read')
  })
  const { html, text, subject } = preview
  const result = await emailConnector(services).publish({
    credentials,
    idempotencyKey: `test:${randomUUID()}`,
    content: {
      parts: [],
      email: { from: { name: settings.fromName, address: settings.fromEmail }, to: args.to, replyTo: settings.replyTo ?? undefined, html, text, subject: `[Test] ${subject}` },
    },
  })
  return { ok: true, to: args.to, messageId: result.remoteId }
}
