import { ZxcvbnFactory } from '@zxcvbn-ts/core'
import * as common from '@zxcvbn-ts/language-common'
import { z } from 'zod'
import { PASSWORD_MIN_LENGTH } from './password-length'

/**
 * What a new password must be: 12 to 200 characters and not common or easy to guess. "Common" is
 * zxcvbn's judgement against its lists of common and breached passwords (with keyboard walks, repeats,
 * dates and l33t variants of them) and the person's own email and name: a score under 3 of 4 is refused.
 * No composition rules (ASVS 6.2): a few unrelated words pass, `Password123!` does not.
 */

export { PASSWORD_MIN_LENGTH }
export const PASSWORD_MAX_LENGTH = 200
const MIN_SCORE = 3

export const COMMON_PASSWORD_MESSAGE = 'This password is too common or easy to guess. Use a longer one, for example a few unrelated words.'

let checker: ZxcvbnFactory | undefined

/** null when the password is acceptable, else the message to show on the password field. */
export function passwordProblem(password: string, userInputs: string[] = []): string | null {
  if (password.length < PASSWORD_MIN_LENGTH) return `Use at least ${PASSWORD_MIN_LENGTH} characters`
  if (password.length > PASSWORD_MAX_LENGTH) return `Use at most ${PASSWORD_MAX_LENGTH} characters`
  // The dictionaries are built on first use (a few hundred milliseconds), not at import.
  checker ??= new ZxcvbnFactory({ dictionary: { ...common.dictionary }, graphs: common.adjacencyGraphs })
  const inputs = userInputs.flatMap((s) => [s, ...s.toLowerCase().split(/[^a-z0-9]+/)]).filter((s) => s.length >= 3)
  const result = checker.check(password.slice(0, 100), inputs)
  if (result.score >= MIN_SCORE) return null
  return result.feedback.warning === 'userInputs' ? 'Do not use your email or name in your password. Use a few unrelated words instead.' : COMMON_PASSWORD_MESSAGE
}

/** A new password (sign-up, change, reset, CLI). */
export const NewPasswordSchema = z.string().superRefine((password, ctx) => {
  const problem = passwordProblem(password)
  if (problem) ctx.addIssue({ code: 'custom', message: problem })
})

/** Adds the check against the person's own email and name to an object schema with `password`. */
export function refinePasswordWithUser(data: { password: string; email?: string; name?: string }, ctx: z.RefinementCtx): void {
  const inputs = [data.email, data.name].filter((s): s is string => Boolean(s))
  const problem = passwordProblem(data.password, inputs)
  if (problem) ctx.addIssue({ code: 'custom', path: ['password'], message: problem })
}
