import { describe, expect, it } from 'vitest'
import { normalisePhone } from './phone'

describe('normalisePhone', () => {
  it('normalises international forms to E.164', () => {
    expect(normalisePhone('+1 (415) 555-2671')).toEqual({ ok: true, e164: '+14155552671', country: 'US' })
    expect(normalisePhone('+44 20 7946 0958')).toMatchObject({ ok: true, e164: '+442079460958', country: 'GB' })
  })

  it('reads a national number in the default country', () => {
    expect(normalisePhone('030 12345678', { defaultCountry: 'de' })).toMatchObject({ ok: true, e164: '+493012345678' })
  })

  it('refuses what is not a valid number', () => {
    expect(normalisePhone('')).toMatchObject({ ok: false, message: 'enter a phone number' })
    expect(normalisePhone('hello')).toMatchObject({ ok: false })
    expect(normalisePhone('+1 415 555')).toMatchObject({ ok: false })
    expect(normalisePhone('4155552671')).toMatchObject({ ok: false, message: expect.stringContaining('international form') })
    expect(normalisePhone('+999 1234 5678')).toMatchObject({ ok: false })
  })
})
