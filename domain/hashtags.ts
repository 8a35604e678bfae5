/**
 * Hashtag groups (decision 091): a workspace's saved sets of hashtags, and how one is added to a post's
 * text. Pure: the input schema shared by the form and the API, and the insertion.
 */
import { z } from 'zod'
import { lineSchema } from './text'

export const MAX_HASHTAGS = 30
const HASHTAG_RE = /^#[\p{L}\p{N}_]{1,100}$/u

/** "#garden, spring #tips" or ["garden", "#spring"] → ["#garden", "#spring", "#tips"] (each once, in order). */
export function splitHashtags(input: string | readonly string[]): string[] {
  const words = (typeof input === 'string' ? input.split(/[\s,;]+/) : input.flatMap((t) => t.split(/[\s,;]+/))).filter(Boolean)
  return [...new Set(words.map((w) => (w.startsWith('#') ? w : `#${w}`)))]
}

export const HashtagGroupSchema = z
  .object({
    name: lineSchema('name: must not contain control characters').trim().min(1, { error: 'name: give the group a name' }).max(100, { error: 'name: at most 100 characters' }),
    hashtags: z
      .union([z.string(), z.array(z.string())], { error: 'hashtags: a list like ["#garden", "#spring"]' })
      .transform(splitHashtags)
      .pipe(
        z
          .array(z.string().regex(HASHTAG_RE, { error: (issue) => `hashtags: '${String(issue.input)}' is not a hashtag (letters, digits and _ after #)` }))
          .min(1, { error: 'hashtags: write at least one hashtag' })
          .max(MAX_HASHTAGS, { error: `hashtags: at most ${MAX_HASHTAGS} hashtags` }),
      ),
  })
  .strict()
export type HashtagGroupInput = z.output<typeof HashtagGroupSchema>

/** The text with the group's hashtags added at its end (on a new line), leaving out those it already has. */
export function insertHashtags(text: string, hashtags: readonly string[]): string {
  const present = new Set(text.match(/#[\p{L}\p{N}_]+/gu)?.map((t) => t.toLowerCase()) ?? [])
  const missing = hashtags.filter((t) => !present.has(t.toLowerCase()))
  if (missing.length === 0) return text
  const trimmed = text.replace(/\s+$/, '')
  return `${trimmed}${trimmed ? '\n\n' : ''}${missing.join(' ')}`
}
