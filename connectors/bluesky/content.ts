import { createHash } from 'node:crypto'
import { BLUESKY_VIDEO_LIMITS, checkVideo, isVideoType } from '../../domain/media/video'
import type { ChannelContent, ContentProblem } from '../types'

/**
 * app.bsky.feed.post: 300 graphemes and 3,000 UTF-8 bytes of text; app.bsky.embed.images: 4 images of 2 MB;
 * app.bsky.embed.video: one MP4 (domain/media/video.ts BLUESKY_VIDEO_LIMITS), alone.
 */
export const BLUESKY_LIMITS = { maxLength: 300, maxMediaPerPost: 4, maxThreadLength: 25 }
const MAX_TEXT_BYTES = 3000
const MAX_IMAGE_BYTES = 2_000_000
const IMAGE_TYPES = new Set(['image/jpeg', 'image/png', 'image/gif', 'image/webp'])
const BASE32_SORTABLE = '234567abcdefghijklmnopqrstuvwxyz'

const graphemes = new Intl.Segmenter()

/**
 * Counted the way the PDS's lexicon validator counts (`maxGraphemes`): `@atproto/lex-data`'s `graphemeLen`
 * is `Intl.Segmenter` wherever that exists (Node has it). Counted here without loading `@atproto/api`,
 * which `validate` (synchronous, run by every process at schedule time) must not wait for.
 */
export function graphemeLength(text: string): number {
  let length = 0
  for (const _ of graphemes.segment(text)) length++
  return length
}

/**
 * The record key of part `part` of the publish with this idempotency key: a valid TID (13 base32-sortable
 * characters, top bit zero; posts require TID keys) made from 63 bits of SHA-256. A retried publish
 * writes to the same key, and the PDS refuses a second record there, so it cannot post twice. The
 * "timestamp" bits are hash bits, not a time; nothing orders posts by their key.
 */
export function recordKeyFor(idempotencyKey: string, part: number): string {
  let n = createHash('sha256').update(`${idempotencyKey}:${part}`).digest().readBigUInt64BE(0) & ((1n << 63n) - 1n)
  let key = ''
  for (let i = 0; i < 13; i++) {
    key = BASE32_SORTABLE[Number(n & 31n)] + key
    n >>= 5n
  }
  return key
}

export function validateBlueskyContent(content: ChannelContent, maxLength: number): ContentProblem[] {
  const problems: ContentProblem[] = []
  if (content.parts.length === 0) problems.push({ path: 'parts', message: 'Add at least one post.' })
  if (content.parts.length > BLUESKY_LIMITS.maxThreadLength) {
    problems.push({ path: 'parts', message: `A thread can have at most ${BLUESKY_LIMITS.maxThreadLength} posts.` })
  }
  content.parts.forEach((part, i) => {
    const media = part.media ?? []
    if (!part.text.trim() && media.length === 0) problems.push({ path: `parts[${i}].text`, message: 'A post needs text or an image.' })
    const length = graphemeLength(part.text)
    if (length > maxLength) {
      problems.push({ path: `parts[${i}].text`, message: `Too long for Bluesky: ${length} characters, at most ${maxLength}.` })
    } else if (Buffer.byteLength(part.text, 'utf8') > MAX_TEXT_BYTES) {
      problems.push({ path: `parts[${i}].text`, message: `Too long for Bluesky: more than ${MAX_TEXT_BYTES} bytes.` })
    }
    if (media.length > 1 && media.some((item) => isVideoType(item.mimeType))) {
      problems.push({ path: `parts[${i}].media`, message: 'A post on Bluesky has one video and nothing else, or up to 4 images.' })
    }
    if (media.length > BLUESKY_LIMITS.maxMediaPerPost) {
      problems.push({ path: `parts[${i}].media`, message: `At most ${BLUESKY_LIMITS.maxMediaPerPost} images per post on Bluesky.` })
    }
    media.forEach((item, j) => {
      const path = `parts[${i}].media[${j}]`
      if (isVideoType(item.mimeType)) return void problems.push(...checkVideo({ path, mimeType: item.mimeType, data: item.data, limits: BLUESKY_VIDEO_LIMITS }))
      if (!IMAGE_TYPES.has(item.mimeType)) problems.push({ path: `${path}.mimeType`, message: 'Use JPEG, PNG, GIF or WebP images, or an MP4 video.' })
      if (item.data.byteLength > MAX_IMAGE_BYTES) problems.push({ path: `${path}.data`, message: 'Images are at most 2 MB on Bluesky.' })
    })
  })
  return problems
}
