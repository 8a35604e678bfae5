import { exponential, when, type Agenda, type BackoffStrategy } from 'agenda'
import { sendSignupConfirmation } from '../core/email.server'
import type { Services } from '../core/services.server'
import { isRetryableConfirmationFailure } from '../core/signup-confirmation.server'
import { SIGNUP_CONFIRMATION_JOB } from './enqueue'

/**
 * The double opt-in email of a public signup form, sent by the worker instead of inside the form's
 * request (decision 064): a slow or unreachable SMTP server delays the email, never the page.
 */

export type SignupConfirmationData = { workspaceId: string; contactId: string; consentId: string }

/** 30 s, 1 min, 2 min … up to 30 min apart, 10 retries (about 3 hours), then the job stays failed. */
export const confirmationBackoff: BackoffStrategy = when((ctx) => isRetryableConfirmationFailure(ctx.error), exponential({ delay: 30_000, factor: 2, maxDelay: 30 * 60_000, maxRetries: 10 }))

export function defineSignupConfirmation(agenda: Agenda, services: Services): void {
  agenda.define<SignupConfirmationData>(
    SIGNUP_CONFIRMATION_JOB,
    async (job) => {
      const { workspaceId, contactId, consentId } = job.attrs.data
      await sendSignupConfirmation(services, { workspaceId, contactId, consentId })
    },
    // The SMTP client gives up on a silent server after its timeouts (up to 60 s a socket); the lock outlives them.
    { concurrency: 5, lockLifetime: 5 * 60_000, backoff: confirmationBackoff, removeOnComplete: true },
  )
}
