import { EmailBounceError } from '../connectors/email/index'
import { ConnectorError } from '../connectors/types'
import { EmailNotConfiguredError } from '../core/email.server'
import { isRetryableConfirmationFailure } from '../core/signup-confirmation.server'
import { confirmationBackoff } from './signup-confirmation'

describe('signup confirmation retries', () => {
  it('retries SMTP outages and deferrals, not a missing sender, a bounce or refused content', () => {
    expect(isRetryableConfirmationFailure(new ConnectorError('transient', 'Greeting never received'))).toBe(true)
    expect(isRetryableConfirmationFailure(new Error('connect ECONNREFUSED'))).toBe(true)
    expect(isRetryableConfirmationFailure(new EmailNotConfiguredError('no sender'))).toBe(false)
    expect(isRetryableConfirmationFailure(new ConnectorError('invalid-content', 'refused'))).toBe(false)
    expect(isRetryableConfirmationFailure(new EmailBounceError('gone@example.com', '550 5.1.1 User unknown', 550))).toBe(false)
    const ctx = (attempt: number, error: Error) => ({ attempt, error, jobName: 'signup-confirmation', jobData: {} })
    expect(confirmationBackoff(ctx(1, new Error('timeout')))).toBe(30_000)
    expect(confirmationBackoff(ctx(10, new Error('timeout')))).toBe(30 * 60_000)
    expect(confirmationBackoff(ctx(11, new Error('timeout')))).toBeNull()
    expect(confirmationBackoff(ctx(1, new EmailNotConfiguredError('no sender')))).toBeNull()
  })
})
