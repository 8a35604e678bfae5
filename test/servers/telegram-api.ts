import { randomBytes } from 'node:crypto'
import http from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { faultQueue, type FaultRule } from './faults'
import { multipartParts } from './multipart'

/**
 * A loopback HTTP server that speaks the parts of the Telegram Bot API Trickle uses
 * (core.telegram.org/bots/api): `POST /bot<token>/<method>` with a JSON or multipart body, answered
 * `{ ok: true, result }` or `{ ok: false, error_code, description, parameters }`. Methods: getMe,
 * getChat, getChatMember, sendMessage, sendPhoto, sendMediaGroup (2–10 photos), deleteMessage. Errors as
 * the real API words them: 401 Unauthorized, 404 Not Found (no such bot), 400 chat not found / message
 * is too long / message to be replied not found, 403 bot is not a member of the channel chat, 429 with
 * `parameters.retry_after` (whole seconds). Message ids count up per chat, as Telegram's do.
 */

export type TelegramFault =
  | { kind: 'rate-limit'; resetAt?: Date }
  /** A front end's HTML 503 page (no Bot API JSON); with `apply`, the message was sent first. */
  | { kind: 'unavailable'; apply?: boolean }
  /** `{ ok: false, error_code: 500 }` after sending the message. */
  | { kind: 'internal'; apply?: boolean }
  | { kind: 'reset'; apply?: boolean }

export type TelegramMessage = {
  message_id: number
  chatId: number
  text?: string
  caption?: string
  photos: Array<{ bytes: number; name: string }>
  replyTo: number | null
  mediaGroupId?: string
}

export type TelegramChat = { id: number; type: 'channel' | 'supergroup' | 'private'; title?: string; username?: string; botStatus: 'administrator' | 'member' | 'left'; canPost: boolean }

export type TelegramApiServer = {
  url: string
  bot: { id: number; username: string; token: string }
  channel: TelegramChat
  chats: Map<number, TelegramChat>
  messages: TelegramMessage[]
  counters: { postsCreated: number; requests: number }
  injectFault(rule: FaultRule<TelegramFault>): void
  close(): Promise<void>
}

type Reply = { status: number; body?: unknown; headers?: Record<string, string>; raw?: string }

const WRITE_METHODS = new Set(['sendMessage', 'sendPhoto', 'sendMediaGroup'])

export async function startTelegramApiServer(): Promise<TelegramApiServer> {
  const bot = { id: 7_000_000_001, username: 'trickle_test_bot', token: `7000000001:${randomBytes(26).toString('base64url')}` }
  const channel: TelegramChat = { id: -1_001_234_567_890, type: 'channel', title: 'Trickle News', username: 'trickle_news', botStatus: 'administrator', canPost: true }
  const chats = new Map<number, TelegramChat>([[channel.id, channel]])
  const messages: TelegramMessage[] = []
  const nextId = new Map<number, number>()
  const counters = { postsCreated: 0, requests: 0 }
  const faults = faultQueue<TelegramFault>()
  const sockets = new Set<Socket>()

  const fail = (error_code: number, description: string, parameters?: Record<string, unknown>): Reply => ({
    status: error_code,
    body: { ok: false, error_code, description, ...(parameters ? { parameters } : {}) },
  })
  const ok = (result: unknown): Reply => ({ status: 200, body: { ok: true, result } })

  function chatOf(value: unknown): TelegramChat | null {
    const text = String(value ?? '')
    if (text.startsWith('@')) return [...chats.values()].find((c) => c.username?.toLowerCase() === text.slice(1).toLowerCase()) ?? null
    return chats.get(Number(text)) ?? null
  }

  const chatJson = (c: TelegramChat) => ({ id: c.id, type: c.type, ...(c.title ? { title: c.title } : {}), ...(c.username ? { username: c.username } : {}) })
  const messageJson = (m: TelegramMessage) => {
    const chat = chats.get(m.chatId)!
    return {
      message_id: m.message_id,
      date: Math.floor(Date.now() / 1000),
      chat: chatJson(chat),
      sender_chat: chatJson(chat),
      ...(m.text !== undefined ? { text: m.text } : {}),
      ...(m.caption !== undefined ? { caption: m.caption } : {}),
      ...(m.photos.length ? { photo: [{ file_id: `photo-${m.message_id}`, file_unique_id: `u${m.message_id}`, width: 1, height: 1, file_size: m.photos[0]!.bytes }] } : {}),
      ...(m.mediaGroupId ? { media_group_id: m.mediaGroupId } : {}),
      ...(m.replyTo ? { reply_to_message: { message_id: m.replyTo, chat: chatJson(chat), date: 0 } } : {}),
    }
  }

  /** Checks a send's target and reply; null when it may go ahead. */
  function refuseSend(chat: TelegramChat | null, replyTo: number | null): Reply | null {
    if (!chat) return fail(400, 'Bad Request: chat not found')
    if (chat.botStatus === 'left') return fail(403, 'Forbidden: bot is not a member of the channel chat')
    if (chat.type === 'channel' && !chat.canPost) return fail(400, 'Bad Request: need administrator rights in the channel chat')
    if (replyTo !== null && !messages.some((m) => m.chatId === chat.id && m.message_id === replyTo)) return fail(400, 'Bad Request: message to be replied not found')
    return null
  }

  function store(chat: TelegramChat, message: Omit<TelegramMessage, 'message_id' | 'chatId'>): TelegramMessage {
    const id = (nextId.get(chat.id) ?? 0) + 1
    nextId.set(chat.id, id)
    const stored = { ...message, message_id: id, chatId: chat.id }
    messages.push(stored)
    return stored
  }

  async function fieldsOf(req: http.IncomingMessage, raw: Buffer): Promise<{ fields: Record<string, unknown>; files: Map<string, { name: string; size: number }> }> {
    const type = req.headers['content-type'] ?? ''
    const files = new Map<string, { name: string; size: number }>()
    if (type.startsWith('multipart/form-data')) {
      const fields: Record<string, unknown> = {}
      for (const part of multipartParts(raw, /boundary=("?)([^";]+)\1/.exec(type)?.[2] ?? '')) {
        if (part.filename !== undefined) files.set(part.name, { name: part.filename, size: part.body.byteLength })
        else {
          const value = part.body.toString('utf8')
          fields[part.name] = /^[[{]/.test(value) ? JSON.parse(value) : value
        }
      }
      return { fields, files }
    }
    if (type.includes('json')) return { fields: JSON.parse(raw.toString('utf8') || '{}') as Record<string, unknown>, files }
    return { fields: Object.fromEntries(new URLSearchParams(raw.toString('utf8'))), files }
  }

  /** A photo field is `attach://<name>` (a multipart file) or a file_id / URL string. */
  function photoOf(value: unknown, files: Map<string, { name: string; size: number }>): { bytes: number; name: string } | null {
    if (typeof value !== 'string') return null
    const attached = /^attach:\/\/(.+)$/.exec(value)?.[1]
    const file = attached ? files.get(attached) : null
    if (attached && !file) return null
    return { bytes: file?.size ?? 0, name: file?.name ?? value }
  }

  async function route(method: string, token: string, req: http.IncomingMessage, raw: Buffer): Promise<Reply> {
    if (!/^\d+:[\w-]+$/.test(token)) return fail(404, 'Not Found')
    if (token !== bot.token) return fail(401, 'Unauthorized')
    const { fields, files } = await fieldsOf(req, raw)
    if (method === 'getMe') return ok({ id: bot.id, is_bot: true, first_name: 'Trickle Test', username: bot.username, can_join_groups: true })
    if (method === 'getChat') {
      const chat = chatOf(fields.chat_id)
      if (!chat || chat.botStatus === 'left') return fail(400, 'Bad Request: chat not found')
      return ok(chatJson(chat))
    }
    if (method === 'getChatMember') {
      const chat = chatOf(fields.chat_id)
      if (!chat) return fail(400, 'Bad Request: chat not found')
      const user = { id: bot.id, is_bot: true, first_name: 'Trickle Test', username: bot.username }
      if (chat.botStatus === 'administrator') {
        return ok({ status: 'administrator', user, can_be_edited: false, is_anonymous: false, can_manage_chat: true, can_post_messages: chat.canPost, can_edit_messages: true, can_delete_messages: true })
      }
      return ok({ status: chat.botStatus, user })
    }
    const replyTo = (fields.reply_parameters as { message_id?: number } | undefined)?.message_id ?? null
    if (method === 'sendMessage') {
      const chat = chatOf(fields.chat_id)
      const text = String(fields.text ?? '')
      const refused = refuseSend(chat, replyTo)
      if (refused) return refused
      if (!text.trim()) return fail(400, 'Bad Request: message text is empty')
      if (text.length > 4096) return fail(400, 'Bad Request: message is too long')
      counters.postsCreated++
      return ok(messageJson(store(chat!, { text, photos: [], replyTo })))
    }
    if (method === 'sendPhoto') {
      const chat = chatOf(fields.chat_id)
      const refused = refuseSend(chat, replyTo)
      if (refused) return refused
      const photo = photoOf(fields.photo, files)
      if (!photo) return fail(400, 'Bad Request: there is no photo in the request')
      if (photo.bytes > 10 * 1024 * 1024) return fail(400, 'Bad Request: PHOTO_SAVE_FILE_INVALID')
      const caption = fields.caption === undefined ? undefined : String(fields.caption)
      if ((caption?.length ?? 0) > 1024) return fail(400, 'Bad Request: message caption is too long')
      counters.postsCreated++
      return ok(messageJson(store(chat!, { caption, photos: [photo], replyTo })))
    }
    if (method === 'sendMediaGroup') {
      const chat = chatOf(fields.chat_id)
      const refused = refuseSend(chat, replyTo)
      if (refused) return refused
      const media = Array.isArray(fields.media) ? (fields.media as Array<{ type?: string; media?: string; caption?: string }>) : []
      if (media.length < 2 || media.length > 10) return fail(400, 'Bad Request: wrong number of media in the album')
      const photos = media.map((item) => (item.type === 'photo' ? photoOf(item.media, files) : null))
      if (photos.some((p) => !p)) return fail(400, 'Bad Request: wrong file identifier/HTTP URL specified')
      const group = randomBytes(8).toString('hex')
      counters.postsCreated++
      const sent = media.map((item, i) => store(chat!, { caption: item.caption, photos: [photos[i]!], replyTo: i === 0 ? replyTo : null, mediaGroupId: group }))
      return ok(sent.map(messageJson))
    }
    if (method === 'deleteMessage') {
      const index = messages.findIndex((m) => m.chatId === chatOf(fields.chat_id)?.id && m.message_id === Number(fields.message_id))
      if (index < 0) return fail(400, 'Bad Request: message to delete not found')
      messages.splice(index, 1)
      return ok(true)
    }
    return fail(404, 'Not Found')
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      counters.requests++
      const send = (reply: Reply) => {
        if (reply.raw !== undefined) {
          res.writeHead(reply.status, { 'content-type': 'text/html', ...reply.headers }).end(reply.raw)
          return
        }
        res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers }).end(JSON.stringify(reply.body))
      }
      const match = /^\/bot([^/]+)\/(\w+)$/.exec(new URL(req.url ?? '/', 'http://loopback').pathname)
      if (!match) return send(fail(404, 'Not Found'))
      const [, token, method] = match as unknown as [string, string, string]
      void (async () => {
        const raw = Buffer.concat(chunks)
        const fault = WRITE_METHODS.has(method) && token === bot.token ? faults.take('POST', `/${method}`) : null
        if (fault?.kind === 'rate-limit') {
          const resetAt = fault.resetAt ?? new Date(Date.now() + 30_000)
          const retryAfter = Math.max(1, Math.ceil((resetAt.getTime() - Date.now()) / 1000))
          return send(fail(429, `Too Many Requests: retry after ${retryAfter}`, { retry_after: retryAfter }))
        }
        if (fault && !('apply' in fault && fault.apply)) {
          if (fault.kind === 'reset') return req.socket.destroy()
          if (fault.kind === 'unavailable') return send({ status: 503, raw: '<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>' })
          return send(fail(500, 'Internal Server Error'))
        }
        const reply = await route(method, token, req, raw).catch((error: Error) => fail(400, `Bad Request: ${error.message}`))
        if (!fault) return send(reply)
        if (fault.kind === 'reset') return req.socket.destroy()
        if (fault.kind === 'unavailable') return send({ status: 503, raw: '<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>' })
        return send(fail(500, 'Internal Server Error'))
      })()
    })
  })
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    bot,
    channel,
    chats,
    messages,
    counters,
    injectFault: (rule) => faults.inject(rule),
    close: async () => {
      for (const socket of sockets) socket.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

