import type { Clock } from '../../domain/clock'
import {
  ConnectorError,
  type AuthorizedAccount,
  type ChannelContent,
  type Connector,
  type ContentProblem,
  type Credentials,
  type PublishArgs,
  type PublishResult,
  type ValidateOptions,
} from '../types'
import { DISCORD_LIMITS, parseWebhookUrl, validateDiscordContent } from './content'

/**
 * Discord through a channel's incoming webhook (the user pastes its URL into the Accounts page's form):
 * `POST /webhooks/{id}/{token}?wait=true` answers the created message, so its id is known; a thread is
 * a run of follow-up messages. Mentions are never parsed (`allowed_mentions: { parse: [] }`): a scheduled
 * "@everyone" does not ping anyone. Webhooks take no idempotency key and cannot list a channel's
 * messages, so there is no `lookup`: an unknown outcome goes to a person (decision 085).
 */
export type DiscordConnectorConfig = {
  /** Discord's API (default https://discord.com/api/v10; a loopback test server). */
  apiBaseUrl?: string
  timeoutMs?: number
  /** The longest wait between two parts of a thread when the webhook's bucket is empty (default 5 s); longer is a rate limit. */
  maxBucketWaitMs?: number
  clock?: Clock
}

export { DISCORD_LIMITS } from './content'
import { socketCode } from '../http-json'

type CallKind = 'write' | 'read'
type DiscordMessage = { id: string; channel_id: string }
type Webhook = { id: string; name: string | null; channel_id: string; guild_id?: string | null; type: number }

const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH'])
/** JSON error codes (discord.com/developers/docs/topics/opcodes-and-status-codes#json). */
const UNKNOWN_WEBHOOK = 10015
const UNKNOWN_CHANNEL = 10003

export function createDiscordConnector(config: DiscordConnectorConfig = {}): Connector<'discord'> {
  const clock = config.clock ?? { now: () => new Date() }
  const apiBaseUrl = (config.apiBaseUrl ?? 'https://discord.com/api/v10').replace(/\/+$/, '')
  const apiOrigin = new URL(apiBaseUrl).origin
  const timeoutMs = config.timeoutMs ?? 30_000
  const maxBucketWaitMs = config.maxBucketWaitMs ?? 5000

  async function request<T>(kind: CallKind, args: { path: string; method?: string; body?: BodyInit; json?: unknown; signal?: AbortSignal }): Promise<{ data: T; headers: Headers }> {
    const headers: Record<string, string> = { accept: 'application/json', 'user-agent': 'DiscordBot (https://github.com/trickle, 1) Trickle' }
    let body = args.body
    if (args.json !== undefined) {
      headers['content-type'] = 'application/json'
      body = JSON.stringify(args.json)
    }
    const signal = AbortSignal.any([AbortSignal.timeout(timeoutMs), ...(args.signal ? [args.signal] : [])])
    let response: Response
    try {
      response = await fetch(`${apiBaseUrl}${args.path}`, { method: args.method ?? 'GET', headers, body, signal })
    } catch (error) {
      const code = socketCode(error)
      if (code && NOT_SENT_CODES.has(code)) throw new ConnectorError('transient', `Discord could not be reached (${code})`, { detail: { code }, cause: error })
      const what = `the connection to Discord broke after the request was sent (${code ?? (error as Error).name})`
      throw new ConnectorError(kind === 'write' ? 'unknown-outcome' : 'transient', what, { detail: { code }, cause: error })
    }
    let text: string
    try {
      text = await response.text()
    } catch (error) {
      throw new ConnectorError(kind === 'write' ? 'unknown-outcome' : 'transient', 'the answer of Discord was cut off', { cause: error })
    }
    if (response.ok) return { data: (text ? JSON.parse(text) : undefined) as T, headers: response.headers }
    throw answerError(kind, response, text)
  }

  function answerError(kind: CallKind, response: Response, text: string): ConnectorError {
    const data = (() => {
      try {
        return JSON.parse(text) as { message?: string; code?: number; retry_after?: number; global?: boolean }
      } catch {
        return {}
      }
    })()
    const status = response.status
    const detail = { status, code: data.code !== undefined ? String(data.code) : undefined }
    const message = `Discord answered ${status}: ${data.message ?? response.statusText}`
    if (status === 429) {
      // A route's bucket says when it resets (epoch seconds); a global limit only how long to wait.
      const reset = Number(response.headers.get('x-ratelimit-reset'))
      const after = Number(data.retry_after ?? response.headers.get('retry-after'))
      const resetAt =
        Number.isFinite(reset) && reset > 0 && data.global !== true
          ? new Date(reset * 1000)
          : new Date(clock.now().getTime() + (Number.isFinite(after) && after > 0 ? after * 1000 : 60_000))
      return new ConnectorError('rate-limited', message, { detail, resetAt })
    }
    // 401 Invalid Webhook Token (50027); 404 Unknown Webhook (10015): the webhook was deleted.
    if (status === 401) return new ConnectorError('auth', message, { detail })
    if (status === 403 || (status === 404 && (data.code === UNKNOWN_WEBHOOK || data.code === UNKNOWN_CHANNEL))) return new ConnectorError('disconnected', message, { detail })
    if (status >= 500 && kind === 'write') return new ConnectorError('unknown-outcome', message, { detail })
    if (status >= 500 || kind === 'read') return new ConnectorError('transient', message, { detail })
    return new ConnectorError('invalid-content', message, { detail })
  }

  function webhookOf(credentials: Credentials) {
    const id = credentials.extra?.webhookId
    if (!id) throw new ConnectorError('disconnected', 'credentials.extra.webhookId: the Discord webhook is missing')
    return { path: `/webhooks/${id}/${encodeURIComponent(credentials.accessToken)}`, guildId: credentials.extra?.guildId, channelId: credentials.extra?.channelId }
  }

  function messageUrl(hook: ReturnType<typeof webhookOf>, message: DiscordMessage): string | undefined {
    return hook.guildId ? `https://discord.com/channels/${hook.guildId}/${message.channel_id}/${message.id}` : undefined
  }

  async function sendPart(hook: ReturnType<typeof webhookOf>, part: ChannelContent['parts'][number], signal?: AbortSignal) {
    const payload = { content: part.text, allowed_mentions: { parse: [] } }
    const media = part.media ?? []
    const path = `${hook.path}?wait=true`
    if (media.length === 0) return request<DiscordMessage>('write', { path, method: 'POST', json: payload, signal })
    const form = new FormData()
    const extension = (type: string) => type.split('/')[1]!.replace('jpeg', 'jpg')
    const attachments = media.map((item, i) => ({ id: i, filename: `image-${i + 1}.${extension(item.mimeType)}`, ...(item.altText ? { description: item.altText.slice(0, 1024) } : {}) }))
    form.append('payload_json', JSON.stringify({ ...payload, attachments }))
    media.forEach((item, i) => form.append(`files[${i}]`, new Blob([new Uint8Array(item.data)], { type: item.mimeType }), attachments[i]!.filename))
    return request<DiscordMessage>('write', { path, method: 'POST', body: form, signal })
  }

  /** When the webhook's bucket is empty after a part, wait for it (briefly) rather than be refused the next one. */
  async function waitForBucket(headers: Headers, signal?: AbortSignal): Promise<void> {
    if (headers.get('x-ratelimit-remaining') !== '0') return
    const after = Number(headers.get('x-ratelimit-reset-after'))
    if (!Number.isFinite(after) || after <= 0 || after * 1000 > maxBucketWaitMs) return
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, after * 1000)
      signal?.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true })
    })
  }

  return {
    kind: 'discord',
    displayName: 'Discord',
    limits: DISCORD_LIMITS,
    look: { layout: 'message', linkCard: false },
    tokenForm: {
      help: 'In your Discord server: Server Settings → Integrations → Webhooks → New Webhook, pick the channel, then Copy Webhook URL.',
      helpLink: { url: 'https://support.discord.com/hc/en-us/articles/228383668-Intro-to-Webhooks', label: 'Discord’s guide to webhooks' },
      fields: [
        { name: 'webhookUrl', label: 'Webhook URL', description: 'https://discord.com/api/webhooks/… (it works like a password: keep it secret)', secret: true, placeholder: 'https://discord.com/api/webhooks/…' },
      ],
    },

    validate(content: ChannelContent, options: ValidateOptions = {}): ContentProblem[] {
      return validateDiscordContent(content, options.maxLength)
    },

    async publish({ credentials, content, signal, resume }: PublishArgs): Promise<PublishResult> {
      const hook = webhookOf(credentials)
      const ids: string[] = (resume?.partIds ?? []).slice(0, content.parts.length)
      const existing = ids.length
      let url: string | undefined
      for (const [index, part] of content.parts.entries()) {
        if (index < existing) continue
        try {
          if (signal?.aborted) throw new ConnectorError('transient', `Post ${index + 1} of ${content.parts.length} was not sent: the deadline had passed`, { cause: signal.reason })
          const { data, headers } = await sendPart(hook, part, signal)
          ids.push(data.id)
          if (ids.length === 1) url = messageUrl(hook, data)
          if (index < content.parts.length - 1) await waitForBucket(headers, signal)
        } catch (error) {
          if (ids.length === existing) throw error
          const cause = error as ConnectorError
          throw new ConnectorError('unknown-outcome', `The thread stopped after ${ids.length} of ${content.parts.length} posts: ${cause.message}`, {
            partial: { remoteId: ids[0]!, url, partIds: [...ids] },
            detail: cause.detail,
            cause,
          })
        }
      }
      return { remoteId: ids[0]!, url: url ?? (hook.guildId && hook.channelId ? `https://discord.com/channels/${hook.guildId}/${hook.channelId}/${ids[0]}` : undefined), partIds: ids }
    },

    /** Reads the webhook (`GET /webhooks/{id}/{token}`): it exists, and which channel it posts to. */
    async connectWithToken(fields): Promise<AuthorizedAccount> {
      const parsed = parseWebhookUrl(fields.webhookUrl ?? '', apiOrigin)
      if (!parsed) throw new Error('webhookUrl: paste the webhook URL Discord copies, https://discord.com/api/webhooks/<id>/<token>')
      const { data: webhook } = await request<Webhook>('read', { path: `/webhooks/${parsed.id}/${encodeURIComponent(parsed.token)}` }).catch((error: ConnectorError) => {
        if (error.detail?.status === 401 || error.detail?.status === 404 || error.detail?.status === 403) {
          throw new Error('webhookUrl: Discord knows no webhook with this URL: it may have been deleted. Copy it again from the channel’s integrations.')
        }
        throw error
      })
      return {
        credentials: { accessToken: parsed.token, extra: { webhookId: webhook.id, channelId: webhook.channel_id, guildId: webhook.guild_id ?? '' } },
        remoteAccountId: webhook.id,
        handle: webhook.name ?? `webhook ${webhook.id}`,
        displayName: `Channel ${webhook.channel_id}`,
      }
    },

    async delete({ credentials, remoteId }) {
      const hook = webhookOf(credentials)
      await request('write', { path: `${hook.path}/messages/${remoteId}`, method: 'DELETE' })
    },
  }
}

