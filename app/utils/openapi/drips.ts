import { z } from 'zod'
import { DripInputSchema, DripSettingsSchema, ENROLLMENT_STATUSES } from '#domain/drip/schema'
import type { Enrollment } from '../../core.server'
import { EnrollInputSchema, TimelinePreviewInputSchema } from '../../core.server'
import { errorResponses, jsonRequestBody, jsonResponse, type OpenApiFragment } from './helpers'

/** API contract of email drips (docs/decisions/016-drip-engine.md). */

const Instant = z.iso.datetime().describe('UTC instant, ISO 8601')

const Counts = z.object({
  waiting: z.number().int(),
  sent: z.number().int(),
  delivered: z.number().int(),
  opened: z.number().int(),
  clicked: z.number().int(),
  unsubscribed: z.number().int(),
  bounced: z.number().int(),
  complained: z.number().int(),
  skipped: z.number().int(),
  failed: z.number().int(),
})

const Totals = z.object({
  enrolled: z.number().int(),
  active: z.number().int(),
  completed: z.number().int(),
  goalReached: z.number().int(),
  unsubscribed: z.number().int(),
  exited: z.number().int(),
  sent: z.number().int(),
  delivered: z.number().int(),
  opened: z.number().int(),
  clicked: z.number().int(),
  bounced: z.number().int(),
  complained: z.number().int(),
})

const Settings = DripSettingsSchema.describe('triggers (any of them enrolls a contact), reentry, goals, window, quietHours (as in DripInput)')

export const DripSchema = z.object({
  id: z.uuid(),
  name: z.string(),
  status: z.enum(['active', 'paused']),
  timezone: z.string(),
  utm: z.boolean().describe('Tracked links carry utm_source=email, utm_medium=email, utm_campaign (the drip name) and utm_content (the step)'),
  campaign: z.string().nullable().describe('The campaign tag this drip shares with series: GET /analytics/campaigns/{campaign}'),
  settings: Settings,
  createdAt: Instant,
  updatedAt: Instant,
  steps: z.array(
    z.object({
      id: z.uuid(),
      position: z.number().int(),
      subject: z.string(),
      markdown: z.string(),
      settings: z.record(z.string(), z.unknown()).describe('delay, after, window, quietHours, condition, onFalse'),
      counts: Counts,
    }),
  ),
  totals: Totals,
  funnel: z.array(z.object({ position: z.number().int(), reached: z.number().int(), sent: z.number().int(), rate: z.number() })),
})

export const DripSummarySchema = DripSchema.pick({ id: true, name: true, status: true, settings: true, createdAt: true, updatedAt: true }).extend({
  totals: Totals.extend({ sentLast7Days: z.number().int().describe('emails sent in the last 7 days') }),
  stepCount: z.number().int(),
  draft: z.boolean().describe('paused and never ran (no enrollment, no delivery)'),
})

export const EnrollmentSchema = z.object({
  id: z.uuid(),
  dripId: z.uuid(),
  contactId: z.uuid(),
  cycle: z.number().int(),
  status: z.enum(ENROLLMENT_STATUSES),
  stepPosition: z.number().int().describe('The next step to send (0-based)'),
  nextDueAt: Instant.nullable(),
  source: z.string(),
  startedAt: Instant,
  endedAt: Instant.nullable(),
  endReason: z.string().nullable().describe('Why it ended (goal, unsubscribe, "removed by …")'),
})

export const EnrollResultSchema = z.object({ enrollment: EnrollmentSchema, created: z.boolean() })

export const TimelinePreviewSchema = z.object({
  zone: z.string().describe('The IANA zone the times are in: the sample contact’s, else `zone`, else the drip’s'),
  contact: z.object({ email: z.string(), timezone: z.string().nullable() }).nullable(),
  enrolledAt: Instant,
  local: z.string().describe('enrolledAt as wall time in the zone, YYYY-MM-DDTHH:mm'),
  assumes: z.string(),
  steps: z.array(
    z.object({
      position: z.number().int(),
      at: Instant,
      local: z.string().describe('Wall time in the zone, YYYY-MM-DDTHH:mm'),
      weekday: z.number().int().describe('0 = Monday'),
      offset: z.string().describe('The zone’s UTC offset at that instant, e.g. +09:00'),
      movedByWindow: z.boolean().describe('The send window or quiet hours moved the step later than its delay alone'),
    }),
  ),
})

export function enrollmentJson(e: Enrollment): z.infer<typeof EnrollmentSchema> {
  return {
    id: e.id,
    dripId: e.sequenceId,
    contactId: e.contactId,
    cycle: e.cycle,
    status: e.status,
    stepPosition: e.stepPosition,
    nextDueAt: e.nextDueAt?.toISOString() ?? null,
    source: e.source,
    startedAt: e.startedAt.toISOString(),
    endedAt: e.endedAt?.toISOString() ?? null,
    endReason: e.endReason,
  }
}

const dripIdParam = { name: 'dripId', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } }
const notActivatable = { description: 'The drip cannot run yet: the error names the field (postalAddress, sender, steps.N.subject, triggers.N.segmentId…)' }

export const dripsApi: OpenApiFragment = {
  tags: [{ name: 'drips', description: 'Email drips: steps, triggers, enrollments, counts' }],
  requests: { DripInput: DripInputSchema, EnrollInput: EnrollInputSchema, TimelinePreviewInput: TimelinePreviewInputSchema },
  responses: {
    Drip: DripSchema,
    DripList: z.object({ drips: z.array(DripSummarySchema) }),
    EnrollResult: EnrollResultSchema,
    EnrollmentList: z.object({ enrollments: z.array(EnrollmentSchema) }),
    TimelinePreview: TimelinePreviewSchema,
  },
  paths: {
    '/drips': {
      get: { operationId: 'listDrips', tags: ['drips'], summary: 'Drips with their totals, newest first', responses: { 200: jsonResponse('Drips', 'DripList'), ...errorResponses(401) } },
      post: {
        operationId: 'createDrip',
        tags: ['drips'],
        summary: 'Create a drip (editor); it starts paused',
        description:
          'Any of `triggers` (1 to 10, none twice, `manual` only alone) enrolls a contact, under the one re-entry policy. The single `trigger` of earlier clients is still accepted and read as `triggers: [trigger]`. Every form, segment and date field a trigger names must exist in the workspace (400 naming `triggers.N.formId`, `triggers.N.segmentId`, `triggers.N.field`).',
        requestBody: jsonRequestBody('DripInput'),
        responses: { 201: jsonResponse('The drip', 'Drip'), ...errorResponses(400, 401, 403, 413) },
      },
    },
    '/drips/preview-timeline': {
      post: {
        operationId: 'previewDripTimeline',
        tags: ['drips'],
        summary: 'When each step would reach a contact enrolling now (or at enrolledAt) in a zone, or a sample contact (by email)',
        description: 'Uses the runner’s timing (delays, `after`, send window, quiet hours, daylight-saving changes) and assumes every condition holds.',
        requestBody: jsonRequestBody('TimelinePreviewInput'),
        responses: { 200: jsonResponse('Each step’s send time in the zone and in UTC', 'TimelinePreview'), ...errorResponses(400, 401, 413) },
      },
    },
    '/drips/{dripId}': {
      get: { operationId: 'getDrip', tags: ['drips'], summary: 'One drip with per-step counts and the funnel', parameters: [dripIdParam], responses: { 200: jsonResponse('The drip', 'Drip'), ...errorResponses(401, 404) } },
      put: {
        operationId: 'updateDrip',
        tags: ['drips'],
        summary: 'Replace a drip’s definition (editor); steps sent with their id keep their history',
        parameters: [dripIdParam],
        requestBody: jsonRequestBody('DripInput'),
        responses: { 200: jsonResponse('The drip', 'Drip'), 422: notActivatable, ...errorResponses(400, 401, 403, 404, 413) },
      },
      delete: { operationId: 'deleteDrip', tags: ['drips'], summary: 'Delete a drip, its enrollments and deliveries (editor)', parameters: [dripIdParam], responses: { 204: { description: 'Deleted' }, ...errorResponses(401, 403, 404) } },
    },
    '/drips/{dripId}/activate': {
      post: { operationId: 'activateDrip', tags: ['drips'], summary: 'Start sending (editor)', parameters: [dripIdParam], responses: { 200: jsonResponse('The drip', 'Drip'), 422: notActivatable, ...errorResponses(401, 403, 404) } },
    },
    '/drips/{dripId}/pause': {
      post: { operationId: 'pauseDrip', tags: ['drips'], summary: 'Stop sending; enrollments keep their place (editor)', parameters: [dripIdParam], responses: { 200: jsonResponse('The drip', 'Drip'), ...errorResponses(401, 403, 404) } },
    },
    '/drips/{dripId}/enrollments': {
      get: { operationId: 'listEnrollments', tags: ['drips'], summary: 'Enrollments of a drip', parameters: [dripIdParam], responses: { 200: jsonResponse('Enrollments', 'EnrollmentList'), ...errorResponses(401, 404) } },
      post: {
        operationId: 'enrollContact',
        tags: ['drips'],
        summary: 'Enroll an existing contact by id or email (editor); idempotent by idempotencyKey, else the drip’s re-entry policy decides',
        parameters: [dripIdParam],
        requestBody: jsonRequestBody('EnrollInput'),
        responses: { 201: jsonResponse('Enrolled', 'EnrollResult'), 200: jsonResponse('Already enrolled (same key, or the re-entry policy keeps the existing enrollment)', 'EnrollResult'), ...errorResponses(400, 401, 403, 404, 413) },
      },
    },
    '/drips/{dripId}/enrollments/{contactId}': {
      delete: {
        operationId: 'removeFromDrip',
        tags: ['drips'],
        summary: 'Remove a contact from a drip (editor): its active enrollment ends as `exited` with the reason recorded; nothing more is sent',
        parameters: [
          dripIdParam,
          { name: 'contactId', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } },
          { name: 'reason', in: 'query', required: false, description: 'Recorded with the enrollment (at most 200 characters)', schema: { type: 'string', maxLength: 200 } },
        ],
        responses: {
          200: jsonResponse('The enrollments that ended (empty when none was active)', 'EnrollmentList'),
          ...errorResponses(400, 401, 403, 404),
        },
      },
    },
  },
}
