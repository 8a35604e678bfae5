import { and, asc, desc, eq, gt, ilike, or, sql } from 'drizzle-orm'
import type { ContactRow } from '../../domain/email/contact'
import type { ScoreRule } from '../../domain/email/types'
import type { Db, DbOrTx } from '../client'
import {
  consentRecords,
  contactImports,
  contacts,
  customFieldDefinitions,
  emailSettings,
  signupForms,
  type ContactFieldValues,
  type ContactStatus,
  type ImportRowError,
} from '../schema'
import { replaceScoreRules } from './score-rules'

export type Contact = typeof contacts.$inferSelect

function scoped(args: { workspaceId: string; contactId: string }) {
  return and(eq(contacts.workspaceId, args.workspaceId), eq(contacts.id, args.contactId))
}

export async function getContact(db: DbOrTx, args: { workspaceId: string; contactId: string }): Promise<Contact | null> {
  const [row] = await db.select().from(contacts).where(scoped(args))
  return row ?? null
}

export async function findContactByEmail(db: DbOrTx, args: { workspaceId: string; email: string }): Promise<Contact | null> {
  const [row] = await db
    .select()
    .from(contacts)
    .where(and(eq(contacts.workspaceId, args.workspaceId), eq(contacts.email, args.email.trim().toLowerCase())))
  return row ?? null
}

/** Newest first; `search` matches email or name (substring, case-insensitive). */
export async function listContacts(db: DbOrTx, args: { workspaceId: string; search?: string; limit?: number; offset?: number }) {
  const pattern = args.search?.trim() ? `%${args.search.trim().replace(/[\\%_]/g, (c) => `\\${c}`)}%` : null
  return db
    .select()
    .from(contacts)
    .where(and(eq(contacts.workspaceId, args.workspaceId), pattern ? or(ilike(contacts.email, pattern), ilike(contacts.name, pattern)) : undefined))
    .orderBy(desc(contacts.createdAt), desc(contacts.id))
    .limit(args.limit ?? 50)
    .offset(args.offset ?? 0)
}

export async function countContacts(db: DbOrTx, args: { workspaceId: string }): Promise<number> {
  const [row] = await db.select({ n: sql<number>`count(*)::int` }).from(contacts).where(eq(contacts.workspaceId, args.workspaceId))
  return row?.n ?? 0
}

/** Every contact of the workspace in id order, a page at a time (CSV export, segment evaluation). */
export async function* walkContacts(db: Db, args: { workspaceId: string; batchSize?: number; /** Start after this contact id. */ after?: string }): AsyncGenerator<Contact[]> {
  let after = args.after ?? '00000000-0000-0000-0000-000000000000'
  for (;;) {
    const batch = await db
      .select()
      .from(contacts)
      .where(and(eq(contacts.workspaceId, args.workspaceId), gt(contacts.id, after)))
      .orderBy(asc(contacts.id))
      .limit(args.batchSize ?? 500)
    if (batch.length === 0) return
    yield batch
    after = batch[batch.length - 1]!.id
  }
}

export type NewContact = {
  workspaceId: string
  email: string
  name?: string | null
  timezone?: string | null
  fields?: ContactFieldValues
  tags?: string[]
  status?: ContactStatus
  at: Date
}

export class DuplicateContactError extends Error {
  override name = 'DuplicateContactError'
}

/** A new contact; a second one with the same address in the workspace is a DuplicateContactError. */
export async function insertContact(db: DbOrTx, args: NewContact): Promise<Contact> {
  const row = await insertIfAbsent(db, args)
  if (!row) throw new DuplicateContactError(`A contact with the address ${args.email} already exists`)
  return row
}

async function insertIfAbsent(db: DbOrTx, args: NewContact): Promise<Contact | undefined> {
  const [row] = await db
    .insert(contacts)
    .values({
      workspaceId: args.workspaceId,
      email: args.email.trim().toLowerCase(),
      name: args.name ?? null,
      timezone: args.timezone ?? null,
      fields: args.fields ?? {},
      tags: args.tags ?? [],
      status: args.status ?? 'subscribed',
      createdAt: args.at,
      updatedAt: args.at,
    })
    .onConflictDoNothing({ target: [contacts.workspaceId, contacts.email] })
    .returning()
  return row
}

/** The contact with this address, created (with `defaults`) when there is none. */
export async function ensureContact(db: DbOrTx, args: NewContact): Promise<{ contact: Contact; created: boolean }> {
  const row = await insertIfAbsent(db, args)
  if (row) return { contact: row, created: true }
  const existing = await findContactByEmail(db, args)
  if (!existing) throw new Error('contact vanished while being ensured')
  return { contact: existing, created: false }
}

export type ContactPatch = Partial<Pick<Contact, 'name' | 'timezone' | 'fields' | 'tags' | 'status' | 'email' | 'phone' | 'smsConsent' | 'postalAddress' | 'postalVerification'>>

export async function updateContact(db: DbOrTx, args: { workspaceId: string; contactId: string; patch: ContactPatch; at: Date }): Promise<Contact | null> {
  const [row] = await db
    .update(contacts)
    .set({ ...args.patch, ...(args.patch.email ? { email: args.patch.email.toLowerCase() } : {}), updatedAt: args.at })
    .where(scoped(args))
    .returning()
  return row ?? null
}

export async function deleteContact(db: DbOrTx, args: { workspaceId: string; contactId: string }): Promise<boolean> {
  const rows = await db.delete(contacts).where(scoped(args)).returning({ id: contacts.id })
  return rows.length > 0
}

/** Store a score computed by domain/email/score (under `lockContact` in the same transaction). */
export async function setLeadScore(db: DbOrTx, args: { workspaceId: string; contactId: string; score: number; at: Date }) {
  await db.update(contacts).set({ leadScore: args.score, leadScoreAt: args.at }).where(scoped(args))
}

export async function lockContact(db: DbOrTx, args: { workspaceId: string; contactId: string }): Promise<Contact | null> {
  const [row] = await db.select().from(contacts).where(scoped(args)).for('update')
  return row ?? null
}

/** Insert many contacts (an import): all in the caller's transaction; an existing address fails the whole batch. */
export async function insertContactRows(db: DbOrTx, args: { workspaceId: string; rows: ContactRow[]; at: Date }): Promise<string[]> {
  if (args.rows.length === 0) return []
  const inserted = await db
    .insert(contacts)
    .values(args.rows.map((r) => ({ workspaceId: args.workspaceId, ...r, status: 'subscribed' as const, createdAt: args.at, updatedAt: args.at })))
    .returning({ id: contacts.id })
  return inserted.map((r) => r.id)
}

export async function findExistingEmails(db: DbOrTx, args: { workspaceId: string; emails: string[] }): Promise<Set<string>> {
  if (args.emails.length === 0) return new Set()
  const rows = await db
    .select({ email: contacts.email })
    .from(contacts)
    .where(and(eq(contacts.workspaceId, args.workspaceId), sql`${contacts.email} = ANY(${sql.param(args.emails)}::text[])`))
  return new Set(rows.map((r) => r.email))
}

// Consent records

export async function insertConsentRecord(
  db: DbOrTx,
  args: { workspaceId: string; contactId: string; source: string; ip: string | null; consentText: string | null; givenAt: Date; confirmedAt?: Date | null },
) {
  const [row] = await db
    .insert(consentRecords)
    .values({ ...args, confirmedAt: args.confirmedAt ?? null })
    .returning()
  return row!
}

export async function insertConsentRecords(db: DbOrTx, args: { workspaceId: string; contactIds: string[]; source: string; givenAt: Date }) {
  if (args.contactIds.length === 0) return
  await db.insert(consentRecords).values(args.contactIds.map((contactId) => ({ workspaceId: args.workspaceId, contactId, source: args.source, givenAt: args.givenAt })))
}

/** Mark a consent confirmed (double opt-in); the first confirmation time stays. */
export async function confirmConsentRecord(db: DbOrTx, args: { workspaceId: string; contactId: string; consentId: string; at: Date }) {
  const [row] = await db
    .update(consentRecords)
    .set({ confirmedAt: sql`coalesce(${consentRecords.confirmedAt}, ${args.at.toISOString()}::timestamptz)` })
    .where(and(eq(consentRecords.workspaceId, args.workspaceId), eq(consentRecords.contactId, args.contactId), eq(consentRecords.id, args.consentId)))
    .returning()
  return row ?? null
}

export async function listConsentRecords(db: DbOrTx, args: { workspaceId: string; contactId: string }) {
  return db
    .select()
    .from(consentRecords)
    .where(and(eq(consentRecords.workspaceId, args.workspaceId), eq(consentRecords.contactId, args.contactId)))
    .orderBy(desc(consentRecords.givenAt))
}

// Custom field definitions

export async function listFieldDefinitions(db: DbOrTx, args: { workspaceId: string }) {
  return db.select().from(customFieldDefinitions).where(eq(customFieldDefinitions.workspaceId, args.workspaceId)).orderBy(asc(customFieldDefinitions.key))
}

export async function insertFieldDefinition(db: DbOrTx, args: { workspaceId: string; key: string; label: string; type: 'text' | 'number' | 'date' }) {
  const [row] = await db.insert(customFieldDefinitions).values(args).onConflictDoNothing().returning()
  return row ?? null
}

// Email settings and signup forms

export type EmailSettings = typeof emailSettings.$inferSelect

export async function getEmailSettings(db: DbOrTx, args: { workspaceId: string }): Promise<EmailSettings | null> {
  const [row] = await db.select().from(emailSettings).where(eq(emailSettings.workspaceId, args.workspaceId))
  return row ?? null
}

/**
 * Insert or replace the workspace's email settings. `scoreRules`, when given, replaces the workspace's
 * score rules too (they lived in this row before migration 0012; callers that set everything at once keep working).
 */
export async function saveEmailSettings(db: DbOrTx, args: Omit<typeof emailSettings.$inferInsert, 'updatedAt'> & { at: Date; scoreRules?: ScoreRule[] }): Promise<EmailSettings> {
  const { at, scoreRules, ...values } = args
  if (scoreRules) await replaceScoreRules(db, { workspaceId: args.workspaceId, rules: scoreRules, at })
  const [row] = await db
    .insert(emailSettings)
    .values({ ...values, updatedAt: at })
    .onConflictDoUpdate({ target: emailSettings.workspaceId, set: { ...values, updatedAt: at } })
    .returning()
  return row!
}

export type SignupForm = typeof signupForms.$inferSelect

export async function insertSignupForm(db: DbOrTx, args: { workspaceId: string; name: string; consentText: string; tags?: string[] }): Promise<SignupForm> {
  const [row] = await db
    .insert(signupForms)
    .values({ ...args, tags: args.tags ?? [] })
    .returning()
  return row!
}

export async function listSignupForms(db: DbOrTx, args: { workspaceId: string }) {
  return db.select().from(signupForms).where(eq(signupForms.workspaceId, args.workspaceId)).orderBy(asc(signupForms.createdAt))
}

/**
 * A form by its public id, for the public signup pages. Unscoped by design: the unguessable id in the
 * URL is what names the workspace (as an API token does).
 */
export async function findPublicSignupForm(db: DbOrTx, args: { formId: string }): Promise<SignupForm | null> {
  const [row] = await db.select().from(signupForms).where(eq(signupForms.id, args.formId))
  return row ?? null
}

// CSV imports

export type ContactImport = typeof contactImports.$inferSelect

export async function insertContactImport(db: DbOrTx, args: { workspaceId: string; totalRows: number; at: Date }): Promise<ContactImport> {
  const [row] = await db
    .insert(contactImports)
    .values({ workspaceId: args.workspaceId, status: 'validating', totalRows: args.totalRows, createdAt: args.at })
    .returning()
  return row!
}

export async function getContactImport(db: DbOrTx, args: { workspaceId: string; importId: string }): Promise<ContactImport | null> {
  const [row] = await db
    .select()
    .from(contactImports)
    .where(and(eq(contactImports.workspaceId, args.workspaceId), eq(contactImports.id, args.importId), eq(contactImports.kind, 'contacts')))
  return row ?? null
}

export async function updateContactImport(
  db: DbOrTx,
  args: { workspaceId: string; importId: string; status?: string; processedRows?: number; importedRows?: number; errors?: ImportRowError[]; finishedAt?: Date },
) {
  const { workspaceId, importId, ...set } = args
  await db
    .update(contactImports)
    .set(set)
    .where(and(eq(contactImports.workspaceId, workspaceId), eq(contactImports.id, importId)))
}
