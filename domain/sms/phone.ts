/**
 * Contact phone numbers (docs/decisions/081-sms-step.md): validated and normalised to E.164 with
 * libphonenumber-js's full metadata (a number of the right length but no assigned range is refused).
 * A number without a leading `+` is read in `defaultCountry` when one is given.
 */
import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/max'

export type PhoneResult = { ok: true; e164: string; country: string | null } | { ok: false; message: string }

export function normalisePhone(input: string, options: { defaultCountry?: string } = {}): PhoneResult {
  const raw = input.trim()
  if (raw === '') return { ok: false, message: 'enter a phone number' }
  if (raw.length > 40) return { ok: false, message: 'is too long for a phone number' }
  const country = options.defaultCountry?.toUpperCase() as CountryCode | undefined
  const parsed = parsePhoneNumberFromString(raw, country ? { defaultCountry: country } : undefined)
  if (!parsed) return { ok: false, message: raw.startsWith('+') ? 'is not a phone number' : 'is not a phone number; write it in international form, like +14155550123' }
  if (!parsed.isValid()) return { ok: false, message: `${parsed.number} is not a valid phone number${parsed.country ? ` for ${parsed.country}` : ''}` }
  return { ok: true, e164: parsed.number, country: parsed.country ?? null }
}
