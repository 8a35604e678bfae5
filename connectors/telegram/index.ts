import { Api, InputFile } from 'grammy'
import type { InputMediaPhoto, Message } from 'grammy/types'
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
import { TELEGRAM_LIMITS, telegramChatId, telegramMessageUrl, validateTelegramContent } from './content'
import { NonJsonAnswer, toConnectorError, type CallKind } from './errors'

/**
 * Telegram channels through the Bot API with grammY's `Api` client (no bot framework, no polling): the
 * user makes a bot with @BotFather, adds it to the channel as an administrator who may post, and enters
 * the bot token and the channel in the Accounts page's form. A thread is a chain of replies
 * (`reply_parameters`). The Bot API has no idempotency key and cannot read a channel's messages back, so
 * there is no `lookup`: an unknown outcome goes to a person (decision 085).
 */
export type TelegramConnectorConfig = {
  /** The Bot API server (default https://api.telegram.org; a local Bot API server or a loopback test server). */
  apiRoot?: string
  timeoutMs?: number
  /** The services pass theirs (core/clock.ts); alone, a connector reads the wall clock. */
  clock?: Clock
}

export { TELEGRAM_LIMITS } from './content'

type GrammySignal = Parameters<Api['getMe']>[0]

const BOT_TOKEN = /^\d{3,20}:[A-Za-z0-9_-]{20,100}$/

export function createTelegramConnector(config: TelegramConnectorConfig = {}): Connector<'telegram'> {
  const clock = config.clock ?? { now: () => new Date() }
  const apiRoot = (config.apiRoot ?? 'https://api.telegram.org').replace(/\/+$/, '')
  const host = new URL(apiRoot).host
  const timeoutSeconds = Math.max(1, Math.ceil((config.timeoutMs ?? 30_000) / 1000))

  /**
   * Node's fetch under grammY (its default is node-fetch 2): grammY's abort signal is a polyfill that
   * Node's fetch refuses, so it is carried over; an answer that is no JSON (a proxy's HTML error page)
   * becomes an error that keeps its status, where grammY would only say the JSON did not parse.
   */
  const fetchForGrammy = (async (url: string, init: RequestInit & { signal?: { aborted: boolean; addEventListener(type: 'abort', fn: () => void): void } }) => {
    const controller = new AbortController()
    const outer = init.signal
    if (outer?.aborted) controller.abort()
    else outer?.addEventListener('abort', () => controller.abort())
    const response = await fetch(url, { ...init, signal: controller.signal } as RequestInit)
    if (!(response.headers.get('content-type') ?? '').includes('json')) {
      await response.body?.cancel().catch(() => undefined)
      throw new NonJsonAnswer(response.status, response.statusText)
    }
    return response
  }) as unknown as typeof fetch

  const apiFor = (token: string) => new Api(token, { apiRoot, timeoutSeconds, fetch: fetchForGrammy })

  async function call<T>(kind: CallKind, run: () => Promise<T>): Promise<T> {
    try {
      return await run()
    } catch (error) {
      throw toConnectorError(error, { call: kind, now: clock.now(), host })
    }
  }

  function session(credentials: Credentials) {
    const chatId = credentials.extra?.chatId
    if (!chatId) throw new ConnectorError('disconnected', 'credentials.extra.chatId: the Telegram channel is missing')
    return { api: apiFor(credentials.accessToken), chat: { id: chatId, username: credentials.extra?.chatUsername || undefined } }
  }

  /** One part: a text message, a photo with its caption, or an album (the caption on its first photo). */
  async function sendPart(s: ReturnType<typeof session>, part: ChannelContent['parts'][number], replyTo: number | undefined, abort?: AbortSignal): Promise<Message> {
    // grammY types its signal as the abort-controller polyfill's; it only calls addEventListener on it.
    const signal = abort as unknown as GrammySignal
    const reply = replyTo ? { reply_parameters: { message_id: replyTo } } : {}
    const media = part.media ?? []
    const caption = part.text.trim() ? { caption: part.text } : {}
    if (media.length === 0) return s.api.sendMessage(s.chat.id, part.text, reply, signal)
    if (media.length === 1) return s.api.sendPhoto(s.chat.id, new InputFile(media[0]!.data, 'image'), { ...caption, ...reply }, signal)
    const album: InputMediaPhoto[] = media.map((item, i) => ({ type: 'photo', media: new InputFile(item.data, `image-${i}`), ...(i === 0 ? caption : {}) }))
    const messages = await s.api.sendMediaGroup(s.chat.id, album, reply, signal)
    return messages[0]!
  }

  return {
    kind: 'telegram',
    displayName: 'Telegram',
    limits: TELEGRAM_LIMITS,
    look: { layout: 'message', linkCard: false },
    measure: (text) => text.length, // UTF-16 code units, as the Bot API counts
    tokenForm: {
      help: 'Create a bot with @BotFather (/newbot) and copy its token. In your channel, add the bot as an administrator allowed to post messages.',
      helpLink: { url: 'https://core.telegram.org/bots/features#botfather', label: 'Telegram’s guide to BotFather' },
      fields: [
        { name: 'botToken', label: 'Bot token', description: 'From @BotFather, e.g. 123456789:AAF…', secret: true, placeholder: '123456789:AA…' },
        { name: 'channel', label: 'Channel', description: 'Its @username or t.me link; a private channel by its numeric id (-100…)', placeholder: '@mychannel' },
      ],
    },

    validate(content: ChannelContent, options: ValidateOptions = {}): ContentProblem[] {
      return validateTelegramContent(content, options.maxLength)
    },

    async publish({ credentials, content, signal, resume }: PublishArgs): Promise<PublishResult> {
      const s = session(credentials)
      const ids: string[] = (resume?.partIds ?? []).slice(0, content.parts.length)
      const existing = ids.length
      for (const [index, part] of content.parts.entries()) {
        if (index < existing) continue
        try {
          if (signal?.aborted) throw new ConnectorError('transient', `Post ${index + 1} of ${content.parts.length} was not sent: the deadline had passed`, { cause: signal.reason })
          const previous = ids.length ? Number(ids[ids.length - 1]) : undefined
          const message = await call('write', () => sendPart(s, part, previous, signal))
          ids.push(String(message.message_id))
        } catch (error) {
          if (ids.length === existing) throw error
          const cause = error as ConnectorError
          throw new ConnectorError('unknown-outcome', `The thread stopped after ${ids.length} of ${content.parts.length} posts: ${cause.message}`, {
            partial: { remoteId: ids[0]!, url: telegramMessageUrl(s.chat, ids[0]!), partIds: [...ids] },
            detail: cause.detail,
            cause,
          })
        }
      }
      return { remoteId: ids[0]!, url: telegramMessageUrl(s.chat, ids[0]!), partIds: ids }
    },

    /**
     * Checks the token (getMe), finds the channel (getChat) and that the bot may post there
     * (getChatMember: an administrator with can_post_messages in a channel).
     */
    async connectWithToken(fields): Promise<AuthorizedAccount> {
      const botToken = (fields.botToken ?? '').trim()
      const channel = (fields.channel ?? '').trim()
      if (!BOT_TOKEN.test(botToken)) throw new Error('botToken: a bot token looks like 123456789:AA… (from @BotFather)')
      const chatId = telegramChatId(channel)
      if (!chatId) throw new Error('channel: enter the channel as @username, a t.me link or its numeric id (-100…)')
      const api = apiFor(botToken)
      const me = await call('read', () => api.getMe()).catch((error: ConnectorError) => {
        if (error.kind === 'auth') throw new Error('botToken: Telegram refused this bot token: copy it again from @BotFather')
        throw error
      })
      const chat = await call('read', () => api.getChat(chatId)).catch((error: ConnectorError) => {
        if (error.kind === 'disconnected' || error.kind === 'invalid-content' || error.kind === 'auth') {
          throw new Error(`channel: @${me.username} cannot see ${channel}: add the bot to the channel as an administrator first`)
        }
        throw error
      })
      if (chat.type === 'private') throw new Error('channel: this is a person, not a channel or group')
      const member = await call('read', () => api.getChatMember(chat.id, me.id))
      const canPost =
        member.status === 'creator' ||
        (member.status === 'administrator' && (chat.type !== 'channel' || member.can_post_messages === true)) ||
        (member.status === 'member' && chat.type !== 'channel')
      if (!canPost) throw new Error(`channel: @${me.username} may not post in ${channel}: make it an administrator allowed to post messages`)
      const username = 'username' in chat ? chat.username : undefined
      const title = 'title' in chat ? chat.title : undefined
      return {
        credentials: { accessToken: botToken, extra: { chatId: String(chat.id), chatUsername: username ?? '', botUsername: me.username } },
        remoteAccountId: String(chat.id),
        handle: username ?? title ?? String(chat.id),
        displayName: title,
      }
    },

    async delete({ credentials, remoteId }) {
      const s = session(credentials)
      await call('write', () => s.api.deleteMessage(s.chat.id, Number(remoteId)))
    },
  }
}
