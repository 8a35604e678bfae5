import { describe, expect, it } from 'vitest'
import { isMailable, mailCost, PostalAddressSchema } from './address'

describe('direct mail: addresses and cost', () => {
  it('parses a US address and names the bad field', () => {
    expect(PostalAddressSchema.parse({ name: 'Ada', line1: '185 Berry St', city: 'San Francisco', state: 'ca', zip: '94107' })).toMatchObject({ state: 'CA' })
    const bad = PostalAddressSchema.safeParse({ name: 'Ada', line1: '185 Berry St', city: 'SF', state: 'California', zip: '941' })
    expect(bad.error!.issues.map((i) => i.path[0])).toEqual(['state', 'zip'])
  })
  it('estimates a postcard and a letter by pages', () => {
    const prices = { postcard: 0.63, letter: 0.85, letterExtraPage: 0.1 }
    expect(mailCost({ piece: 'postcard', prices })).toBe(0.63)
    expect(mailCost({ piece: 'letter', pages: 3, prices })).toBe(1.05)
  })
  it('mails deliverable addresses (units aside) and not undeliverable ones', () => {
    expect(isMailable('deliverable')).toBe(true)
    expect(isMailable('deliverable_missing_unit')).toBe(true)
    expect(isMailable('undeliverable')).toBe(false)
    expect(isMailable('no_match')).toBe(false)
  })
})
