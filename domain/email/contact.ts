import { IANAZone } from 'luxon'
import { z } from 'zod'
import { lineSchema } from '../text'
import type { FieldType } from './types'

/** Validation shared by the contacts API, the CSV import and the signup form. */

export type FieldDefinition = { key: string; type: FieldType }
export type FieldProblem = { field: string; message: string }

/** Surrounding spaces (a pasted address) are trimmed, not refused; stored in lower case. */
export const EmailSchema = z
  .string()
  .trim()
  .pipe(z.email('must be an email address like name@example.com').max(254, 'must be at most 254 characters'))
  .transform((e) => e.toLowerCase())

export const TagSchema = lineSchema()
  .trim()
  .min(1, 'must not be empty')
  .max(64, 'must be at most 64 characters')
  .regex(/^[^,\r\n]+$/, 'must not contain commas or line breaks')

export const TimezoneSchema = z
  .string()
  .refine((zone) => IANAZone.isValidZone(zone), 'must be an IANA time zone such as Europe/Berlin or UTC')

export const FIELD_KEY = /^[a-z][a-z0-9_]{0,39}$/
const RESERVED_KEYS = new Set(['email', 'name', 'first_name', 'timezone', 'tags', 'status', 'unsubscribe_url', 'preferences_url'])

export function fieldKeyProblem(key: string): string | null {
  if (!FIELD_KEY.test(key)) return 'must start with a letter and use only a–z, 0–9 and _ (at most 40 characters)'
  if (RESERVED_KEYS.has(key)) return `"${key}" is a built-in field`
  return null
}

/**
 * Check custom field values against the workspace's definitions. `from: 'json'` expects numbers as
 * numbers; `from: 'csv'` converts text. Dates are calendar dates, YYYY-MM-DD. Empty/null clears a value.
 */
export function parseFieldValues(args: {
  values: Record<string, unknown>
  definitions: readonly FieldDefinition[]
  from: 'json' | 'csv'
  path?: string
}): { ok: true; fields: Record<string, string | number | null> } | { ok: false; problem: FieldProblem } {
  const byKey = new Map(args.definitions.map((d) => [d.key, d]))
  const fields: Record<string, string | number | null> = {}
  const prefix = args.path ?? 'fields'
  for (const [key, raw] of Object.entries(args.values)) {
    const field = `${prefix}.${key}`
    const definition = byKey.get(key)
    if (!definition) return { ok: false, problem: { field, message: `unknown custom field "${key}" (define it first)` } }
    if (raw === null || raw === undefined || raw === '') {
      fields[key] = null
      continue
    }
    if (definition.type === 'number') {
      const n = typeof raw === 'number' ? raw : args.from === 'csv' && typeof raw === 'string' && raw.trim() !== '' ? Number(raw.trim()) : NaN
      if (!Number.isFinite(n)) return { ok: false, problem: { field, message: 'must be a number' } }
      fields[key] = n
    } else if (definition.type === 'date') {
      if (typeof raw !== 'string' || !isCalendarDate(raw.trim())) return { ok: false, problem: { field, message: 'must be a date, YYYY-MM-DD' } }
      fields[key] = raw.trim()
    } else {
      if (typeof raw !== 'string') return { ok: false, problem: { field, message: 'must be text' } }
      if (raw.length > 1000) return { ok: false, problem: { field, message: 'must be at most 1000 characters' } }
      fields[key] = raw
    }
  }
  return { ok: true, fields }
}

export function isCalendarDate(value: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value)
  if (!m) return false
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])]
  const date = new Date(Date.UTC(y, mo - 1, d))
  return date.getUTCFullYear() === y && date.getUTCMonth() === mo - 1 && date.getUTCDate() === d
}

export type ContactRow = { email: string; name: string | null; timezone: string | null; tags: string[]; fields: Record<string, string | number | null> }

/**
 * Validate a CSV file of contacts. Header names: `email` (required), `name`, `timezone`, `tags`
 * (separated by `;`), and custom field keys. Every row is checked; `errors` names the 1-based data row
 * (the header is row 0) and the field. Duplicated addresses within the file are an error too.
 */
export function validateContactCsv(args: {
  rows: string[][]
  definitions: readonly FieldDefinition[]
  onProgress?: (processed: number) => void
}): { contacts: ContactRow[]; errors: Array<FieldProblem & { row: number }> } {
  const [header, ...data] = args.rows
  const errors: Array<FieldProblem & { row: number }> = []
  if (!header) return { contacts: [], errors: [{ row: 0, field: 'email', message: 'the file is empty; the first line must name the columns' }] }
  const columns = header.map((h) => h.trim().toLowerCase())
  const known = new Set(['email', 'name', 'timezone', 'tags', ...args.definitions.map((d) => d.key)])
  for (const column of columns) if (!known.has(column)) errors.push({ row: 0, field: column, message: `unknown column "${column}" (define a custom field with this key, or remove the column)` })
  if (!columns.includes('email')) errors.push({ row: 0, field: 'email', message: 'the header needs an "email" column' })
  if (errors.length > 0) return { contacts: [], errors }
  const seen = new Map<string, number>()
  const contacts: ContactRow[] = []
  data.forEach((cells, index) => {
    const row = index + 1
    if (index % 500 === 0) args.onProgress?.(index)
    if (cells.length !== columns.length) {
      errors.push({ row, field: 'row', message: `has ${cells.length} values; the header has ${columns.length} columns` })
      return
    }
    const record = Object.fromEntries(columns.map((c, i) => [c, cells[i]!]))
    const email = EmailSchema.safeParse(record.email?.trim())
    if (!email.success) {
      errors.push({ row, field: 'email', message: email.error.issues[0]!.message })
      return
    }
    const first = seen.get(email.data)
    if (first !== undefined) {
      errors.push({ row, field: 'email', message: `duplicates row ${first}` })
      return
    }
    seen.set(email.data, row)
    const timezone = record.timezone?.trim() || null
    if (timezone && !IANAZone.isValidZone(timezone)) {
      errors.push({ row, field: 'timezone', message: 'must be an IANA time zone such as Europe/Berlin or UTC' })
      return
    }
    const tags: string[] = []
    for (const raw of (record.tags ?? '').split(';').map((t) => t.trim()).filter(Boolean)) {
      const tag = TagSchema.safeParse(raw)
      if (!tag.success) {
        errors.push({ row, field: 'tags', message: tag.error.issues[0]!.message })
        return
      }
      tags.push(tag.data)
    }
    const custom = Object.fromEntries(columns.filter((c) => !['email', 'name', 'timezone', 'tags'].includes(c)).map((c) => [c, record[c]!]))
    const fields = parseFieldValues({ values: custom, definitions: args.definitions, from: 'csv', path: '' })
    if (!fields.ok) {
      errors.push({ row, field: fields.problem.field.replace(/^\./, ''), message: fields.problem.message })
      return
    }
    const name = record.name?.trim() || null
    if (name && name.length > 200) {
      errors.push({ row, field: 'name', message: 'must be at most 200 characters' })
      return
    }
    contacts.push({ email: email.data, name, timezone, tags, fields: fields.fields })
  })
  args.onProgress?.(data.length)
  return { contacts, errors }
}


const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/
/** PostgreSQL text and jsonb cannot hold NUL characters or unpaired UTF-16 surrogates. */
export function isStorableText(value: string): boolean {
  return !value.includes('\u0000') && !LONE_SURROGATE.test(value)
}

/** The same check over any JSON value (keys included). */
export function isStorableJson(value: unknown): boolean {
  const json = JSON.stringify(value) ?? ''
  return !/\\u0000/.test(json) && !/\\ud[89ab][0-9a-f]{2}(?!\\ud[c-f])|(?<!\\ud[89ab][0-9a-f]{2})\\ud[c-f][0-9a-f]{2}/i.test(json)
}

/**
 * Whether a drip (marketing) may reach a contact: `subscribed` (a `pending` contact has not confirmed
 * yet) and not on the suppression list. The one rule the runner's claim and mark, bulk enrollment and
 * the send queue apply; core/contacts.server.ts `mailability` says why a contact is not mailable at all.
 */
export function receivesMarketing(contact: { status: string | null; suppressed: boolean | null }): boolean {
  return contact.status === 'subscribed' && !contact.suppressed
}

/** What a drip step does: send on a channel, or act on the contact (tag, score, webhook, notify) without messaging them. */
export type StepChannel = 'email' | 'sms' | 'mail' | 'action'

export type ReachFacts = { status: string | null; suppressed: boolean | null; /** The address is suppressed for a spam complaint. */ complained?: boolean | null }

/**
 * Whether a drip step on `channel` may reach a contact (decision 096). Email: `receivesMarketing`. SMS and
 * direct mail have their own consent and opt-out (SMS consent and the STOP list; a postal address), so an
 * email unsubscribe or a hard bounce closes email only; a spam complaint closes every channel; a contact
 * who has not confirmed (`pending`) is reached on none. Action steps message nobody: any contact but a
 * pending one (a complaint may start a drip that tags the contact or tells a teammate).
 */
export function reachableOn(channel: StepChannel, c: ReachFacts): boolean {
  if (channel === 'email') return receivesMarketing(c)
  if (c.status === null || c.status === 'pending') return false
  if (channel === 'action') return true
  return c.status !== 'complained' && !c.complained
}

/** Why a step on `channel` is skipped for this contact (recorded on its skipped delivery), or null when it reaches them. */
export function unreachableReason(channel: StepChannel, c: ReachFacts): string | null {
  if (reachableOn(channel, c)) return null
  if (c.status === 'complained' || c.complained) return 'contact complained (spam)'
  if (c.status === 'pending') return 'contact has not confirmed'
  if (channel !== 'email') return `contact is ${c.status}`
  if (c.status === 'bounced') return 'email: address bounced'
  if (c.status === 'unsubscribed') return 'email: contact unsubscribed'
  return c.suppressed ? 'email: address suppressed' : `email: contact is ${c.status}`
}
