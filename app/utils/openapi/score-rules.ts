import { z } from 'zod'
import { SCORE_RULE_KINDS, ScoreRuleSchema } from '#domain/email/types'
import { errorResponses, jsonRequestBody, jsonResponse, type OpenApiFragment } from './helpers'

/** API contract of lead-score rules (core/score-rules.server.ts). */

const Instant = z.iso.datetime().describe('UTC instant, ISO 8601')

export const ScoreRuleOutputSchema = z.object({
  id: z.uuid(),
  on: z.enum(SCORE_RULE_KINDS).describe('opened, clicked, event (by name) or inactive (the decay)'),
  name: z.string().nullable().describe('The event name, for `event` rules'),
  points: z.number().describe('Added per activity; for `inactive`, taken away per period (negative)'),
  everyDays: z.number().int().nullable().describe('For `inactive`: the period without activity, in days'),
  label: z.string().describe('For people, e.g. "Clicked a link: +2"'),
  createdAt: Instant,
  updatedAt: Instant,
})

const ruleIdParam = { name: 'ruleId', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } }

export const scoreRulesApi: OpenApiFragment = {
  tags: [
    {
      name: 'score-rules',
      description:
        'Lead-score rules: points per opened email, clicked link or API event (negative allowed), and a decay (`inactive`: points taken away every N days without activity, never below zero). One rule per activity, event name or decay; a new workspace starts with opened +1, clicked +2.',
    },
  ],
  requests: { ScoreRuleInput: ScoreRuleSchema },
  responses: { ScoreRule: ScoreRuleOutputSchema, ScoreRuleList: z.object({ rules: z.array(ScoreRuleOutputSchema) }) },
  paths: {
    '/score-rules': {
      get: { operationId: 'listScoreRules', tags: ['score-rules'], summary: 'The workspace’s score rules', responses: { 200: jsonResponse('Rules', 'ScoreRuleList'), ...errorResponses(401) } },
      post: {
        operationId: 'createScoreRule',
        tags: ['score-rules'],
        summary: 'Add a rule (editor); 409 when one exists for that activity, event or decay',
        requestBody: jsonRequestBody('ScoreRuleInput'),
        responses: { 201: jsonResponse('The rule', 'ScoreRule'), ...errorResponses(400, 401, 403, 409, 413) },
      },
    },
    '/score-rules/{ruleId}': {
      get: { operationId: 'getScoreRule', tags: ['score-rules'], summary: 'One rule', parameters: [ruleIdParam], responses: { 200: jsonResponse('The rule', 'ScoreRule'), ...errorResponses(401, 404) } },
      put: {
        operationId: 'replaceScoreRule',
        tags: ['score-rules'],
        summary: 'Replace a rule (editor); applies to activity from now on, past score changes stay',
        parameters: [ruleIdParam],
        requestBody: jsonRequestBody('ScoreRuleInput'),
        responses: { 200: jsonResponse('The rule', 'ScoreRule'), ...errorResponses(400, 401, 403, 404, 409, 413) },
      },
      delete: {
        operationId: 'deleteScoreRule',
        tags: ['score-rules'],
        summary: 'Remove a rule (editor); the changes it made stay in the contacts’ score history',
        parameters: [ruleIdParam],
        responses: { 204: { description: 'Removed' }, ...errorResponses(401, 403, 404) },
      },
    },
  },
}
