import { describe, expect, it } from 'vitest'
import { countSmsSegments, nonGsmCharacters, smsCost } from './segments'

describe('countSmsSegments', () => {
  it('counts GSM-7 septets: 160 in one segment, 153 per segment beyond', () => {
    expect(countSmsSegments('')).toMatchObject({ encoding: 'GSM-7', units: 0, segments: 0 })
    expect(countSmsSegments('a'.repeat(160))).toMatchObject({ encoding: 'GSM-7', units: 160, segments: 1, perSegment: 160 })
    expect(countSmsSegments('a'.repeat(161))).toMatchObject({ encoding: 'GSM-7', units: 161, segments: 2, perSegment: 153 })
    expect(countSmsSegments('a'.repeat(306))).toMatchObject({ segments: 2 })
    expect(countSmsSegments('a'.repeat(307))).toMatchObject({ segments: 3 })
  })

  it('counts extension characters as two septets', () => {
    expect(countSmsSegments('€')).toMatchObject({ encoding: 'GSM-7', units: 2 })
    expect(countSmsSegments('{'.repeat(80))).toMatchObject({ units: 160, segments: 1 })
    expect(countSmsSegments('a' + '{'.repeat(80))).toMatchObject({ units: 161, segments: 2 })
  })

  it('keeps accented letters of the GSM alphabet in GSM-7', () => {
    expect(countSmsSegments('Café à Zürich, ¿qué? Ñoño £5')).toMatchObject({ encoding: 'GSM-7' })
  })

  it('switches the whole text to UCS-2 for one character outside GSM-7: 70 alone, 67 per segment', () => {
    const s = countSmsSegments('Hi ✓')
    expect(s).toMatchObject({ encoding: 'UCS-2', units: 4, segments: 1, nonGsm: ['✓'] })
    expect(countSmsSegments('ç' + 'a'.repeat(69))).toMatchObject({ encoding: 'UCS-2', units: 70, segments: 1 })
    expect(countSmsSegments('ç' + 'a'.repeat(70))).toMatchObject({ encoding: 'UCS-2', units: 71, segments: 2, perSegment: 67 })
  })

  it('counts an emoji as two UTF-16 units', () => {
    expect(countSmsSegments('😀')).toMatchObject({ encoding: 'UCS-2', units: 2, segments: 1 })
  })

  it('names each non-GSM character once', () => {
    expect(nonGsmCharacters('“hi” “ho”')).toEqual(['“', '”'])
  })
})

describe('smsCost', () => {
  it('multiplies segments by the price per segment', () => {
    expect(smsCost({ segments: 3, pricePerSegment: 0.0079 })).toBe(0.0237)
    expect(smsCost({ segments: 0, pricePerSegment: 0.0079 })).toBe(0)
  })
})
