import { z } from 'zod'
import { getAccountCredentials } from '../../db/queries/accounts'
import { getContact, getEmailSettings, listFieldDefinitions, listSignupForms } from '../../db/queries/contacts'
import { getDrip as getDripRow, type DripStepRow, type DripWithSteps } from '../../db/queries/drips'
import { listSegments } from '../../db/queries/segments'
import { DripInputSchema } from '../../domain/drip/schema'
import { contactMergeValues } from '../../domain/email/merge'
import { renderEmail, type RenderedEmail } from '../../domain/email/template'
import { fieldOfErrorPath, formDataToValues, formValuesToInput, type DripFormValues } from '../drip-form'
import { createDrip, updateDrip } from '../drips.server'
import { emailConnector, signedEmailUrl, EmailNotConfiguredError } from '../email.server'
import { InputError } from '../errors'
import type { Services } from '../services.server'
/**
 * The drip editor's use cases: the form ⇄ schema save, live preview of a template or a stored step,
 * a test send to one address, and the options the editor offers (forms, segments, fields).
 */
/** Render a stored step for a contact (or sample values) without sending. */
export async function previewStep(
  services: Services,
  args: { workspaceId: string; dripId: string; stepId: string; contactId?: string },
): Promise<RenderedEmail> {
  const { step } = await requireStep(services, args)
  return previewTemplate(services, { workspaceId: args.workspaceId, template: step.content.email ?? { subject: '', markdown: '' }, contactId: args.contactId })
}

/** Render a (possibly unsaved) subject and body as a contact (or Jane Doe) would get it: the editor's live preview. */
export async function previewTemplate(
  services: Services,
  args: { workspaceId: string; template: { subject: string; markdown: string }; contactId?: string },
): Promise<RenderedEmail> {
  const settings = await getEmailSettings(services.database.db, { workspaceId: args.workspaceId })
  const contact = args.contactId ? await getContact(services.database.db, { workspaceId: args.workspaceId, contactId: args.contactId }) : null
  const values = contact ? contactMergeValues(contact) : { email: 'jane@example.com', name: 'Jane Doe', first_name: 'Jane' }
  return renderEmail({
    template: args.template,
    values,
    postalAddress: settings?.postalAddress ?? '',
    unsubscribeUrl: new URL('/u/preview', services.config.APP_URL).toString(),
    preferencesUrl: new URL('/p/preview', services.config.APP_URL).toString(),
  })
}

export type DripFormResult = { ok: true; dripId: string } | { ok: false; status: number; fieldErrors: Record<string, string>; values: DripFormValues }

/**
 * The drip builder's save: the posted form → `DripInputSchema` (every bad field named, under the form
 * field that shows it) → create or update. Nothing is written unless the whole drip is valid.
 */
export async function saveDripForm(services: Services, args: { workspaceId: string; dripId?: string; form: FormData }): Promise<DripFormResult> {
  const values = formDataToValues(args.form)
  const parsed = DripInputSchema.safeParse(formValuesToInput(values))
  if (!parsed.success) {
    const fieldErrors: Record<string, string> = {}
    for (const issue of parsed.error.issues) fieldErrors[fieldOfErrorPath(issue.path.map(String).join('.') || 'form')] ??= issue.message
    return { ok: false, status: 400, fieldErrors, values }
  }
  try {
    const saved = args.dripId
      ? await updateDrip(services, { workspaceId: args.workspaceId, dripId: args.dripId, input: parsed.data })
      : await createDrip(services, { workspaceId: args.workspaceId, input: parsed.data })
    return { ok: true, dripId: saved.id }
  } catch (error) {
    if (!(error instanceof InputError) || error.status === 404) throw error
    const message = error.field && error.message.startsWith(`${error.field}: `) ? error.message.slice(error.field.length + 2) : error.message
    return { ok: false, status: error.status, fieldErrors: { [fieldOfErrorPath(error.field ?? 'form')]: message }, values }
  }
}

/** Send one step to any address, marked as a test (subject prefixed, no tracking, nothing recorded). */
export async function testSend(services: Services, args: { workspaceId: string; dripId: string; stepId: string; to: string }): Promise<{ messageId: string }> {
  const to = z.email({ error: 'to must be an email address' }).safeParse(args.to.trim())
  if (!to.success) throw new InputError('to', 'to: must be an email address')
  const { step } = await requireStep(services, args)
  const db = services.database.db
  const settings = await getEmailSettings(db, { workspaceId: args.workspaceId })
  if (!settings?.senderAccountId) throw new InputError('sender', 'sender: set up the sender in the email settings first', { status: 422, code: 'not_configured' })
  const claims = { workspaceId: args.workspaceId, contactId: '00000000-0000-0000-0000-000000000000', sequenceId: args.dripId, stepId: step.id }
  const unsubscribeUrl = signedEmailUrl(services, 'unsubscribe', claims)
  const rendered = renderEmail({
    template: step.content.email ?? { subject: '', markdown: '' },
    values: { email: to.data, name: 'Test Recipient', first_name: 'Test' },
    postalAddress: settings.postalAddress,
    unsubscribeUrl,
  })
  const credentials = await getAccountCredentials(db, { workspaceId: args.workspaceId, accountId: settings.senderAccountId, keyring: services.keyring }).catch(() => {
    throw new EmailNotConfiguredError('The sender account cannot be read')
  })
  const result = await emailConnector(services).publish({
    credentials,
    idempotencyKey: `test:${step.id}:${services.clock.now().getTime()}`,
    content: {
      parts: [],
      email: { from: { name: settings.fromName, address: settings.fromEmail }, to: to.data, replyTo: settings.replyTo ?? undefined, ...rendered, subject: `[Test] ${rendered.subject}` },
    },
  })
  return { messageId: result.remoteId }
}

async function requireStep(services: Services, args: { workspaceId: string; dripId: string; stepId: string }): Promise<{ drip: DripWithSteps; step: DripStepRow }> {
  const drip = await getDripRow(services.database.db, { workspaceId: args.workspaceId, dripId: args.dripId })
  if (!drip) throw new InputError(undefined, 'No such drip', { status: 404 })
  const step = drip.steps.find((s) => s.id === args.stepId)
  if (!step) throw new InputError('stepId', 'stepId: no such step in this drip', { status: 404 })
  return { drip, step }
}

/** What the drip builder offers: time zones, signup forms, segments and date fields of the workspace. */
export async function loadDripEditorOptions(services: Services, args: { workspaceId: string }) {
  const db = services.database.db
  const [forms, segments, fields] = await Promise.all([listSignupForms(db, args), listSegments(db, args), listFieldDefinitions(db, args)])
  return {
    timezones: ['UTC', ...Intl.supportedValuesOf('timeZone').filter((z) => z !== 'UTC')],
    forms: forms.map((f) => ({ value: f.id, label: f.name })),
    segments: segments.map((s) => ({ value: s.id, label: s.name })),
    dateFields: fields.filter((f) => f.type === 'date').map((f) => ({ value: f.key, label: f.label })),
  }
}

