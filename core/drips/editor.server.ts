import { listMembers } from '../../db/queries/workspaces'
import { getMailSettings as getMailSettingsRow } from '../../db/queries/mail'
import { listFieldDefinitions, listSignupForms } from '../../db/queries/contacts'
import { listDripRows } from '../../db/queries/drips'
import { listSegments } from '../../db/queries/segments'
import { getSmsSettings as getSmsSettingsRow } from '../../db/queries/sms'
import { DripInputSchema } from '../../domain/drip/schema'
import { mergeFieldNames } from '../../domain/email/liquid'
import { fieldOfErrorPath, formDataToValues, formValuesToInput, type DripFormValues } from '../drip-form'
import { createDrip, updateDrip } from '../drips.server'
import { InputError } from '../errors'
import type { Services } from '../services.server'
/**
 * The drip editor's use cases: the form ⇄ schema save and the options the editor offers (forms,
 * segments, fields). The step template's preview and test send are in templates.server.ts.
 */
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

/**
 * What the drip builder offers: time zones, signup forms, segments, contact fields (date fields for a date
 * trigger, every field with its type for a set-field action), merge fields and the workspace's other drips
 * (enroll / remove actions, email-activity triggers; `dripId`, the drip being edited, is left out).
 */
export async function loadDripEditorOptions(services: Services, args: { workspaceId: string; dripId?: string }) {
  const db = services.database.db
  const ws = { workspaceId: args.workspaceId }
  const [forms, segments, fields, drips, sms, mail, members] = await Promise.all([
    listSignupForms(db, ws),
    listSegments(db, ws),
    listFieldDefinitions(db, ws),
    listDripRows(db, ws),
    getSmsSettingsRow(db, ws),
    getMailSettingsRow(db, ws),
    listMembers(db, ws),
  ])
  return {
    timezones: ['UTC', ...Intl.supportedValuesOf('timeZone').filter((z) => z !== 'UTC')],
    forms: forms.map((f) => ({ value: f.id, label: f.name })),
    segments: segments.map((s) => ({ value: s.id, label: s.name })),
    dateFields: fields.filter((f) => f.type === 'date').map((f) => ({ value: f.key, label: f.label })),
    fields: fields.map((f) => ({ value: f.key, label: f.label, type: f.type })),
    drips: drips.filter((d) => d.id !== args.dripId).map((d) => ({ value: d.id, label: d.name })),
    /** The workspace's members (notify steps, decision 096). */
    members: members.map((m) => ({ value: m.userId, label: m.name ? `${m.name} <${m.email}>` : m.email })),
    mergeFields: mergeFieldNames(fields.map((f) => f.key)),
    sms: { configured: !!sms?.accountId && !!(sms.fromNumber || sms.messagingServiceSid), pricePerSegment: sms?.pricePerSegment ?? 0.0079, currency: sms?.currency ?? 'USD' },
    mail: {
      configured: !!mail?.accountId,
      prices: { postcard: mail?.postcardPrice ?? 0.63, letter: mail?.letterPrice ?? 0.85, letterExtraPage: mail?.letterExtraPagePrice ?? 0.1 },
      currency: mail?.currency ?? 'USD',
    },
  }
}

