import { isEmailBounce } from '../connectors/email/index'
import { ConnectorError } from '../connectors/types'
import { EmailNotConfiguredError } from './email.server'

/**
 * Which failures of a signup form's double opt-in email (email.server.ts sendSignupConfirmation, sent by
 * the worker: jobs/signup-confirmation.ts) a later attempt can fix.
 */

/** Failures a later attempt can fix (SMTP down, slow, deferring, credentials being fixed); not a refused address or content, nor a missing sender. */
export function isRetryableConfirmationFailure(error: unknown): boolean {
  if (error instanceof EmailNotConfiguredError || isEmailBounce(error)) return false
  if (error instanceof ConnectorError) return error.kind !== 'invalid-content'
  return true
}
