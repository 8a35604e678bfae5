import { z } from 'zod'
import { setUserLocale } from '../db/queries/users'
import { canonicalLocale, LOCALE_CHOICES, localeFromAcceptLanguage, timePreferences, type TimePreferences } from '../domain/locale'
import type { Services } from './services.server'

/** A person's own preferences (not the workspace's): for now the locale that sets their clock and first weekday. */

/** "" follows the browser; otherwise one of the offered locales. */
export const PreferencesFormSchema = z.object({
  locale: z
    .string()
    .trim()
    .refine((value) => value === '' || (LOCALE_CHOICES as readonly string[]).includes(value), { error: 'Choose one of the listed languages and regions' }),
})

/** The clock and week a signed-in person sees: their chosen locale, else their browser's (Accept-Language). */
export function preferencesOf(user: { locale: string | null }, acceptLanguage: string | null): TimePreferences & { chosen: boolean } {
  const chosen = user.locale ? canonicalLocale(user.locale) : undefined
  return { ...timePreferences(chosen ?? localeFromAcceptLanguage(acceptLanguage)), chosen: chosen !== undefined }
}

/** The choices of the preferences form, each named with the clock and week it brings. */
export function localeChoices(): Array<{ value: string; label: string }> {
  return LOCALE_CHOICES.map((locale) => {
    const { hour12, firstDay } = timePreferences(locale)
    const name = new Intl.DisplayNames(['en'], { type: 'language' }).of(locale) ?? locale
    return { value: locale, label: `${name} (${locale}): ${describeClock(hour12, firstDay)}` }
  })
}

const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday']

export function describeClock(hour12: boolean, firstDay: number): string {
  return `${hour12 ? '12-hour clock (8:00 PM)' : '24-hour clock (20:00)'}, weeks start on ${WEEKDAYS[firstDay]}`
}

export async function saveUserPreferences(services: Services, args: { userId: string; input: z.infer<typeof PreferencesFormSchema> }) {
  await setUserLocale(services.database.db, { userId: args.userId, locale: args.input.locale || null })
}
