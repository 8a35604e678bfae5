import type { ChannelContent, ContentProblem } from '../types'

/**
 * Telegram's limits (core.telegram.org/bots/api): a message's text is 1–4096 characters, a photo's
 * caption at most 1024, a photo at most 10 MB, an album (sendMediaGroup) 2–10 photos. Characters are
 * counted in UTF-16 code units, as the Bot API counts entity offsets (an emoji may count 2).
 */
export const TELEGRAM_LIMITS = { maxLength: 4096, maxMediaPerPost: 10, maxThreadLength: 25 }
export const TELEGRAM_MAX_CAPTION = 1024
const MAX_PHOTO_BYTES = 10 * 1024 * 1024
export const TELEGRAM_PHOTO_TYPES = new Set(['image/jpeg', 'image/png', 'image/webp'])

export function validateTelegramContent(content: ChannelContent, maxLength = TELEGRAM_LIMITS.maxLength): ContentProblem[] {
  const problems: ContentProblem[] = []
  if (content.parts.length === 0) problems.push({ path: 'parts', message: 'Add at least one post.' })
  if (content.parts.length > TELEGRAM_LIMITS.maxThreadLength) {
    problems.push({ path: 'parts', message: `A thread can have at most ${TELEGRAM_LIMITS.maxThreadLength} posts.` })
  }
  content.parts.forEach((part, i) => {
    const media = part.media ?? []
    const length = part.text.length
    if (!part.text.trim() && media.length === 0) problems.push({ path: `parts[${i}].text`, message: 'A post needs text or an image.' })
    if (media.length > 0 && length > TELEGRAM_MAX_CAPTION) {
      problems.push({ path: `parts[${i}].text`, message: `Too long for a Telegram photo caption: ${length} characters, at most ${TELEGRAM_MAX_CAPTION}.` })
    } else if (length > maxLength) {
      problems.push({ path: `parts[${i}].text`, message: `Too long for Telegram: ${length} characters, at most ${maxLength}.` })
    }
    if (media.length > TELEGRAM_LIMITS.maxMediaPerPost) {
      problems.push({ path: `parts[${i}].media`, message: `At most ${TELEGRAM_LIMITS.maxMediaPerPost} images per post on Telegram.` })
    }
    media.forEach((item, j) => {
      const path = `parts[${i}].media[${j}]`
      if (!TELEGRAM_PHOTO_TYPES.has(item.mimeType)) problems.push({ path: `${path}.mimeType`, message: 'Use JPEG, PNG or WebP images on Telegram.' })
      if (item.data.byteLength > MAX_PHOTO_BYTES) problems.push({ path: `${path}.data`, message: 'Telegram photos are at most 10 MB.' })
    })
  })
  return problems
}

/** `@name`, `name`, `t.me/name`, `https://t.me/name` or a numeric chat id (`-100…`) → what the Bot API takes as `chat_id`. */
export function telegramChatId(input: string): string | null {
  const value = input.trim()
  if (/^-?\d{5,20}$/.test(value)) return value
  const name = /^(?:(?:https?:\/\/)?t(?:elegram)?\.me\/|@)?([A-Za-z][A-Za-z0-9_]{3,31})\/?$/.exec(value)?.[1]
  return name ? `@${name}` : null
}

/** A message's public link: t.me/<username>/<id> for a public channel, t.me/c/<id without -100>/<id> for a private one. */
export function telegramMessageUrl(chat: { id: string; username?: string }, messageId: string): string | undefined {
  if (chat.username) return `https://t.me/${chat.username}/${messageId}`
  if (chat.id.startsWith('-100')) return `https://t.me/c/${chat.id.slice(4)}/${messageId}`
  return undefined
}
