/**
 * Whether an SMS step may text a contact (docs/decisions/081-sms-step.md): a number, SMS consent of
 * its own (email consent is not SMS consent) and no opt-out. The reason is recorded on the skipped
 * delivery and the enrollment goes on to its next step.
 */
export function smsSkipReason(contact: { phone: string | null; smsConsentAt: string | null; smsSuppressed: boolean }): string | null {
  if (!contact.phone) return 'no phone number'
  if (!contact.smsConsentAt) return 'no SMS consent'
  if (contact.smsSuppressed) return 'opted out of SMS'
  return null
}
