import { checkVideo, isVideoType, LINKEDIN_VIDEO_LIMITS } from '../../domain/media/video'
import type { ChannelContent, ContentProblem, ValidateOptions } from '../types'

/**
 * LinkedIn's Posts API: 3,000 characters of commentary, up to 20 images (a multi-image post takes
 * 2–20), JPEG, PNG or GIF, alt text up to 4,086 characters. A thread's later parts are comments of the
 * first post by the same author (text only; a comment takes 1,250 characters). A video (Videos API, MP4,
 * 75 KB to 500 MB, 3 s to 30 min) goes alone in the first part.
 */
export const LINKEDIN_LIMITS = { maxLength: 3000, maxMediaPerPost: 20, maxThreadLength: 10 }
const MAX_COMMENT_LENGTH = 1250
const IMAGE_TYPES = new Set(['image/jpeg', 'image/png', 'image/gif'])
const MAX_IMAGE_BYTES = 10 * 1024 * 1024
const MAX_ALT_TEXT = 4086

export function validateLinkedInContent(content: ChannelContent, options: ValidateOptions = {}): ContentProblem[] {
  const maxLength = options.maxLength ?? LINKEDIN_LIMITS.maxLength
  const problems: ContentProblem[] = []
  if (content.parts.length === 0) problems.push({ path: 'parts', message: 'Add a post.' })
  if (content.parts.length > LINKEDIN_LIMITS.maxThreadLength) problems.push({ path: 'parts', message: `A LinkedIn post can have at most ${LINKEDIN_LIMITS.maxThreadLength - 1} follow-up comments.` })
  content.parts.forEach((part, i) => {
    const media = part.media ?? []
    const length = [...part.text].length
    if (!part.text.trim() && media.length === 0) problems.push({ path: `parts[${i}].text`, message: 'A LinkedIn post needs text, an image or a video.' })
    if (media.length > 1 && media.some((item) => isVideoType(item.mimeType))) problems.push({ path: `parts[${i}].media`, message: 'A LinkedIn post has one video and nothing else, or up to 20 images.' })
    const max = i === 0 ? maxLength : Math.min(maxLength, MAX_COMMENT_LENGTH)
    if (length > max) problems.push({ path: `parts[${i}].text`, message: `Too long for ${i === 0 ? 'LinkedIn' : 'a LinkedIn comment'}: ${length} characters, at most ${max}.` })
    if (i > 0 && media.length > 0) problems.push({ path: `parts[${i}].media`, message: 'Follow-up comments on LinkedIn are text only: move the images to the first part.' })
    if (media.length > LINKEDIN_LIMITS.maxMediaPerPost) problems.push({ path: `parts[${i}].media`, message: `At most ${LINKEDIN_LIMITS.maxMediaPerPost} images per LinkedIn post.` })
    media.forEach((item, j) => {
      const path = `parts[${i}].media[${j}]`
      if (isVideoType(item.mimeType)) return void problems.push(...checkVideo({ path, mimeType: item.mimeType, data: item.data, limits: LINKEDIN_VIDEO_LIMITS }))
      if (!IMAGE_TYPES.has(item.mimeType)) problems.push({ path: `${path}.mimeType`, message: 'LinkedIn takes JPEG, PNG or GIF images, or MP4 videos.' })
      if (item.data.byteLength > MAX_IMAGE_BYTES) problems.push({ path: `${path}.data`, message: 'Images on LinkedIn are at most 10 MB here.' })
      if ((item.altText?.length ?? 0) > MAX_ALT_TEXT) problems.push({ path: `${path}.altText`, message: `Alt text on LinkedIn is at most ${MAX_ALT_TEXT} characters.` })
    })
  })
  return problems
}

/**
 * The Posts API's `commentary` is "little text": these characters are markup unless escaped with a
 * backslash (learn.microsoft.com/linkedin/marketing/community-management/shares/little-text-format).
 */
const RESERVED = /[|{}@[\]()<>#\\*_~]/g
export function toLittleText(text: string): string {
  return text.replace(RESERVED, (c) => `\\${c}`)
}
