import { z } from 'zod'
import { RecurrencePreviewInputSchema } from '#domain/recurrence'
import { errorResponses, jsonRequestBody, jsonResponse, type OpenApiFragment } from './helpers'

export const RecurrencePreviewSchema = z.object({
  text: z.string().describe('Plain-language description, e.g. "every Tuesday and Thursday at 9:00, 10 times"'),
  occurrences: z.array(
    z.object({
      at: z.iso.datetime().describe('UTC instant, ISO 8601'),
      local: z.string().describe("Wall time in the rule's time zone, YYYY-MM-DDTHH:mm"),
    }),
  ),
})

/** API contract of the recurrence engine: the same function the series editor previews with. */
export const recurrenceApi: OpenApiFragment = {
  tags: [{ name: 'recurrence', description: 'RFC 5545 recurrence rules in an IANA time zone' }],
  requests: { RecurrencePreviewInput: RecurrencePreviewInputSchema },
  responses: { RecurrencePreview: RecurrencePreviewSchema },
  paths: {
    '/recurrence/preview': {
      post: {
        operationId: 'previewRecurrence',
        tags: ['recurrence'],
        summary: 'Describe a rule and list its next occurrences in local time and UTC',
        description:
          'Local wall times are kept across daylight-saving changes; a local time inside a spring-forward gap moves forward by the gap, an ambiguous one takes the earlier instant.',
        requestBody: jsonRequestBody('RecurrencePreviewInput'),
        responses: { 200: jsonResponse('The description and occurrences', 'RecurrencePreview'), ...errorResponses(400, 401, 413) },
      },
    },
  },
}
