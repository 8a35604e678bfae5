import { canonicalLocale, localeFromAcceptLanguage, timePreferences } from './locale'

describe('timePreferences', () => {
  it('gives the clock and first weekday of a locale', () => {
    expect(timePreferences('en-US')).toEqual({ locale: 'en-US', hour12: true, firstDay: 0 })
    expect(timePreferences('en-GB')).toEqual({ locale: 'en-GB', hour12: false, firstDay: 1 })
    expect(timePreferences('de-DE')).toEqual({ locale: 'de-DE', hour12: false, firstDay: 1 })
    expect(timePreferences('pt-BR')).toEqual({ locale: 'pt-BR', hour12: false, firstDay: 0 })
  })
  it('falls back to en-GB (24-hour, Monday) for a tag Intl does not know', () => {
    expect(timePreferences('not a locale').locale).toBe('en-GB')
  })
})

describe('localeFromAcceptLanguage', () => {
  it('takes the best-rated locale Intl supports', () => {
    expect(localeFromAcceptLanguage('de-DE,de;q=0.9,en;q=0.8')).toBe('de-DE')
    expect(localeFromAcceptLanguage('en;q=0.5, en-gb;q=0.9')).toBe('en-GB')
    expect(localeFromAcceptLanguage('*, ???;q=1, fr-FR;q=0.2')).toBe('fr-FR')
  })
  it('is en-GB (24-hour, Monday) without a header', () => {
    expect(localeFromAcceptLanguage(null)).toBe('en-GB')
    expect(localeFromAcceptLanguage('')).toBe('en-GB')
  })
  it('canonicalises tags', () => {
    expect(canonicalLocale('EN-gb')).toBe('en-GB')
    expect(canonicalLocale('x')).toBeUndefined()
  })
})
