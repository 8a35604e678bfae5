import { z } from 'zod'
import { EmailSchema, isStorableJson, isStorableText, TagSchema, TimezoneSchema } from '#domain/email/contact'
import { CONTACT_STATUSES, EventNameSchema } from '#domain/email/types'
import { PostalAddressSchema } from '#domain/mail/address'
import type { Contact } from '../../core.server'
import { decayedScore, displayScore } from '#domain/email/score'
import { errorResponses, jsonRequestBody, jsonResponse, type OpenApiFragment } from './helpers'

/** API contract of the email audience: contacts, events (with lead scoring) and inbound DSNs. */

const Text = (max: number) =>
  z
    .string()
    .trim()
    .max(max, `must be at most ${max} characters`)
    .refine(isStorableText, 'must not contain NUL characters or unpaired surrogates')

const FieldValues = z
  .record(Text(40), z.union([Text(1000), z.number(), z.null()]))
  .describe('Custom field values by key (define fields first); dates as YYYY-MM-DD, null clears')

export const ContactCreateSchema = z.strictObject({
  email: EmailSchema,
  name: Text(200).nullable().optional(),
  timezone: TimezoneSchema.nullable().optional(),
  fields: FieldValues.optional(),
  tags: z.array(TagSchema.refine(isStorableText, 'must not contain NUL characters')).max(100).optional(),
  status: z.enum(['subscribed', 'unsubscribed']).optional().describe('Default `subscribed`: the caller asserts consent (recorded with source `api`)'),
  phone: z.string().max(40, 'must be at most 40 characters').nullable().optional().describe('Mobile number, normalised to E.164 (+14155550123); null removes it (and its SMS consent)'),
  smsConsent: z
    .strictObject({
      source: Text(100).pipe(z.string().min(1, 'must not be empty')).optional().describe('Where consent was given (default `api`)'),
      text: Text(1000).nullable().describe('The exact consent text the person saw'),
      at: z.iso.datetime().optional().describe('When (default: now)'),
    })
    .nullable()
    .optional()
    .describe('SMS consent, separate from email consent; null withdraws it. Needs a phone'),
  postalAddress: PostalAddressSchema.nullable().optional().describe('US postal address for direct-mail steps (name, line1, line2, city, state, zip); null removes it'),
})

export const ContactUpdateSchema = ContactCreateSchema.extend({
  status: z.enum(['subscribed', 'unsubscribed', 'complained']).describe('`complained` records a spam complaint: suppressed for good, active enrollments end'),
})
  .partial()
  .refine((v) => Object.keys(v).length > 0, 'send at least one field')

const Instant = z.iso.datetime().describe('UTC instant, ISO 8601')

export const ContactSchema = z.object({
  id: z.uuid(),
  email: z.string(),
  name: z.string().nullable(),
  timezone: z.string().nullable(),
  fields: z.record(z.string(), z.union([z.string(), z.number(), z.null()])),
  tags: z.array(z.string()),
  status: z.enum(CONTACT_STATUSES),
  phone: z.string().nullable(),
  smsConsent: z.object({ at: z.string(), source: z.string(), text: z.string().nullable() }).nullable(),
  postalAddress: z.object({ name: z.string(), line1: z.string(), line2: z.string().optional(), city: z.string(), state: z.string(), zip: z.string() }).nullable(),
  leadScore: z.number().describe('Current score, decay applied'),
  createdAt: Instant,
  updatedAt: Instant,
})

export const EventInputSchema = z.strictObject({
  email: EmailSchema,
  type: EventNameSchema.describe('The event name, e.g. purchase, demo_booked'),
  name: Text(200).optional().describe('The contact’s name, used when the contact is created'),
  properties: z
    .record(z.string(), z.unknown())
    .refine(isStorableJson, 'must not contain NUL characters or unpaired surrogates')
    .refine((p) => JSON.stringify(p).length <= 16_384, 'must be at most 16 KiB as JSON')
    .optional(),
  eventId: Text(200).pipe(z.string().min(1, 'must not be empty')).optional().describe('Idempotency key: the same eventId is recorded once'),
})

export const EventResultSchema = z.object({
  id: z.uuid(),
  contactId: z.uuid(),
  type: z.string(),
  duplicate: z.boolean().describe('True when this eventId was already recorded (nothing changed)'),
  scoreDelta: z.number(),
  occurredAt: Instant,
})

export const DsnInputSchema = z.strictObject({
  recipients: z
    .array(
      z.strictObject({
        recipient: EmailSchema,
        action: z.string().max(50),
        status: z.string().regex(/^[245]\.\d{1,3}\.\d{1,3}$/, 'must be an enhanced status code like 5.1.1'),
        diagnostic: Text(1000).nullable().optional(),
      }),
    )
    .min(1)
    .max(1000),
})

export const DsnResultSchema = z.object({
  suppressed: z.array(z.string()),
  ignored: z.array(z.string()),
  complaint: z
    .object({ contactId: z.uuid().nullable(), stepId: z.uuid().nullable(), duplicate: z.boolean().describe('Already counted (the same message reported before)') })
    .optional()
    .describe('For an ARF spam complaint (Feedback-Type: abuse)'),
})

/** What the edge accepts from a parsed ARF report (domain/email/arf.ts): field names as in the report. */
export const ComplaintReportSchema = z.object({
  feedbackType: z.string().max(64),
  recipients: z.array(EmailSchema).max(100),
  messageId: z.string().max(998).nullable(),
  unsubscribeUrls: z.array(z.url().max(4096)).max(10),
  userAgent: Text(200).nullable(),
  arrivalDate: Text(200).nullable(),
})

const contactIdParam = { name: 'contactId', in: 'path', required: true, description: 'The contact id', schema: { type: 'string', format: 'uuid' } }

export const contactsApi: OpenApiFragment = {
  tags: [{ name: 'contacts', description: 'Email contacts, their events and bounces' }],
  requests: { ContactCreate: ContactCreateSchema, ContactUpdate: ContactUpdateSchema, EventInput: EventInputSchema, DsnInput: DsnInputSchema },
  responses: { Contact: ContactSchema, ContactList: z.object({ contacts: z.array(ContactSchema) }), EventResult: EventResultSchema, DsnResult: DsnResultSchema },
  paths: {
    '/contacts': {
      get: {
        operationId: 'listContacts',
        tags: ['contacts'],
        summary: 'Contacts, newest first',
        parameters: [
          { name: 'search', in: 'query', required: false, description: 'Substring of the email or name', schema: { type: 'string' } },
          { name: 'limit', in: 'query', required: false, description: '1–200, default 50', schema: { type: 'integer' } },
          { name: 'offset', in: 'query', required: false, description: 'Rows to skip', schema: { type: 'integer' } },
        ],
        responses: { 200: jsonResponse('Contacts', 'ContactList'), ...errorResponses(400, 401) },
      },
      post: {
        operationId: 'createContact',
        tags: ['contacts'],
        summary: 'Create a contact (editor)',
        requestBody: jsonRequestBody('ContactCreate'),
        responses: { 201: jsonResponse('The contact', 'Contact'), 409: { description: 'A contact with this email exists' }, ...errorResponses(400, 401, 403, 413) },
      },
    },
    '/contacts/{contactId}': {
      get: { operationId: 'getContact', tags: ['contacts'], summary: 'One contact', parameters: [contactIdParam], responses: { 200: jsonResponse('The contact', 'Contact'), ...errorResponses(401, 404) } },
      patch: {
        operationId: 'updateContact',
        tags: ['contacts'],
        summary: 'Change a contact (editor); `status: unsubscribed` suppresses the address',
        parameters: [contactIdParam],
        requestBody: jsonRequestBody('ContactUpdate'),
        responses: { 200: jsonResponse('The contact', 'Contact'), 409: { description: 'The email is taken, or a bounced/complained address cannot be resubscribed' }, ...errorResponses(400, 401, 403, 404, 413) },
      },
      delete: { operationId: 'deleteContact', tags: ['contacts'], summary: 'Delete a contact and its events (editor); a suppression stays', parameters: [contactIdParam], responses: { 204: { description: 'Deleted' }, ...errorResponses(401, 403, 404) } },
    },
    '/events': {
      post: {
        operationId: 'recordEvent',
        tags: ['contacts'],
        summary: 'Record something a contact did (creates the contact when new); idempotent by eventId; lead-score rules apply',
        requestBody: jsonRequestBody('EventInput'),
        responses: { 201: jsonResponse('Recorded', 'EventResult'), 200: jsonResponse('Already recorded (same eventId)', 'EventResult'), ...errorResponses(400, 401, 403, 413) },
      },
    },
    '/dsn': {
      post: {
        operationId: 'receiveDsn',
        tags: ['contacts'],
        summary: 'Inbound delivery status notifications (JSON, or a raw message/delivery-status or multipart/report body; hard bounces are suppressed) and ARF spam complaints (multipart/report; report-type=feedback-report: the contact becomes complained, suppressed for good)',
        requestBody: jsonRequestBody('DsnInput'),
        responses: { 200: jsonResponse('What was suppressed', 'DsnResult'), 422: { description: 'An abuse report that names no recipient of this workspace (field Original-Rcpt-To)' }, ...errorResponses(400, 401, 403, 413) },
      },
    },
  },
}

export function contactJson(contact: Contact, args: { now: Date; halfLifeDays: number | null }): z.infer<typeof ContactSchema> {
  return {
    id: contact.id,
    email: contact.email,
    name: contact.name,
    timezone: contact.timezone,
    fields: contact.fields,
    tags: contact.tags,
    status: contact.status,
    phone: contact.phone,
    smsConsent: contact.smsConsent,
    postalAddress: contact.postalAddress ?? null,
    leadScore: displayScore(decayedScore({ stored: { score: contact.leadScore, at: contact.leadScoreAt }, now: args.now, halfLifeDays: args.halfLifeDays })),
    createdAt: contact.createdAt.toISOString(),
    updatedAt: contact.updatedAt.toISOString(),
  }
}
