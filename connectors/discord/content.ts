import type { ChannelContent, ContentProblem } from '../types'

/**
 * Discord's limits for a webhook message (discord.com/developers/docs/resources/webhook): `content` up
 * to 2000 characters, up to 10 attachments, 10 MiB of files per message for a server without boosts.
 * Characters are counted in UTF-16 code units (an emoji may count 2), which never undercounts.
 */
export const DISCORD_LIMITS = { maxLength: 2000, maxMediaPerPost: 10, maxThreadLength: 25 }
const MAX_UPLOAD_BYTES = 10 * 1024 * 1024
export const DISCORD_IMAGE_TYPES = new Set(['image/jpeg', 'image/png', 'image/gif', 'image/webp'])

export function validateDiscordContent(content: ChannelContent, maxLength = DISCORD_LIMITS.maxLength): ContentProblem[] {
  const problems: ContentProblem[] = []
  if (content.parts.length === 0) problems.push({ path: 'parts', message: 'Add at least one post.' })
  if (content.parts.length > DISCORD_LIMITS.maxThreadLength) {
    problems.push({ path: 'parts', message: `A thread can have at most ${DISCORD_LIMITS.maxThreadLength} posts.` })
  }
  content.parts.forEach((part, i) => {
    const media = part.media ?? []
    if (!part.text.trim() && media.length === 0) problems.push({ path: `parts[${i}].text`, message: 'A post needs text or an image.' })
    if (part.text.length > maxLength) problems.push({ path: `parts[${i}].text`, message: `Too long for Discord: ${part.text.length} characters, at most ${maxLength}.` })
    if (media.length > DISCORD_LIMITS.maxMediaPerPost) {
      problems.push({ path: `parts[${i}].media`, message: `At most ${DISCORD_LIMITS.maxMediaPerPost} images per message on Discord.` })
    }
    media.forEach((item, j) => {
      if (!DISCORD_IMAGE_TYPES.has(item.mimeType)) problems.push({ path: `parts[${i}].media[${j}].mimeType`, message: 'Use JPEG, PNG, GIF or WebP images.' })
    })
    const bytes = media.reduce((sum, item) => sum + item.data.byteLength, 0)
    if (bytes > MAX_UPLOAD_BYTES) problems.push({ path: `parts[${i}].media`, message: 'The images of one Discord message are at most 10 MB together.' })
  })
  return problems
}

const DISCORD_HOSTS = new Set(['discord.com', 'discordapp.com', 'ptb.discord.com', 'canary.discord.com'])

/**
 * The webhook's id and token from its URL (Server Settings → Integrations → Webhooks → Copy Webhook URL):
 * `https://discord.com/api/webhooks/<id>/<token>`, on one of Discord's hosts or on `apiOrigin` (the API
 * the connector is configured with). Null for anything else: Trickle only ever calls its configured API.
 */
export function parseWebhookUrl(input: string, apiOrigin: string): { id: string; token: string } | null {
  let url: URL
  try {
    url = new URL(input.trim())
  } catch {
    return null
  }
  if (url.origin !== apiOrigin && !(url.protocol === 'https:' && DISCORD_HOSTS.has(url.hostname))) return null
  const match = /\/webhooks\/(\d{5,25})\/([A-Za-z0-9_-]{20,100})\/?$/.exec(url.pathname)
  return match ? { id: match[1]!, token: match[2]! } : null
}
