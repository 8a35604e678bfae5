import { createRequire } from 'node:module'

// twitter-text is CommonJS without a usable default export under every loader: require it.
const twitterText = createRequire(import.meta.url)('twitter-text') as {
  parseTweet(text: string): { weightedLength: number }
}

/** X's weighted length: most CJK and emoji count 2, every URL counts 23. */
export function weightedLength(text: string): number {
  return twitterText.parseTweet(text).weightedLength
}

const ENTITIES: Record<string, string> = { '&amp;': '&', '&lt;': '<', '&gt;': '>' }

/**
 * The comparable form of a post's text: X returns it HTML-escaped and with links replaced by t.co URLs,
 * so both sides drop links and entity escapes before matching our post against the timeline.
 */
export function comparableText(text: string): string {
  return text
    .replace(/&(amp|lt|gt);/g, (m) => ENTITIES[m]!)
    .replace(/https?:\/\/\S+/g, '<link>')
    .replace(/\s+/g, ' ')
    .trim()
}
