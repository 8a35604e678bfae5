/**
 * How many SMS segments a text costs (docs/decisions/081-sms-step.md). Pure: the builder counts as the
 * user types, the runner records it with each send. A text that fits the GSM 03.38 alphabet goes as
 * GSM-7 (160 septets in one segment, 153 per segment when split: 7 go to the concatenation header);
 * the extension table's characters (`^{}\[~]|€` and form feed) take two septets each. Any other
 * character sends the whole text as UCS-2 (70 UTF-16 units alone, 67 per segment when split).
 */

const GSM_BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\u001bÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà'
const GSM_EXTENSION = '\f^{}\\[~]|€'

const basic = new Set(GSM_BASIC)
const extension = new Set(GSM_EXTENSION)

export type SmsEncoding = 'GSM-7' | 'UCS-2'

export type SmsSegments = {
  encoding: SmsEncoding
  /** Septets (GSM-7) or UTF-16 code units (UCS-2) the text takes. */
  units: number
  segments: number
  /** Units one segment holds at this length (160/153 or 70/67). */
  perSegment: number
  /** Characters that forced UCS-2 (first few, for the editor's hint). */
  nonGsm: string[]
}

/** The characters of `text` outside the GSM-7 alphabets (basic and extension). */
export function nonGsmCharacters(text: string): string[] {
  const out: string[] = []
  for (const ch of text) if (!basic.has(ch) && !extension.has(ch) && !out.includes(ch)) out.push(ch)
  return out
}

export function countSmsSegments(text: string): SmsSegments {
  const nonGsm = nonGsmCharacters(text)
  if (nonGsm.length === 0) {
    let units = 0
    for (const ch of text) units += extension.has(ch) ? 2 : 1
    const perSegment = units <= 160 ? 160 : 153
    return { encoding: 'GSM-7', units, segments: units === 0 ? 0 : Math.ceil(units / perSegment), perSegment, nonGsm }
  }
  const units = text.length
  const perSegment = units <= 70 ? 70 : 67
  return { encoding: 'UCS-2', units, segments: Math.ceil(units / perSegment), perSegment, nonGsm: nonGsm.slice(0, 5) }
}

/** What one send costs at `pricePerSegment` (the workspace's setting, in its currency), rounded to 1/10000. */
export function smsCost(args: { segments: number; pricePerSegment: number }): number {
  return Math.round(args.segments * args.pricePerSegment * 10_000) / 10_000
}

/** The most segments a drip's SMS step may take (a longer text is refused when saving). */
export const MAX_SMS_SEGMENTS = 10
