import { expect, it } from 'vitest'
import { smsSkipReason } from './eligibility'

it('names why an SMS step skips a contact: no phone, no SMS consent, opted out', () => {
  expect(smsSkipReason({ phone: null, smsConsentAt: '2026-12-01T00:00:00Z', smsSuppressed: false })).toBe('no phone number')
  expect(smsSkipReason({ phone: '+14155552671', smsConsentAt: null, smsSuppressed: false })).toBe('no SMS consent')
  expect(smsSkipReason({ phone: '+14155552671', smsConsentAt: '2026-12-01T00:00:00Z', smsSuppressed: true })).toBe('opted out of SMS')
  expect(smsSkipReason({ phone: '+14155552671', smsConsentAt: '2026-12-01T00:00:00Z', smsSuppressed: false })).toBeNull()
})
