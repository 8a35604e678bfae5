import { z } from 'zod'
import { SeriesInputSchema } from '../series.server'
import { errorResponses, jsonRequestBody, jsonResponse, type OpenApiFragment } from './helpers'

const SeriesSchema = z.object({
  id: z.uuid(),
  name: z.string(),
  status: z.enum(['active', 'paused']),
  paused: z.boolean(),
  rule: z.string().describe('The current RRULE (after any mid-series change)'),
  start: z.string().describe('Local start, YYYY-MM-DDTHH:mm'),
  timezone: z.string(),
  text: z.string().describe('The rule in words, e.g. "every Tuesday and Thursday at 9:00, 10 times"'),
  posts: z.array(z.string()),
  accountIds: z.array(z.uuid()),
  deliveries: z.array(
    z.object({ id: z.uuid(), post: z.number().int(), accountId: z.uuid(), handle: z.string(), dueAt: z.iso.datetime().describe('UTC'), state: z.string() }),
  ),
})

const SeriesListSchema = z.object({
  series: z.array(
    z.object({ id: z.uuid(), name: z.string(), status: z.string(), rule: z.string(), start: z.string(), timezone: z.string(), text: z.string(), posts: z.number().int(), nextDueAt: z.iso.datetime().nullable() }),
  ),
})

const idParam = { name: 'seriesId', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } }

/** Series: posts on an RFC 5545 rule in a time zone, published to target accounts. */
export const seriesApi: OpenApiFragment = {
  tags: [{ name: 'series', description: 'Social series: posts that go out on a recurrence rule' }],
  requests: { SeriesInput: SeriesInputSchema },
  responses: { Series: SeriesSchema, SeriesList: SeriesListSchema },
  paths: {
    '/series': {
      get: { operationId: 'listSeries', tags: ['series'], summary: 'List the series of the workspace', responses: { 200: jsonResponse('The series', 'SeriesList'), ...errorResponses(401) } },
      post: {
        operationId: 'createSeries',
        tags: ['series'],
        summary: 'Create a series and plan its deliveries',
        description:
          'Post k goes out on occurrence k of the rule. A rule without COUNT or UNTIL ends with the last post. Posts are validated for every target network (the same check publishing runs).',
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
        description: 'Deliveries that went out keep their times. A rule change after the series started applies from now on.',
        requestBody: jsonRequestBody('SeriesInput'),
        responses: { 200: jsonResponse('The series', 'Series'), ...errorResponses(400, 401, 403, 404, 413) },
      },
      delete: { operationId: 'deleteSeries', tags: ['series'], summary: 'Delete a series; pending deliveries are canceled', responses: { 204: { description: 'Deleted' }, ...errorResponses(401, 403, 404) } },
    },
  },
}
