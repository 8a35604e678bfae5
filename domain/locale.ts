/**
 * How a person reads times and weeks: a 12- or 24-hour clock and the first day of the week, from their
 * locale (issue 20: the calendar's week view said "8pm" while the rest said 20:00). The locale is their
 * own setting or, until they choose one, their browser's (Accept-Language). Computed on the server and
 * handed to the browser, so both render the same text.
 */

/** The locales people can choose in their preferences, with the clock and week each one brings. */
export const LOCALE_CHOICES = ['en-US', 'en-GB', 'en-CA', 'en-AU', 'en-IN', 'de-DE', 'fr-FR', 'es-ES', 'es-MX', 'it-IT', 'nl-NL', 'pt-BR', 'pt-PT', 'pl-PL', 'sv-SE', 'ja-JP', 'ko-KR', 'zh-CN'] as const

/** Without a usable Accept-Language (API clients, scripts): the 24-hour clock and Monday-first weeks of ISO 8601. */
export const DEFAULT_LOCALE = 'en-GB'

export type TimePreferences = {
  locale: string
  /** true: "8:00 PM"; false: "20:00". */
  hour12: boolean
  /** 0 = Sunday … 6 = Saturday (FullCalendar's `firstDay`). */
  firstDay: number
}

/** A well-formed BCP 47 tag that Intl knows, canonicalised ("en-gb" → "en-GB"); undefined otherwise. */
export function canonicalLocale(tag: string): string | undefined {
  try {
    const [canonical] = Intl.getCanonicalLocales(tag.trim())
    return canonical && Intl.DateTimeFormat.supportedLocalesOf([canonical]).length > 0 ? canonical : undefined
  } catch {
    return undefined
  }
}

/** The first locale of an Accept-Language header by quality that Intl supports ("*" and junk are skipped). */
export function localeFromAcceptLanguage(header: string | null | undefined): string {
  const ranked = (header ?? '')
    .split(',')
    .map((part, order) => {
      const [tag = '', ...params] = part.trim().split(';')
      const q = Number(params.find((p) => p.trim().startsWith('q='))?.trim().slice(2) ?? '1')
      return { tag: tag.trim(), q: Number.isFinite(q) ? q : 0, order }
    })
    .filter((l) => l.tag && l.tag !== '*' && l.q > 0)
    .sort((a, b) => b.q - a.q || a.order - b.order)
  for (const { tag } of ranked) {
    const locale = canonicalLocale(tag)
    if (locale) return locale
  }
  return DEFAULT_LOCALE
}

type WeekInfo = { firstDay: number }

/** The clock and first weekday a locale uses (CLDR data through Intl). */
export function timePreferences(locale: string): TimePreferences {
  const tag = canonicalLocale(locale) ?? DEFAULT_LOCALE
  const hourCycle = new Intl.DateTimeFormat(tag, { hour: 'numeric' }).resolvedOptions().hourCycle
  const info = new Intl.Locale(tag) as Intl.Locale & { getWeekInfo?: () => WeekInfo; weekInfo?: WeekInfo }
  const firstDay = (info.getWeekInfo?.() ?? info.weekInfo)?.firstDay ?? 1
  return { locale: tag, hour12: hourCycle === 'h11' || hourCycle === 'h12', firstDay: firstDay % 7 }
}
