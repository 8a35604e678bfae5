import type { z } from 'zod'
import { InputError } from './errors'

/**
 * Parse with a zod schema or throw a 400 naming the first bad field (an unknown key is named too;
 * `fallback` when the issue has no path). Messages read `field: what is wrong`.
 */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, fallback = 'input'): z.output<S> {
  const parsed = schema.safeParse(input)
  if (parsed.success) return parsed.data
  const issue = parsed.error.issues[0]!
  const path = [...issue.path, ...(issue.code === 'unrecognized_keys' ? issue.keys.slice(0, 1) : [])]
  const field = path.map(String).join('.') || fallback
  throw new InputError(field, issue.message.startsWith(`${field}:`) ? issue.message : `${field}: ${issue.message}`)
}
