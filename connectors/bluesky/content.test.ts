import fc from 'fast-check'
import { BLUESKY_LIMITS, graphemeLength, recordKeyFor, validateBlueskyContent } from './content'

/** The TID syntax from the atproto spec: 13 base32-sortable characters, the first with its top bit clear. */
const TID = /^[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}$/

describe('Bluesky record keys', () => {
  it('are valid TIDs, the same for the same key and part, different otherwise', () => {
    fc.assert(
      fc.property(fc.string(), fc.nat(50), (key, part) => {
        const rkey = recordKeyFor(key, part)
        expect(rkey).toMatch(TID)
        expect(recordKeyFor(key, part)).toBe(rkey)
        expect(recordKeyFor(key, part + 1)).not.toBe(rkey)
        expect(recordKeyFor(`${key}!`, part)).not.toBe(rkey)
      }),
    )
  })

  it('do not change between releases (a changed derivation would re-post pending retries)', () => {
    // Computed independently: the first 63 bits of sha256("delivery-1:<part>"), base32-sortable.
    expect([recordKeyFor('delivery-1', 0), recordKeyFor('delivery-1', 1)]).toEqual(['b7ilv6v667m43', '2mjctksol6eqc'])
  })
})

describe('Bluesky validation', () => {
  const one = (text: string) => ({ parts: [{ text }] })
  const max = BLUESKY_LIMITS.maxLength

  it('counts graphemes: an emoji with a skin tone or a ZWJ family is one', () => {
    expect(graphemeLength('👍🏽')).toBe(1)
    expect(graphemeLength('👨‍👩‍👧‍👦')).toBe(1)
    expect(graphemeLength('e\u0301')).toBe(1)
    expect(validateBlueskyContent(one('👍🏽'.repeat(max)), max)).toEqual([])
    expect(validateBlueskyContent(one('👍🏽'.repeat(max + 1)), max).map((p) => p.path)).toEqual(['parts[0].text'])
  })

  it('also holds text to 3,000 UTF-8 bytes', () => {
    const families = '👨‍👩‍👧‍👦'.repeat(200) // 200 graphemes, 5,000 bytes
    expect(validateBlueskyContent(one(families), max)).toEqual([{ path: 'parts[0].text', message: 'Too long for Bluesky: more than 3000 bytes.' }])
  })

  it('takes the account limit, and names empty posts, image count, type and size', () => {
    expect(validateBlueskyContent(one('x'.repeat(350)), 400)).toEqual([])
    const image = { mimeType: 'image/png', data: new Uint8Array(10) }
    const problems = validateBlueskyContent(
      {
        parts: [
          { text: ' ' },
          { text: 'five', media: Array.from({ length: 5 }, () => image) },
          { text: 'odd', media: [{ mimeType: 'image/tiff', data: new Uint8Array(2_000_001) }] },
        ],
      },
      max,
    )
    expect(problems.map((p) => p.path)).toEqual(['parts[0].text', 'parts[1].media', 'parts[2].media[0].mimeType', 'parts[2].media[0].data'])
    expect(validateBlueskyContent({ parts: [] }, max)).toEqual([{ path: 'parts', message: 'Add at least one post.' }])
  })
})
