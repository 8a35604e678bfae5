import type { z } from 'zod'
import { InputError } from '../errors'

/** A 400 naming the first bad field of a drip or enrollment input (unknown keys are named too). */
export function invalidDripInput(error: z.ZodError): InputError {
  const issue = error.issues[0]!
  const path = [...issue.path, ...(issue.code === 'unrecognized_keys' ? issue.keys.slice(0, 1) : [])]
  const field = path.map(String).join('.') || 'input'
  return new InputError(field, issue.message.startsWith(field) ? issue.message : `${field}: ${issue.message}`)
}

export function dripNotFound(): InputError {
  return new InputError(undefined, 'No such drip', { status: 404 })
}
