import { sql } from 'drizzle-orm'
import { doublePrecision, index, integer, jsonb, pgTable, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core'
import { instant } from './columns'
import type { ContactStatus, FieldType, FrequencyCap, SegmentRule } from '../../domain/email/types'
import type { PostalAddress, PostalVerification } from '../../domain/mail/address'
import { accounts } from './accounts'
import { sequences } from './sequences'
import { workspaceRef, workspaces } from './workspaces'

/**
 * The email audience of a workspace: contacts with typed custom fields, tags, a decaying lead score,
 * consent records, events, the suppression list, segments, signup forms, CSV imports and the
 * workspace's email settings (docs/decisions/008-email-foundations.md).
 */

export { CONTACT_STATUSES, type ContactStatus } from '../../domain/email/types'

export type ContactFieldValues = Record<string, string | number | null>

export const contacts = pgTable(
  'contacts',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    workspaceId: workspaceRef(),
    /** Lower-cased; one contact per address and workspace. */
    email: text('email').notNull(),
    name: text('name'),
    /** IANA zone for send windows and date-field triggers; null: the workspace's zone. */
    timezone: text('timezone'),
    /** Values of the workspace's custom field definitions, by key (dates as YYYY-MM-DD). */
    fields: jsonb('fields').$type<ContactFieldValues>().notNull().default({}),
    tags: text('tags').array().notNull().default([]),
    status: text('status').$type<ContactStatus>().notNull().default('subscribed'),
    /** The score as of `leadScoreAt`; read it through `currentLeadScore` (it decays with time). */
    leadScore: doublePrecision('lead_score').notNull().default(0),
    leadScoreAt: instant('lead_score_at'),
    /** E.164 (`+14155550123`), validated by domain/sms/phone.ts; null: no SMS steps reach this contact (decision 081). */
    phone: text('phone'),
    /** The contact's SMS consent, separate from email's: when, where and the exact text shown. Null: none given. */
    smsConsent: jsonb('sms_consent').$type<SmsConsent>(),
    /** US postal address for direct-mail steps (domain/mail/address.ts); null: mail steps skip the contact (decision 089). */
    postalAddress: jsonb('postal_address').$type<PostalAddress>(),
    /** Lob's verdict on `postalAddress`, taken before the first piece; cleared when the address changes. */
    postalVerification: jsonb('postal_verification').$type<PostalVerification>(),
    createdAt: instant('created_at').notNull().defaultNow(),
    updatedAt: instant('updated_at').notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('contacts_workspace_email_uq').on(t.workspaceId, t.email),
    index('contacts_workspace_created_idx').on(t.workspaceId, t.createdAt),
    index('contacts_workspace_phone_idx').on(t.workspaceId, t.phone),
  ],
)

/** SMS consent as given: when, through what (`form:<id>`, `api`, `import`, `keyword`), and the text shown. */
export type SmsConsent = { at: string; source: string; text: string | null }

/** Every consent a contact gave: when, where, from which IP, the exact text shown, and the double opt-in confirmation. */
export const consentRecords = pgTable(
  'consent_records',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    workspaceId: workspaceRef(),
    contactId: uuid('contact_id')
      .notNull()
      .references(() => contacts.id, { onDelete: 'cascade' }),
    /** `form:<formId>` | `api` | `import` | `manual` */
    source: text('source').notNull(),
    ip: text('ip'),
    consentText: text('consent_text'),
    givenAt: instant('given_at').notNull(),
    confirmedAt: instant('confirmed_at'),
  },
  (t) => [index('consent_records_contact_idx').on(t.workspaceId, t.contactId)],
)

export const customFieldDefinitions = pgTable(
  'custom_field_definitions',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    workspaceId: workspaceRef(),
    /** Used in merge fields (`{{ key }}`), CSV headers and the API. */
    key: text('key').notNull(),
    label: text('label').notNull(),
    type: text('type').$type<FieldType>().notNull(),
    createdAt: instant('created_at').notNull().defaultNow(),
  },
  (t) => [uniqueIndex('custom_field_definitions_key_uq').on(t.workspaceId, t.key)],
)

/** `sms_reply`, `sms_opted_out`, `sms_opted_in`: inbound texts (decision 081). `soft_bounced`: a DSN's temporary failure (decision 096). */
export const CONTACT_EVENT_TYPES = ['event', 'sent', 'opened', 'clicked', 'bounced', 'soft_bounced', 'complained', 'unsubscribed', 'sms_reply', 'sms_opted_out', 'sms_opted_in'] as const
export type ContactEventType = (typeof CONTACT_EVENT_TYPES)[number]

/** Something a contact did or that happened to them: API events, email activity. Drives triggers, conditions and score. */
export const contactEvents = pgTable(
  'contact_events',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    workspaceId: workspaceRef(),
    contactId: uuid('contact_id')
      .notNull()
      .references(() => contacts.id, { onDelete: 'cascade' }),
    type: text('type').$type<ContactEventType>().notNull(),
    /** For `event`: its name (`purchase`, `demo_booked`). */
    name: text('name'),
    properties: jsonb('properties').$type<Record<string, unknown>>().notNull().default({}),
    /** Caller's idempotency key (API `eventId`); tracked opens/clicks use a derived one. Null: not deduplicated. */
    eventKey: text('event_key'),
    /** The drip, enrollment and step an email event belongs to (no foreign keys until those tables exist). */
    sequenceId: uuid('sequence_id'),
    enrollmentId: uuid('enrollment_id'),
    stepId: uuid('step_id'),
    scoreDelta: doublePrecision('score_delta').notNull().default(0),
    occurredAt: instant('occurred_at').notNull(),
  },
  (t) => [
    uniqueIndex('contact_events_key_uq').on(t.workspaceId, t.eventKey),
    index('contact_events_contact_idx').on(t.workspaceId, t.contactId, t.occurredAt),
    // Analytics (decision 088): a drip's email events, and a contact's named events (goals, conditions).
    index('contact_events_sequence_idx').on(t.sequenceId, t.occurredAt).where(sql`${t.sequenceId} is not null`),
    index('contact_events_named_idx').on(t.workspaceId, t.contactId, t.name, t.occurredAt).where(sql`${t.type} = 'event'`),
  ],
)

export const SUPPRESSION_REASONS = ['unsubscribed', 'hard_bounce', 'complaint', 'manual'] as const
export type SuppressionReason = (typeof SUPPRESSION_REASONS)[number]

/** Addresses that must never be mailed (checked right before every send), whether or not a contact exists. */
export const suppressions = pgTable(
  'suppressions',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    workspaceId: workspaceRef(),
    email: text('email').notNull(),
    reason: text('reason').$type<SuppressionReason>().notNull(),
    /** SMTP reply, DSN status or where the unsubscribe came from. */
    detail: text('detail'),
    createdAt: instant('created_at').notNull(),
  },
  (t) => [uniqueIndex('suppressions_workspace_email_uq').on(t.workspaceId, t.email)],
)

export const segments = pgTable(
  'segments',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    workspaceId: workspaceRef(),
    name: text('name').notNull(),
    rule: jsonb('rule').$type<SegmentRule>().notNull(),
    createdAt: instant('created_at').notNull().defaultNow(),
    updatedAt: instant('updated_at').notNull().defaultNow(),
  },
  (t) => [index('segments_workspace_idx').on(t.workspaceId)],
)

/** A hosted (and embeddable) signup form with double opt-in. */
export const signupForms = pgTable(
  'signup_forms',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    workspaceId: workspaceRef(),
    name: text('name').notNull(),
    /** Shown next to the button and stored verbatim in the consent record. */
    consentText: text('consent_text').notNull(),
    /** Tags given to contacts who confirm. */
    tags: text('tags').array().notNull().default([]),
    createdAt: instant('created_at').notNull().defaultNow(),
  },
  (t) => [index('signup_forms_workspace_idx').on(t.workspaceId)],
)

/** Sending identity and audience rules of a workspace (one row per workspace). */
export const emailSettings = pgTable('email_settings', {
  workspaceId: uuid('workspace_id')
    .primaryKey()
    .references(() => workspaces.id, { onDelete: 'cascade' }),
  fromName: text('from_name').notNull(),
  fromEmail: text('from_email').notNull(),
  replyTo: text('reply_to'),
  /** Required in every marketing message (CAN-SPAM); the drip editor refuses to activate without it. */
  postalAddress: text('postal_address').notNull(),
  /** The `email` account holding the SMTP settings and password (sealed by the token vault). */
  senderAccountId: uuid('sender_account_id').references(() => accounts.id, { onDelete: 'set null' }),
  /** Null: the score never halves with time (score rules live in db/schema/score.ts). */
  scoreHalfLifeDays: doublePrecision('score_half_life_days'),
  frequencyCap: jsonb('frequency_cap').$type<FrequencyCap>(),
  updatedAt: instant('updated_at').notNull().defaultNow(),
})

/** `row`: the data row (1 is the first after the header); `line`: the line in the file, where the report has it. */
export type ImportRowError = { row: number; field: string; message: string; line?: number }

/** A row of a CSV enrolled into a drip: its line in the file and the address (or, with `problem`, what is wrong with it). */
export type BulkEnrollmentRow = { line: number; email: string; problem?: string }

/**
 * A bulk job's progress record, polled by its page: a CSV import of contacts (kind `contacts`: all rows
 * inserted in one transaction or none), or a segment or CSV enrolled into a drip (kind `enrollment`, a
 * background job that commits a batch and its counts together and resumes at `cursor`; decision 074).
 */
export const contactImports = pgTable(
  'contact_imports',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    workspaceId: workspaceRef(),
    kind: text('kind').$type<'contacts' | 'enrollment'>().notNull().default('contacts'),
    /** `validating` | `importing` | `done` | `failed` */
    status: text('status').notNull(),
    totalRows: integer('total_rows').notNull(),
    processedRows: integer('processed_rows').notNull().default(0),
    /** Contacts imported, or (kind `enrollment`) enrolled. */
    importedRows: integer('imported_rows').notNull().default(0),
    errors: jsonb('errors').$type<ImportRowError[]>().notNull().default([]),
    /** Kind `enrollment`: the drip, and the segment or the CSV's rows to enroll. */
    sequenceId: uuid('sequence_id').references(() => sequences.id, { onDelete: 'cascade' }),
    segmentId: uuid('segment_id'),
    rows: jsonb('rows').$type<BulkEnrollmentRow[]>(),
    /** Kind `enrollment`: where the next batch starts (the next row's index, or the last contact id walked). */
    cursor: text('cursor'),
    /** Kind `enrollment`: already in the drip (or the re-entry policy said no), suppressed (never mailed), not enrollable. */
    existingRows: integer('existing_rows').notNull().default(0),
    suppressedRows: integer('suppressed_rows').notNull().default(0),
    invalidRows: integer('invalid_rows').notNull().default(0),
    /** Who started it (for the page's history). */
    startedBy: text('started_by'),
    createdAt: instant('created_at').notNull(),
    finishedAt: instant('finished_at'),
  },
  (t) => [index('contact_imports_workspace_idx').on(t.workspaceId, t.createdAt), index('contact_imports_sequence_idx').on(t.sequenceId, t.createdAt)],
)
