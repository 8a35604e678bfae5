import { z } from 'zod'
import { WEEKDAYS } from '#domain/timing/input'
import { PostingScheduleSchema } from '#domain/queue/slots'
import { HashtagGroupSchema } from '#domain/hashtags'
import { errorResponses, jsonRequestBody, jsonResponse, type OpenApiFragment } from './helpers'

/** API contract of the composer's helpers (decision 091): queue slots (core/queue.server.ts) and hashtag groups (core/hashtag-groups.server.ts). */

const PostingScheduleOutputSchema = PostingScheduleSchema.extend({
  timesByDay: z.record(z.enum(WEEKDAYS), z.array(z.string())).describe('The local times of each weekday, e.g. { "MO": ["09:00", "13:00"], … }'),
})

const NextSlotOutputSchema = z.object({
  at: z.iso.datetime().describe('The slot, a UTC instant (ISO 8601)'),
  local: z.string().describe('The same slot as a local date-time YYYY-MM-DDTHH:mm in `timezone` (a series’ `start`)'),
  timezone: z.string().describe('The zone of `local`: the one asked for, else the first account’s queue zone'),
})

const BestTimeSchema = z.object({
  day: z.enum(WEEKDAYS).describe('Weekday, MO…SU, in `timezone`'),
  time: z.string().describe('The hour as a queue slot’s local time, HH:00'),
  posts: z.number().int().describe('Measured posts published in this weekday and hour'),
  median: z.number().describe('Their median engagement (likes, reposts, replies, quotes, bookmarks and short-link clicks) at the 24 h reading'),
  score: z.number().describe('The median shrunk toward the account’s median (one lucky post does not win): the ranking key'),
})

const BestTimesOutputSchema = z
  .object({
    status: z.enum(['ready', 'not-enough-data']).describe('`not-enough-data`: no suggestions yet; `needed` and `message` say how many more published posts are needed'),
    timezone: z.string().describe('The zone of the slots: the account’s queue zone, else the workspace’s'),
    posts: z.number().int().describe('The account’s posts of the last year with a 24 h metrics reading'),
    accountMedian: z.number().optional().describe('Their median engagement (when `ready`)'),
    suggestions: z.array(BestTimeSchema).optional().describe('Best first, at most 3 (when `ready`); only slots with at least 3 posts'),
    needed: z.number().int().optional().describe('How many more published posts are needed (when `not-enough-data`)'),
    message: z.string().optional().describe('The same, as a sentence (when `not-enough-data`)'),
  })
  .describe('Best-time suggestions from the account’s own past engagement (decision 101)')

const HashtagGroupOutputSchema = z.object({ id: z.uuid(), name: z.string(), hashtags: z.array(z.string()).describe('Each with its #, in order') })
const groupIdParam = { name: 'groupId', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } }

const accountIdParam = { name: 'accountId', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } }

export const queueApi: OpenApiFragment = {
  tags: [
    {
      name: 'queue',
      description:
        'Queue slots: an account’s posting schedule (weekday + local time slots in a zone, e.g. Mon–Fri 09:00 and 13:00), and the next slot of some accounts that none of their scheduled posts uses — a series whose `start` is that slot goes out there.',
    },
    { name: 'hashtag-groups', description: 'Saved sets of hashtags of the workspace, which the series editor adds to a post with one click.' },
  ],
  requests: { PostingScheduleInput: PostingScheduleSchema, HashtagGroupInput: HashtagGroupSchema },
  responses: { PostingSchedule: PostingScheduleOutputSchema, BestTimes: BestTimesOutputSchema, NextQueueSlot: NextSlotOutputSchema, HashtagGroup: HashtagGroupOutputSchema, HashtagGroupList: z.object({ groups: z.array(HashtagGroupOutputSchema) }) },
  paths: {
    '/accounts/{accountId}/queue': {
      get: {
        operationId: 'getPostingSchedule',
        tags: ['queue'],
        summary: 'An account’s posting schedule (no slots: no queue; the zone then is the workspace’s)',
        parameters: [accountIdParam],
        responses: { 200: jsonResponse('The schedule', 'PostingSchedule'), ...errorResponses(401, 404) },
      },
      put: {
        operationId: 'replacePostingSchedule',
        tags: ['queue'],
        summary: 'Replace an account’s posting schedule (editor); an empty `slots` removes the queue',
        parameters: [accountIdParam],
        requestBody: jsonRequestBody('PostingScheduleInput'),
        responses: { 200: jsonResponse('The schedule', 'PostingSchedule'), ...errorResponses(400, 401, 403, 404, 413) },
      },
    },
    '/accounts/{accountId}/best-times': {
      get: {
        operationId: 'getBestTimes',
        tags: ['queue'],
        summary: 'Best-time suggestions: the weekday × hour slots (in the queue’s zone) where the account’s posts drew the most engagement at 24 h; too little data says how many more posts are needed',
        parameters: [accountIdParam],
        responses: { 200: jsonResponse('The suggestions', 'BestTimes'), ...errorResponses(401, 404) },
      },
    },
    '/queue/next-slot': {
      get: {
        operationId: 'nextQueueSlot',
        tags: ['queue'],
        summary: 'The next free queue slot of these accounts; 409 when none has a queue or every slot of the next year is taken',
        parameters: [
          { name: 'accountIds', in: 'query', required: true, description: 'Account ids, comma-separated', schema: { type: 'string' } },
          { name: 'timezone', in: 'query', required: false, description: 'IANA zone of the answer’s `local`', schema: { type: 'string' } },
          { name: 'seriesId', in: 'query', required: false, description: 'A series being edited: its own posts do not take slots', schema: { type: 'string', format: 'uuid' } },
        ],
        responses: { 200: jsonResponse('The slot', 'NextQueueSlot'), ...errorResponses(400, 401, 409) },
      },
    },
    '/hashtag-groups': {
      get: { operationId: 'listHashtagGroups', tags: ['hashtag-groups'], summary: 'The workspace’s hashtag groups, by name', responses: { 200: jsonResponse('Groups', 'HashtagGroupList'), ...errorResponses(401) } },
      post: {
        operationId: 'createHashtagGroup',
        tags: ['hashtag-groups'],
        summary: 'Add a group (editor); `hashtags` as a list or one string, `#` optional; 409 when the name is taken',
        requestBody: jsonRequestBody('HashtagGroupInput'),
        responses: { 201: jsonResponse('The group', 'HashtagGroup'), ...errorResponses(400, 401, 403, 409, 413) },
      },
    },
    '/hashtag-groups/{groupId}': {
      delete: { operationId: 'deleteHashtagGroup', tags: ['hashtag-groups'], summary: 'Remove a group (editor); posts keep their hashtags', parameters: [groupIdParam], responses: { 204: { description: 'Removed' }, ...errorResponses(401, 403, 404) } },
    },
  },
}
