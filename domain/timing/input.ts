/** Shared input plumbing for the timing domain: result/issue types and field schemas whose messages
 * name the field and the reason. */
import { z } from 'zod'
import { parseIsoDuration } from './duration'
import { isValidTimeZone, parseLocal } from './zone'

export const WEEKDAYS = ['MO', 'TU', 'WE', 'TH', 'FR', 'SA', 'SU'] as const
export type Weekday = (typeof WEEKDAYS)[number]

export type Issue = { field: string; message: string }
export type ParseResult<T> = { ok: true; value: T } | { ok: false; issues: Issue[] }

/** Thrown by functions that take unchecked input (expandSeries, nextDripSendAt, ...). */
export class TimingInputError extends Error {
  constructor(readonly issues: Issue[]) {
    super(issues.map((i) => i.message).join('; '))
    this.name = 'TimingInputError'
  }
}

export const LocalDateTimeSchema = (field: string) =>
  z
    .string({ error: `${field} must be a local date-time string like 2026-03-20T09:00` })
    .refine((v) => parseLocal(v) !== undefined, {
      error: (issue) => `${field} '${String(issue.input)}' is not a valid local date-time like 2026-03-20T09:00`,
    })

export const TimeZoneSchema = (field: string) =>
  z
    .string({ error: `${field} must be an IANA time zone name like Europe/Berlin` })
    .refine(isValidTimeZone, {
      error: (issue) => `${field} '${String(issue.input)}' is not a known IANA time zone (e.g. Europe/Berlin)`,
    })

export const IsoDurationSchema = (field: string) =>
  z
    .string({ error: `${field} must be an ISO 8601 duration like P2D or PT4H` })
    .refine((v) => parseIsoDuration(v) !== undefined, {
      error: (issue) => `${field} '${String(issue.input)}' is not an ISO 8601 duration like P2D, PT4H or P1DT12H`,
    })

export function toIssues(error: z.ZodError): Issue[] {
  return error.issues.map((i) => ({ field: i.path.map(String).join('.') || 'input', message: i.message }))
}

export function parseWith<S extends z.ZodType>(schema: S, input: unknown): ParseResult<z.infer<S>> {
  const result = schema.safeParse(input)
  return result.success ? { ok: true, value: result.data } : { ok: false, issues: toIssues(result.error) }
}

/** Parse or throw TimingInputError. */
export function requireValid<S extends z.ZodType>(schema: S, input: unknown): z.infer<S> {
  const result = parseWith(schema, input)
  if (!result.ok) throw new TimingInputError(result.issues)
  return result.value
}

