import { z, type ZodType } from 'zod'
import { CONTROL_CHARACTER_MESSAGE, isCleanLine, isCleanText } from '#domain/text'
import { requireCsrf } from './csrf.server'
import type { Services } from '../core.server'

export type FieldErrors = Record<string, string>

export type FormResult<T> =
  | { ok: true; data: T; values: Record<string, string> }
  | { ok: false; fieldErrors: FieldErrors; values: Record<string, string> }

const FORM_TYPES = ['application/x-www-form-urlencoded', 'multipart/form-data']

/**
 * The one way actions read a form: parse the body (415/400 for a wrong Content-Type or a broken body),
 * check the CSRF token (403 otherwise), then validate with the form's zod schema. A field holding a
 * control character (NUL and the like, see domain/text.ts) is refused with an error under that field.
 * On failure the caller returns `fieldErrors` (first message per field) and `values` so the page
 * re-renders with each error tied to its input.
 */
export async function readForm<S extends ZodType>(request: Request, services: Services, schema: S): Promise<FormResult<z.output<S>>> {
  const formData = await readFormBody(request, { checkText: false })
  await requireCsrf(request, services, formData)
  const values: Record<string, string> = {}
  for (const [key, value] of formData) if (typeof value === 'string' && key !== 'csrf' && !/password|^secret_/i.test(key) && isCleanText(key) && isCleanText(value)) values[key] = value
  const unclean = uncleanField(formData)
  if (unclean) return { ok: false, fieldErrors: { [unclean]: `${unclean} ${CONTROL_CHARACTER_MESSAGE}` }, values }
  const parsed = schema.safeParse(Object.fromEntries(formData))
  if (parsed.success) return { ok: true, data: parsed.data, values }
  return { ok: false, fieldErrors: fieldErrorsOf(parsed.error), values }
}

/** The posted form after the CSRF check (403 otherwise), for forms with repeated fields that a flat schema cannot read. */
export async function readFormData(request: Request, services: Services): Promise<FormData> {
  const formData = await readFormBody(request, { checkText: false })
  await requireCsrf(request, services, formData)
  refuseUncleanFields(formData)
  return formData
}

/**
 * The posted form without a CSRF check (public forms reached from emails, and the CSRF check's own
 * callers): a wrong Content-Type is a 415, a body that does not parse a 400, and a text field holding a
 * control character a 400 naming the field.
 */
export async function readFormBody(request: Request, options: { checkText?: boolean } = {}): Promise<FormData> {
  const type = (request.headers.get('Content-Type') ?? '').split(';')[0]!.trim().toLowerCase()
  if (!FORM_TYPES.includes(type)) {
    throw formError(415, `Send this form as ${FORM_TYPES.join(' or ')}${type ? ` (not ${type})` : ''}.`)
  }
  let formData: FormData
  try {
    formData = await request.formData()
  } catch {
    throw formError(400, 'The form could not be read: its body is broken or incomplete. Reload the page and submit again.')
  }
  if (options.checkText !== false) refuseUncleanFields(formData)
  return formData
}

function refuseUncleanFields(formData: FormData): void {
  const unclean = uncleanField(formData)
  if (unclean) throw formError(400, `The field "${unclean}" ${CONTROL_CHARACTER_MESSAGE}.`)
}

/** The name of the first text field (or field name) holding a control character or broken Unicode. */
function uncleanField(formData: FormData): string | null {
  for (const [key, value] of formData) {
    if (!isCleanText(key)) return 'form'
    if (typeof value === 'string' ? !isCleanText(value) : !isCleanLine(value.name)) return key
  }
  return null
}

/** A plain-text 4xx a form action or loader throws (the error boundary shows the message). */
export function formError(status: number, message: string): Response {
  return new Response(message, { status, headers: { 'Content-Type': 'text/plain; charset=utf-8' } })
}

/**
 * One query-string parameter as one-line text, at most `max` characters (cut), or '' when absent.
 * A control character (e.g. `?q=%00`) is a 400 naming the parameter.
 */
export function readQueryParam(request: Request, name: string, options: { max?: number } = {}): string {
  const value = new URL(request.url).searchParams.get(name) ?? ''
  if (!isCleanLine(value)) throw formError(400, `The query parameter "${name}" ${CONTROL_CHARACTER_MESSAGE}.`)
  return options.max === undefined ? value : value.slice(0, options.max)
}

export function fieldErrorsOf(error: z.ZodError): FieldErrors {
  const errors: FieldErrors = {}
  for (const issue of error.issues) {
    const key = issue.path.join('.') || 'form'
    errors[key] ??= issue.message
  }
  return errors
}

/** The named fields that the form sent as text (`prefix` + name), keyed by name; absent ones are left out. */
export function formStrings<K extends string>(form: FormData, keys: readonly K[], prefix = ''): Partial<Record<K, string>> {
  const out: Partial<Record<K, string>> = {}
  for (const key of keys) {
    const value = form.get(`${prefix}${key}`)
    if (typeof value === 'string') out[key] = value
  }
  return out
}
