/**
 * Links in posts and emails (docs/decisions/084-short-links-and-post-metrics.md), pure: finding the
 * links in a post's text, adding UTM parameters, and putting short links in their place.
 */

export type Utm = { source: string; medium: 'social' | 'email'; campaign: string; content: string }

/** A sequence's name as a `utm_campaign` value: lower case ASCII words joined by hyphens. */
export function campaignSlug(name: string): string {
  const slug = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 80)
    .replace(/-+$/, '')
  return slug || 'campaign'
}

/** `utm_content` of a step: its 1-based position. */
export const stepContent = (position: number) => `step-${position + 1}`

/**
 * The link with the UTM parameters added. Parameters the author already wrote into the link win (a
 * hand-made `utm_source` is kept); other query parameters and the fragment are untouched. Only
 * http(s) links change.
 */
export function withUtm(url: string, utm: Utm): string {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return url
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return url
  const params: Array<[string, string]> = [
    ['utm_source', utm.source],
    ['utm_medium', utm.medium],
    ['utm_campaign', utm.campaign],
    ['utm_content', utm.content],
  ]
  for (const [key, value] of params) if (!parsed.searchParams.has(key)) parsed.searchParams.append(key, value)
  return parsed.toString()
}

/**
 * A link as the reader's page shows it: without its utm_* parameters, and those parameters apart (in
 * the link's order). A link that does not parse is returned whole, with none.
 */
export function splitUtm(url: string): { link: string; utm: Array<{ key: string; value: string }> } {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return { link: url, utm: [] }
  }
  const utm = [...parsed.searchParams.entries()].filter(([key]) => key.startsWith('utm_')).map(([key, value]) => ({ key, value }))
  if (utm.length === 0) return { link: url, utm }
  for (const { key } of utm) parsed.searchParams.delete(key)
  return { link: parsed.toString(), utm }
}

/** Trailing characters that end a sentence rather than a link ("see https://a.example/x."). */
const TRAILING = /[.,;:!?'")\]}>]+$/

/**
 * The http(s) links of a post's text, in order of appearance, each once; with their positions. A link
 * ends at white space; trailing punctuation is not part of it (a closing parenthesis is, when the link
 * opened one).
 */
export function findLinks(text: string): Array<{ url: string; start: number; end: number }> {
  const found: Array<{ url: string; start: number; end: number }> = []
  for (const match of text.matchAll(/https?:\/\/[^\s<>"]+/g)) {
    let url = match[0]
    for (;;) {
      const trimmed = url.replace(TRAILING, (tail) => {
        // Keep one ")" when the link itself opened a parenthesis: https://en.wikipedia.org/wiki/X_(Y)
        const opens = (url.match(/\(/g) ?? []).length
        const closes = (url.slice(0, url.length - tail.length).match(/\)/g) ?? []).length
        return tail.startsWith(')') && opens > closes ? ')' : ''
      })
      if (trimmed === url) break
      url = trimmed
    }
    try {
      const host = new URL(url).hostname
      if (!host.includes('.') && host !== 'localhost') continue
    } catch {
      continue
    }
    found.push({ url, start: match.index!, end: match.index! + url.length })
  }
  return found
}

/** The distinct links of several texts. */
export function distinctLinks(texts: string[]): string[] {
  return [...new Set(texts.flatMap((t) => findLinks(t).map((l) => l.url)))]
}

/** The text with each link found by `findLinks` replaced by `replacement(url)` (or kept when it returns undefined). */
export function replaceLinks(text: string, replacement: (url: string) => string | undefined): string {
  let out = ''
  let at = 0
  for (const link of findLinks(text)) {
    out += text.slice(at, link.start) + (replacement(link.url) ?? link.url)
    at = link.end
  }
  return out + text.slice(at)
}
