import {
  countContacts as countContactRows,
  deleteContact,
  ensureContact,
  findContactByEmail,
  findExistingEmails,
  getContact,
  getContactImport,
  getEmailSettings,
  insertFieldDefinition,
  listConsentRecords,
  listContacts as listContactRows,
  insertConsentRecord,
  insertConsentRecords,
  insertContactImport,
  insertContactRows,
  listFieldDefinitions,
  lockContact,
  updateContact,
  updateContactImport,
  walkContacts,
  type Contact,
  type ContactImport,
  type ContactPatch,
} from '../db/queries/contacts'
import { listContactEvents } from '../db/queries/events'
import { getSuppression, liftUnsubscribe, suppressAddress } from '../db/queries/suppression'
import type { DbOrTx } from '../db/client'
import type { ImportRowError } from '../db/schema'
import { parseFieldValues, validateContactCsv } from '../domain/email/contact'
import { CsvError, parseCsv } from '../domain/email/csv'
import type { ContactStatus, FieldType } from '../domain/email/types'
import { onComplaint, recordComplaint } from './complaints.server'
import { onContactsImported, onEmailActivity, onFieldsChanged } from './drips/activity-triggers.server'
import { InputError } from './errors'
import { normalisePhone } from '../domain/sms/phone'
import { PostalAddressSchema, type PostalAddress } from '../domain/mail/address'
import { parseInput } from './parse-input'
import { z } from 'zod'
import { listScoreHistory } from './score-rules.server'
import type { Services } from './services.server'
import { endsMailingForGood } from './mailability.server'

/** Contacts: read for the pages and the API, written by people and scripts (the API, the CSV import, the preference page). */

export type { Contact, ContactImport, ContactStatus }

/** A contact as the API creates it (the API's zod schema, app/utils/openapi/contacts.ts, produces this shape). */
export type ContactCreateInput = {
  email: string
  name?: string | null
  timezone?: string | null
  fields?: Record<string, string | number | null>
  tags?: string[]
  status?: 'subscribed' | 'unsubscribed'
  /** Any common form; stored as E.164 (400 naming `phone` when it is not a valid number). */
  phone?: string | null
  /** SMS consent (decision 081): needs a phone; null withdraws it. */
  smsConsent?: { source?: string; text: string | null; at?: string } | null
  /** A US postal address for direct-mail steps (decision 089), checked by the API's schema; null removes it. */
  postalAddress?: PostalAddress | null
}
export type ContactUpdateInput = Partial<Omit<ContactCreateInput, 'status'>> & { status?: 'subscribed' | 'unsubscribed' | 'complained' }

/** The half-life of the workspace's lead score in days (null: scores do not decay). */
export async function getScoreHalfLife(services: Services, args: { workspaceId: string }): Promise<number | null> {
  const settings = await getEmailSettings(services.database.db, { workspaceId: args.workspaceId })
  return settings?.scoreHalfLifeDays ?? null
}

/** One page of the workspace's contacts (newest first, optionally matching `search`) and the score half-life to show them with. */
export async function listContactsPage(
  services: Services,
  args: { workspaceId: string; search?: string; limit: number; offset: number },
): Promise<{ contacts: Contact[]; halfLifeDays: number | null }> {
  const { workspaceId, ...page } = args
  const [contacts, halfLifeDays] = await Promise.all([listContactRows(services.database.db, { workspaceId, ...page }), getScoreHalfLife(services, { workspaceId })])
  return { contacts, halfLifeDays }
}

export async function countWorkspaceContacts(services: Services, args: { workspaceId: string }): Promise<number> {
  return countContactRows(services.database.db, args)
}

export async function findContact(services: Services, args: { workspaceId: string; contactId: string }): Promise<Contact | null> {
  return getContact(services.database.db, args)
}

/** Delete a contact of the workspace; false when there is none with that id. */
export async function removeContact(services: Services, args: { workspaceId: string; contactId: string }): Promise<boolean> {
  return deleteContact(services.database.db, args)
}

/** A contact's page: the contact, its consent records, its latest events and score changes, and the suppression of its address. Null when not in the workspace. */
export async function loadContactDetail(services: Services, args: { workspaceId: string; contactId: string; eventLimit?: number }) {
  const db = services.database.db
  const { workspaceId } = args
  const contact = await getContact(db, { workspaceId, contactId: args.contactId })
  if (!contact) return null
  const [halfLifeDays, consents, events, suppression, scoreHistory] = await Promise.all([
    getScoreHalfLife(services, { workspaceId }),
    listConsentRecords(db, { workspaceId, contactId: contact.id }),
    listContactEvents(db, { workspaceId, contactId: contact.id, limit: args.eventLimit ?? 100 }),
    getSuppression(db, { workspaceId, email: contact.email }),
    listScoreHistory(services, { workspaceId, contactId: contact.id, limit: args.eventLimit ?? 100 }),
  ])
  return { contact, halfLifeDays, consents, events, suppression, scoreHistory }
}

/** The workspace's custom contact fields. */
export async function listCustomFields(services: Services, args: { workspaceId: string }) {
  return listFieldDefinitions(services.database.db, args)
}

/** Define a custom field; null when the key is taken. */
export async function defineCustomField(services: Services, args: { workspaceId: string; key: string; label: string; type: FieldType }) {
  return insertFieldDefinition(services.database.db, args)
}

export async function findContactImport(services: Services, args: { workspaceId: string; importId: string }): Promise<ContactImport | null> {
  return getContactImport(services.database.db, args)
}

/** What a CSV export needs: the custom field keys, the score half-life and the contacts a page at a time. */
export async function exportContacts(services: Services, args: { workspaceId: string; batchSize?: number }) {
  const db = services.database.db
  const { workspaceId } = args
  const [definitions, halfLifeDays] = await Promise.all([listFieldDefinitions(db, { workspaceId }), getScoreHalfLife(services, { workspaceId })])
  return { keys: definitions.map((d) => d.key), halfLifeDays, pages: walkContacts(db, { workspaceId, batchSize: args.batchSize ?? 1000 }) }
}

/**
 * The preference page's changes for the contact a signed link names: a new name, or back to
 * `subscribed` (an InputError when the address bounced or complained). Null when there is no such contact.
 */
export async function savePreferences(
  services: Services,
  args: { workspaceId: string; contactId: string; change: { intent: 'save'; name: string | null } | { intent: 'resubscribe' } },
): Promise<Contact | null> {
  const { workspaceId, contactId, change } = args
  const at = services.clock.now()
  return services.database.db.transaction(async (tx) => {
    const contact = await lockContact(tx, { workspaceId, contactId })
    if (!contact) return null
    if (change.intent === 'save') await updateContact(tx, { workspaceId, contactId, patch: { name: change.name }, at })
    else if (contact.status !== 'subscribed') await resubscribe(tx, { workspaceId, contact, at })
    return contact
  })
}

async function checkedFields(db: DbOrTx, workspaceId: string, values: Record<string, unknown> | undefined, current: Contact['fields'] = {}) {
  if (!values) return undefined
  const definitions = await listFieldDefinitions(db, { workspaceId })
  const parsed = parseFieldValues({ values, definitions, from: 'json' })
  if (!parsed.ok) throw new InputError(parsed.problem.field, `${parsed.problem.field}: ${parsed.problem.message}`)
  return { ...current, ...parsed.fields }
}

export async function createContactFromApi(services: Services, args: { workspaceId: string; input: ContactCreateInput }): Promise<Contact> {
  const { workspaceId, input } = args
  const at = services.clock.now()
  return services.database.db.transaction(async (tx) => {
    const fields = await checkedFields(tx, workspaceId, input.fields)
    const { contact, created } = await ensureContact(tx, { workspaceId, email: input.email, name: input.name ?? null, timezone: input.timezone ?? null, fields, tags: input.tags, at })
    if (!created) throw new InputError('email', `A contact with the address ${input.email} already exists`, { status: 409 })
    await insertConsentRecord(tx, { workspaceId, contactId: contact.id, source: 'api', ip: null, consentText: null, givenAt: at })
    if (input.status === 'unsubscribed') await suppressAddress(tx, { workspaceId, email: contact.email, reason: 'manual', detail: 'created unsubscribed through the API', at })
    const sms = { ...smsPatch({ input, current: { phone: null, smsConsent: null }, at }), ...postalPatch({ input, current: { postalAddress: null } }) }
    if (Object.keys(sms).length) await updateContact(tx, { workspaceId, contactId: contact.id, patch: sms, at })
    return (await getContact(tx, { workspaceId, contactId: contact.id }))!
  })
}

/** Change a contact; moving to `unsubscribed` suppresses the address, to `complained` records a complaint (core/complaints.server.ts), back to `subscribed` lifts an unsubscribe only. */
export async function updateContactFromApi(services: Services, args: { workspaceId: string; contactId: string; input: ContactUpdateInput }): Promise<Contact | null> {
  const { workspaceId, contactId, input } = args
  const at = services.clock.now()
  const after: { before: Contact['fields']; complaint: string | null; unsubscribed: boolean } = { before: {}, complaint: null, unsubscribed: false }
  const updated = await services.database.db.transaction(async (tx) => {
    const contact = await lockContact(tx, { workspaceId, contactId })
    if (!contact) return null
    after.before = contact.fields
    const patch: ContactPatch = {}
    if (input.email !== undefined && input.email !== contact.email) {
      if (await findContactByEmail(tx, { workspaceId, email: input.email })) throw new InputError('email', `A contact with the address ${input.email} already exists`, { status: 409 })
      patch.email = input.email
    }
    if (input.name !== undefined) patch.name = input.name
    if (input.timezone !== undefined) patch.timezone = input.timezone
    if (input.tags !== undefined) patch.tags = [...new Set(input.tags)]
    if (input.fields !== undefined) patch.fields = await checkedFields(tx, workspaceId, input.fields, contact.fields)
    Object.assign(patch, smsPatch({ input, current: contact, at }), postalPatch({ input, current: contact }))
    await updateContact(tx, { workspaceId, contactId, patch, at })
    if (input.status === 'unsubscribed' && contact.status !== 'unsubscribed') {
      after.unsubscribed = (await suppressAddress(tx, { workspaceId, email: patch.email ?? contact.email, reason: 'manual', detail: 'unsubscribed through the API', at })).created
    }
    if (input.status === 'subscribed' && contact.status !== 'subscribed') await resubscribe(tx, { workspaceId, contact, at })
    if (input.status === 'complained' && contact.status !== 'complained') {
      after.complaint = await recordComplaint(tx, { workspaceId, email: patch.email ?? contact.email, contact, message: null, source: 'api', detail: 'set through the API', at })
    }
    return getContact(tx, { workspaceId, contactId })
  })
  if (!updated) return null
  // Behaviour triggers (decision 096), once the change is committed: a field changed, an unsubscribe, a complaint.
  if (input.fields !== undefined) await onFieldsChanged(services, { workspaceId, contactId, before: after.before, after: updated.fields, at })
  if (after.unsubscribed) {
    await onEmailActivity(services, { workspaceId, contactId, activities: [{ activity: 'unsubscribed', eventId: `api-unsubscribe:${contactId}:${at.toISOString()}`, sequenceId: null, stepId: null }] })
  }
  if (after.complaint) await onComplaint(services, { workspaceId, contactId, eventId: after.complaint, message: null })
  return updated
}

/**
 * The phone and SMS consent part of a contact change (decision 081): the number normalised to E.164;
 * consent belongs to a number, so a new number without new consent drops the old consent.
 */
function smsPatch(args: { input: Pick<ContactCreateInput, 'phone' | 'smsConsent'>; current: Pick<Contact, 'phone' | 'smsConsent'>; at: Date }): ContactPatch {
  const { input, current } = args
  const patch: ContactPatch = {}
  if (input.phone !== undefined) {
    if (input.phone === null || input.phone.trim() === '') patch.phone = null
    else {
      const phone = normalisePhone(input.phone)
      if (!phone.ok) throw new InputError('phone', `phone: ${phone.message}`)
      patch.phone = phone.e164
    }
    if (patch.phone !== current.phone && input.smsConsent === undefined) patch.smsConsent = null
  }
  if (input.smsConsent !== undefined) {
    if (input.smsConsent === null) patch.smsConsent = null
    else {
      if (!(patch.phone ?? (input.phone === undefined ? current.phone : null))) throw new InputError('smsConsent', 'smsConsent: give the contact a phone number first')
      patch.smsConsent = { at: input.smsConsent.at ? new Date(input.smsConsent.at).toISOString() : args.at.toISOString(), source: input.smsConsent.source ?? 'api', text: input.smsConsent.text }
    }
  }
  return patch
}

const PostalInputSchema = z.object({ postalAddress: PostalAddressSchema })

/** The postal address part of a contact change: a new address drops Lob's verdict on the old one (verified again before the next piece). */
function postalPatch(args: { input: Pick<ContactCreateInput, 'postalAddress'>; current: Pick<Contact, 'postalAddress'> }): ContactPatch {
  if (args.input.postalAddress === undefined) return {}
  const address = args.input.postalAddress ? parseInput(PostalInputSchema, { postalAddress: args.input.postalAddress }).postalAddress : null
  if (JSON.stringify(address) === JSON.stringify(args.current.postalAddress ?? null)) return {}
  return { postalAddress: address, postalVerification: null }
}

/** Back to `subscribed` after an unsubscribe; a bounced or complained address stays suppressed. */
export async function resubscribe(tx: DbOrTx, args: { workspaceId: string; contact: Contact; at: Date }) {
  const suppression = await getSuppression(tx, { workspaceId: args.workspaceId, email: args.contact.email })
  if (suppression && endsMailingForGood(suppression.reason)) {
    throw new InputError('status', `${args.contact.email} is suppressed (${suppression.reason}) and cannot be resubscribed`, { status: 409 })
  }
  if (suppression) await liftUnsubscribe(tx, { workspaceId: args.workspaceId, email: args.contact.email })
  await updateContact(tx, { workspaceId: args.workspaceId, contactId: args.contact.id, patch: { status: 'subscribed' }, at: args.at })
}

const MAX_REPORTED_ERRORS = 1000
/** The largest CSV file a contact import takes (the import page's limit; app/utils/body-limit.server.ts allows its upload). */
export const MAX_CONTACT_IMPORT_BYTES = 20 * 1024 * 1024
const INSERT_CHUNK = 1000

/**
 * Start a CSV import: the progress record is created at once and the work continues after the
 * response (the page polls the record). Every row is validated first; any error fails the whole
 * file with a per-row report. Valid files are inserted in one transaction, so nothing is ever
 * half-imported. A crash mid-way leaves the record `importing`/`validating` and no contacts.
 */
export async function startContactImport(services: Services, args: { workspaceId: string; csv: string }): Promise<{ importId: string; done: Promise<void> }> {
  const db = services.database.db
  const { workspaceId } = args
  let rows: string[][] = []
  let parseError: ImportRowError | null = null
  try {
    rows = parseCsv(args.csv)
  } catch (error) {
    if (!(error instanceof CsvError)) throw error
    parseError = { row: error.line - 1, field: 'file', message: error.message }
  }
  const record = await insertContactImport(db, { workspaceId, totalRows: Math.max(0, rows.length - 1), at: services.clock.now() })
  const importId = record.id
  const fail = (errors: ImportRowError[]) =>
    updateContactImport(db, { workspaceId, importId, status: 'failed', errors: errors.slice(0, MAX_REPORTED_ERRORS), finishedAt: services.clock.now() })

  const run = async () => {
    if (parseError) return fail([parseError])
    const definitions = await listFieldDefinitions(db, { workspaceId })
    const progress: Promise<unknown>[] = []
    const { contacts, errors } = validateContactCsv({
      rows,
      definitions,
      onProgress: (processed) => progress.push(updateContactImport(db, { workspaceId, importId, processedRows: processed })),
    })
    await Promise.all(progress)
    if (errors.length > 0) return fail(errors)
    const existing = await findExistingEmails(db, { workspaceId, emails: contacts.map((c) => c.email) })
    if (existing.size > 0) {
      return fail(contacts.flatMap((c, i) => (existing.has(c.email) ? [{ row: i + 1, field: 'email', message: 'a contact with this address already exists' }] : [])))
    }
    await updateContactImport(db, { workspaceId, importId, status: 'importing', processedRows: contacts.length })
    const at = services.clock.now()
    await db.transaction(async (tx) => {
      for (let i = 0; i < contacts.length; i += INSERT_CHUNK) {
        const ids = await insertContactRows(tx, { workspaceId, rows: contacts.slice(i, i + INSERT_CHUNK), at })
        await insertConsentRecords(tx, { workspaceId, contactIds: ids, source: `import:${importId}`, givenAt: at })
      }
    })
    await updateContactImport(db, { workspaceId, importId, status: 'done', importedRows: contacts.length, finishedAt: services.clock.now() })
    // The imported values are field changes: "field changed" triggers enroll (batched; decision 096).
    // The contacts are imported either way: a failure here is logged, never reported as a failed import.
    await onContactsImported(services, { workspaceId, contacts, at }).catch((error: unknown) => services.logger.error({ err: error, workspaceId, importId }, 'field-changed triggers of a contact import failed'))
  }
  const done = run().catch(async (error: unknown) => {
    services.logger.error({ err: error, workspaceId, importId }, 'contact import failed; nothing was imported')
    await fail([{ row: 0, field: 'file', message: 'The import stopped on a server error; nothing was imported. Try again.' }]).catch(() => {})
  })
  return { importId, done }
}
