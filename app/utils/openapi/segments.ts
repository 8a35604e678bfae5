import { z } from 'zod'
import { CONTACT_STATUSES, SegmentRuleSchema } from '#domain/email/types'
import { SegmentInputSchema, SegmentPatchSchema, SegmentPreviewInputSchema } from '../../core.server'
import { errorResponses, jsonRequestBody, jsonResponse, type OpenApiFragment } from './helpers'

/** API contract of segments: saved rules over contacts (core/segments.server.ts). */

const Instant = z.iso.datetime().describe('UTC instant, ISO 8601')

export const SegmentSchema = z.object({
  id: z.uuid(),
  name: z.string(),
  rule: SegmentRuleSchema,
  memberCount: z.number().int().describe('Contacts matching the rule now, any status (a drip enrolls only subscribed ones)'),
  usedBy: z.array(z.object({ id: z.uuid(), name: z.string(), as: z.enum(['trigger', 'condition']) })).describe('Drips naming this segment'),
  createdAt: Instant,
  updatedAt: Instant,
})

export const SegmentPreviewSchema = z.object({
  count: z.number().int(),
  sample: z.array(z.object({ id: z.uuid(), email: z.string(), name: z.string().nullable(), status: z.enum(CONTACT_STATUSES) })).max(10),
})

const segmentIdParam = { name: 'segmentId', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } }

export const segmentsApi: OpenApiFragment = {
  tags: [{ name: 'segments', description: 'Saved rules over contacts (fields, tags, score, status, events, email activity)' }],
  requests: { SegmentInput: SegmentInputSchema, SegmentPatch: SegmentPatchSchema, SegmentPreviewInput: SegmentPreviewInputSchema },
  responses: { Segment: SegmentSchema, SegmentList: z.object({ segments: z.array(SegmentSchema) }), SegmentPreview: SegmentPreviewSchema },
  paths: {
    '/segments': {
      get: { operationId: 'listSegments', tags: ['segments'], summary: 'Segments by name, with member counts and the drips using each', responses: { 200: jsonResponse('Segments', 'SegmentList'), ...errorResponses(401) } },
      post: {
        operationId: 'createSegment',
        tags: ['segments'],
        summary: 'Create a segment (editor)',
        requestBody: jsonRequestBody('SegmentInput'),
        responses: { 201: jsonResponse('The segment', 'Segment'), ...errorResponses(400, 401, 403, 413) },
      },
    },
    '/segments/preview': {
      post: {
        operationId: 'previewSegment',
        tags: ['segments'],
        summary: 'Count the contacts an unsaved rule matches now, with up to 10 of them',
        requestBody: jsonRequestBody('SegmentPreviewInput'),
        responses: { 200: jsonResponse('The count and a sample', 'SegmentPreview'), ...errorResponses(400, 401, 413) },
      },
    },
    '/segments/{segmentId}': {
      get: { operationId: 'getSegment', tags: ['segments'], summary: 'One segment with its member count', parameters: [segmentIdParam], responses: { 200: jsonResponse('The segment', 'Segment'), ...errorResponses(401, 404) } },
      patch: {
        operationId: 'updateSegment',
        tags: ['segments'],
        summary: 'Change the name and/or the rule (editor); drips using it see the new rule from their next pass',
        parameters: [segmentIdParam],
        requestBody: jsonRequestBody('SegmentPatch'),
        responses: { 200: jsonResponse('The segment', 'Segment'), ...errorResponses(400, 401, 403, 404, 413) },
      },
      delete: {
        operationId: 'deleteSegment',
        tags: ['segments'],
        summary: 'Delete a segment (editor); refused with 409 naming the drips while any uses it as trigger or condition',
        parameters: [segmentIdParam],
        responses: { 204: { description: 'Deleted' }, ...errorResponses(401, 403, 404, 409) },
      },
    },
  },
}
