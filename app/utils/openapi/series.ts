import { z } from 'zod'
import { APPROVAL_STATES } from '#domain/approval'
import { RequestChangesSchema, SeriesInputSchema } from '../../core.server'
import { errorResponses, jsonRequestBody, jsonResponse, type OpenApiFragment } from './helpers'

const PartSchema = z.object({ text: z.string(), images: z.array(z.object({ mediaId: z.uuid(), alt: z.string() })) })

const SeriesSchema = z.object({
  id: z.uuid(),
  name: z.string(),
  status: z.enum(['active', 'paused']),
  paused: z.boolean(),
  approval: z.enum(APPROVAL_STATES).describe('Only `approved` series publish. Editors\' series start as `draft`; an editor\'s edit of an approved series makes it `pending_approval` again and holds its unpublished posts.'),
  approvalComment: z.string().nullable().describe('The owner\'s comment when changes were requested'),
  approvalAt: z.iso.datetime().nullable(),
  rule: z.string().describe('The current RRULE (after any mid-series change)'),
  start: z.string().describe('Local start, YYYY-MM-DDTHH:mm'),
  timezone: z.string(),
  shortLinks: z.boolean().describe("Links in the posts go out as short links APP_URL/l/{code} with UTM parameters (clicks counted per network and post)"),
  campaign: z.string().nullable().describe('The campaign tag this series shares with drips: GET /analytics/campaigns/{campaign}'),
  evergreen: z
    .object({ minGap: z.string().describe('ISO 8601 duration, e.g. P30D'), until: z.string().describe('Local date-time, YYYY-MM-DDTHH:mm') })
    .nullable()
    .describe('Evergreen: after the last post, post 1 comes again at the first date of the rule at least minGap later, round after round until `until`; null: the series ends with its last post'),
  text: z.string().describe('The rule in words, e.g. "every Tuesday and Thursday at 9:00, 10 times"'),
  posts: z.array(z.string()).describe('Each post as text (thread parts joined by a blank line)'),
  content: z
    .array(
      z.object({
        parts: z.array(PartSchema),
        firstComment: z.string().optional().describe('Posted as a reply right after the post'),
        variants: z.record(z.string(), z.object({ parts: z.array(PartSchema) })).optional().describe('Per network (x, linkedin, mastodon, …): the parts published there instead of the main ones'),
      }),
    )
    .describe('Each post with its thread parts and images (what PUT takes back)'),
  accountIds: z.array(z.uuid()),
  deliveries: z.array(
    z.object({ id: z.uuid(), post: z.number().int(), round: z.number().int().describe('The round of an evergreen series, from 1 (1 for a series that is not evergreen)'), accountId: z.uuid(), handle: z.string(), dueAt: z.iso.datetime().describe('UTC'), state: z.string() }),
  ),
})

const SeriesListSchema = z.object({
  series: z.array(
    z.object({ id: z.uuid(), name: z.string(), status: z.string(), approval: z.enum(APPROVAL_STATES), rule: z.string(), start: z.string(), timezone: z.string(), text: z.string(), posts: z.number().int(), nextDueAt: z.iso.datetime().nullable() }),
  ),
})

const idParam = { name: 'seriesId', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } }

/** Series: posts on an RFC 5545 rule in a time zone, published to target accounts. */
export const seriesApi: OpenApiFragment = {
  tags: [{ name: 'series', description: 'Social series: posts that go out on a recurrence rule' }],
  requests: { SeriesInput: SeriesInputSchema, RequestChanges: RequestChangesSchema },
  responses: { Series: SeriesSchema, SeriesList: SeriesListSchema },
  paths: {
    '/series': {
      get: { operationId: 'listSeries', tags: ['series'], summary: 'List the series of the workspace', responses: { 200: jsonResponse('The series', 'SeriesList'), ...errorResponses(401) } },
      post: {
        operationId: 'createSeries',
        tags: ['series'],
        summary: 'Create a series and plan its deliveries',
        description:
          'Post k goes out on occurrence k of the rule. A rule without COUNT or UNTIL ends with the last post, unless `evergreen` repeats the series from post 1 (every round up to `evergreen.until`, at most 2 years after the start and 5,000 posts, is planned at once). Posts are validated for every target network (the same check publishing runs).',
        requestBody: jsonRequestBody('SeriesInput'),
        responses: { 201: jsonResponse('The series with its planned deliveries', 'Series'), ...errorResponses(400, 401, 403, 413) },
      },
    },
    '/series/{seriesId}': {
      parameters: [idParam],
      get: { operationId: 'getSeries', tags: ['series'], summary: 'A series with its deliveries', responses: { 200: jsonResponse('The series', 'Series'), ...errorResponses(401, 404) } },
      put: {
        operationId: 'updateSeries',
        tags: ['series'],
        summary: 'Replace posts, accounts and timing; re-plan',
        description: 'Deliveries that went out keep their times. A rule change after the series started applies from now on. Leaving out `evergreen` keeps it; null turns it off (pending later rounds are canceled).',
        requestBody: jsonRequestBody('SeriesInput'),
        responses: { 200: jsonResponse('The series', 'Series'), ...errorResponses(400, 401, 403, 404, 413) },
      },
      delete: { operationId: 'deleteSeries', tags: ['series'], summary: 'Delete a series; pending deliveries are canceled', responses: { 204: { description: 'Deleted' }, ...errorResponses(401, 403, 404) } },
    },
    ...approvalPaths(),
  },
}

/** Editors submit, owners approve or request changes (docs/decisions/012-series-approval-threads-import.md). */
function approvalPaths() {
  const conflict = { description: 'The series is not in a state that allows this (e.g. already approved)', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } }
  const op = (operationId: string, summary: string, description: string, body?: string) => ({
    parameters: [idParam],
    post: {
      operationId,
      tags: ['series'],
      summary,
      description,
      ...(body ? { requestBody: jsonRequestBody(body) } : {}),
      responses: { 200: jsonResponse('The series', 'Series'), ...errorResponses(...((body ? [400] : []) as 400[]), 401, 403, 404), 409: conflict },
    },
  })
  return {
    '/series/{seriesId}/submit': op('submitSeries', 'Submit a draft series for approval', 'Editors and owners. Nothing is published until an owner approves.'),
    '/series/{seriesId}/approve': op(
      'approveSeries',
      'Approve the whole series (owners only)',
      'Schedules its deliveries. Posts whose dates passed while it waited take the next dates of the rule. Editors get 403.',
    ),
    '/series/{seriesId}/request-changes': op('requestSeriesChanges', 'Send the series back to its editor with a comment (owners only)', 'The series stays held. Editors get 403.', 'RequestChanges'),
  }
}
