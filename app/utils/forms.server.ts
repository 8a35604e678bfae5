import { z, type ZodType } from 'zod'
import { requireCsrf } from './csrf.server'
import type { Services } from '../core.server'

export type FieldErrors = Record<string, string>

export type FormResult<T> =
  | { ok: true; data: T; values: Record<string, string> }
  | { ok: false; fieldErrors: FieldErrors; values: Record<string, string> }

/**
 * The one way actions read a form: check the CSRF token (403 otherwise), then validate with the form's
 * zod schema. On failure the caller returns `fieldErrors` (first message per field) and `values` so the
 * page re-renders with each error tied to its input.
 */
export async function readForm<S extends ZodType>(request: Request, services: Services, schema: S): Promise<FormResult<z.output<S>>> {
  const formData = await readFormData(request, services)
  const values: Record<string, string> = {}
  for (const [key, value] of formData) if (typeof value === 'string' && key !== 'csrf' && !/password/i.test(key)) values[key] = value
  const parsed = schema.safeParse(Object.fromEntries(formData))
  if (parsed.success) return { ok: true, data: parsed.data, values }
  return { ok: false, fieldErrors: fieldErrorsOf(parsed.error), values }
}

/** The posted form after the CSRF check (403 otherwise), for forms with repeated fields that a flat schema cannot read. */
export async function readFormData(request: Request, services: Services): Promise<FormData> {
  const formData = await request.formData()
  await requireCsrf(request, services, formData)
  return formData
}

export function fieldErrorsOf(error: z.ZodError): FieldErrors {
  const errors: FieldErrors = {}
  for (const issue of error.issues) {
    const key = issue.path.join('.') || 'form'
    errors[key] ??= issue.message
  }
  return errors
}
