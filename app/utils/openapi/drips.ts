import { z } from 'zod'
import { DripInputSchema, ENROLLMENT_STATUSES } from '#domain/drip/schema'
import type { Enrollment } from '../../core.server'
import { EnrollInputSchema } from '../../core.server'
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
})

const Settings = z.record(z.string(), z.unknown()).describe('trigger, reentry, goals, window, quietHours (as in DripInput)')

export const DripSchema = z.object({
  id: z.uuid(),
  name: z.string(),
  status: z.enum(['active', 'paused']),
  timezone: z.string(),
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

export const DripSummarySchema = DripSchema.pick({ id: true, name: true, status: true, settings: true, createdAt: true, updatedAt: true, totals: true }).extend({ stepCount: z.number().int() })

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
const notActivatable = { description: 'The drip cannot run yet: the error names the field (postalAddress, sender, steps.N.subject…)' }

export const dripsApi: OpenApiFragment = {
  tags: [{ name: 'drips', description: 'Email drips: steps, triggers, enrollments, counts' }],
  requests: { DripInput: DripInputSchema, EnrollInput: EnrollInputSchema },
  responses: { Drip: DripSchema, DripList: z.object({ drips: z.array(DripSummarySchema) }), EnrollResult: EnrollResultSchema, EnrollmentList: z.object({ enrollments: z.array(EnrollmentSchema) }) },
  paths: {
    '/drips': {
      get: { operationId: 'listDrips', tags: ['drips'], summary: 'Drips with their totals, newest first', responses: { 200: jsonResponse('Drips', 'DripList'), ...errorResponses(401) } },
      post: {
        operationId: 'createDrip',
        tags: ['drips'],
        summary: 'Create a drip (editor); it starts paused',
        requestBody: jsonRequestBody('DripInput'),
        responses: { 201: jsonResponse('The drip', 'Drip'), ...errorResponses(400, 401, 403, 413) },
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
