/** The function behind POST /api/v1/recurrence/preview and the series editor's live preview. */
import { z } from 'zod'
import { describeRule } from './describe'
import { compileTiming, occurrences } from './series'
import { parseWith, type ParseResult } from '../timing/input'
import { SeriesTimingSchema } from './schema'

export const PREVIEW_LIMIT_MAX = 500
export const PREVIEW_LIMIT_DEFAULT = 50

export const RecurrencePreviewInputSchema = z.intersection(
  SeriesTimingSchema,
  z.object({
    limit: z
      .number({ error: 'limit must be a number' })
      .int({ error: 'limit must be a whole number' })
      .min(1, { error: 'limit must be at least 1' })
      .max(PREVIEW_LIMIT_MAX, { error: `limit must be at most ${PREVIEW_LIMIT_MAX}` })
      .default(PREVIEW_LIMIT_DEFAULT),
  }),
)
export type RecurrencePreviewInput = z.input<typeof RecurrencePreviewInputSchema>

export type RecurrencePreview = {
  /** e.g. "every Tuesday and Thursday at 9:00, 10 times" (wall times of the series zone). */
  text: string
  /** `at`: UTC ISO 8601; `local`: 'YYYY-MM-DDTHH:mm' in the series zone. */
  occurrences: Array<{ at: string; local: string }>
}

export function previewRecurrence(input: unknown): ParseResult<RecurrencePreview> {
  const parsed = parseWith(RecurrencePreviewInputSchema, input)
  if (!parsed.ok) return parsed
  const { limit, ...timing } = parsed.value
  const list: RecurrencePreview['occurrences'] = []
  for (const o of occurrences(compileTiming(timing))) {
    list.push({ at: o.at.toISOString(), local: o.local })
    if (list.length >= limit) break
  }
  return { ok: true, value: { text: describeRule(timing), occurrences: list } }
}
