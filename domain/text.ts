/**
 * What text Trickle stores (docs/decisions/063-malformed-input.md). PostgreSQL refuses NUL in `text`
 * and `jsonb` (error 22021) and unpaired UTF-16 surrogates in `jsonb`; the other C0 control characters
 * are stored but are never meant in a name, a tag or a message. So: multi-line text allows tab, line
 * feed and carriage return and no other C0 control character; a one-line value allows none. Pure: the
 * edges (form reader, JSON body reader, query strings) and the zod schemas in core/ and domain/ use it.
 */
import { z } from 'zod'

// Matching control characters is the point of these two expressions.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F]/
// eslint-disable-next-line no-control-regex
const LINE_CONTROL = /[\u0000-\u001F]/
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

export const CONTROL_CHARACTER_MESSAGE = 'must not contain control characters (such as NUL) or broken Unicode'

/** Multi-line text: tab and newlines allowed, no other C0 control character, no unpaired surrogate. */
export function isCleanText(value: string): boolean {
  return !CONTROL.test(value) && !LONE_SURROGATE.test(value)
}

/** One-line text (names, tags, emails, search terms): no control character at all. */
export function isCleanLine(value: string): boolean {
  return !LINE_CONTROL.test(value) && !LONE_SURROGATE.test(value)
}

/** No input of ours nests deeper than this; a deeper JSON body is refused before anything walks it. */
export const MAX_JSON_DEPTH = 32

export type TextProblem = { path: (string | number)[]; problem: 'control' | 'depth' }

/**
 * The first string (or object key) in a JSON-like value that is not clean multi-line text, e.g. at
 * `['steps', 0, 'subject']`, or the first place nested deeper than MAX_JSON_DEPTH; null when neither.
 * Iterative, so a hostile nesting cannot exhaust the stack. The edges answer 400 naming this path.
 */
export function findUncleanText(value: unknown): TextProblem | null {
  const stack: Array<{ value: unknown; path: (string | number)[] }> = [{ value, path: [] }]
  while (stack.length > 0) {
    const { value: item, path } = stack.pop()!
    if (typeof item === 'string') {
      if (!isCleanText(item)) return { path, problem: 'control' }
      continue
    }
    if (!item || typeof item !== 'object') continue
    if (path.length >= MAX_JSON_DEPTH) return { path, problem: 'depth' }
    const entries: Array<[string | number, unknown]> = Array.isArray(item) ? item.map((v, i) => [i, v]) : Object.entries(item)
    for (let i = entries.length - 1; i >= 0; i--) {
      const [key, child] = entries[i]!
      if (typeof key === 'string' && !isCleanText(key)) return { path: [...path, key], problem: 'control' }
      stack.push({ value: child, path: [...path, key] })
    }
  }
  return null
}

/** A zod string of multi-line text (a message body, a post, a description). */
export function textSchema(message: string = CONTROL_CHARACTER_MESSAGE) {
  return z.string().refine(isCleanText, { error: message })
}

/** A zod string of one-line text (a name, a tag, an email, a search term). */
export function lineSchema(message: string = CONTROL_CHARACTER_MESSAGE) {
  return z.string().refine(isCleanLine, { error: message })
}

/** The opening of a text on one line, cut at a word within `max` characters, with "…" when cut (calendar chips). */
export function firstWords(text: string, max = 60): string {
  const line = text.replace(/\s+/g, ' ').trim()
  if (line.length <= max) return line
  const cut = line.slice(0, max)
  const space = cut.lastIndexOf(' ')
  return `${(space > max / 2 ? cut.slice(0, space) : cut).replace(/[\s.,;:!?-]+$/, '')}…`
}
