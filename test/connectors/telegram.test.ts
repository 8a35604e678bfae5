import { randomUUID } from 'node:crypto'
import { connectorFactories } from '../../connectors/registry'
import { ConnectorError, type Connector, type Credentials } from '../../connectors/types'
import { runConnectorContract } from '../contract/connector'
import { closedPort, rejection, tokenNetworkHarness } from '../contract/token-network-harness'
import { startTelegramApiServer, type TelegramApiServer } from '../servers/telegram-api'

const telegram = (server: TelegramApiServer) => connectorFactories.telegram({ apiRoot: server.url, timeoutMs: 2000 })

function credentialsFrom(server: TelegramApiServer): Credentials {
  return { accessToken: server.bot.token, extra: { chatId: String(server.channel.id), chatUsername: server.channel.username ?? '' } }
}

const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3])

// retry_after counts whole seconds from the answer: the reset is known to the second, no finer.
runConnectorContract('telegram', { refresh: false, lookup: false, idempotent: false, rateLimitResetResolutionMs: 1000 }, async () => {
  const server = await startTelegramApiServer()
  return tokenNetworkHarness({ server, connector: telegram(server), credentials: () => credentialsFrom(server) })
})

describe('Telegram connector', () => {
  let server: TelegramApiServer
  let connector: Connector
  beforeAll(async () => {
    server = await startTelegramApiServer()
    connector = telegram(server)
  })
  afterAll(async () => {
    await server.close()
  })
  const text = (label: string) => `${label} ${randomUUID().slice(0, 8)}`

  it('connects a channel from the token form: checks the token, the channel and the bot’s right to post', async () => {
    const account = await connector.connectWithToken!({ botToken: server.bot.token, channel: 'https://t.me/trickle_news' })
    expect(account).toMatchObject({ remoteAccountId: String(server.channel.id), handle: 'trickle_news', displayName: 'Trickle News' })
    expect(account.credentials).toEqual({ accessToken: server.bot.token, extra: { chatId: String(server.channel.id), chatUsername: 'trickle_news', botUsername: server.bot.username } })
    await expect(connector.connectWithToken!({ botToken: 'nonsense', channel: '@trickle_news' })).rejects.toThrow(/^botToken: a bot token looks like/)
    await expect(connector.connectWithToken!({ botToken: `${server.bot.token.split(':')[0]}:${'A'.repeat(35)}`, channel: '@trickle_news' })).rejects.toThrow(/^botToken: Telegram refused this bot token/)
    await expect(connector.connectWithToken!({ botToken: server.bot.token, channel: 'not a channel!' })).rejects.toThrow(/^channel: enter the channel as/)
    await expect(connector.connectWithToken!({ botToken: server.bot.token, channel: '@somebody_else' })).rejects.toThrow(/^channel: @trickle_test_bot cannot see @somebody_else/)
    server.channel.canPost = false
    try {
      await expect(connector.connectWithToken!({ botToken: server.bot.token, channel: '@trickle_news' })).rejects.toThrow(/^channel: @trickle_test_bot may not post in @trickle_news/)
    } finally {
      server.channel.canPost = true
    }
  })

  it('publishes a thread as a chain of replies, photos with captions, and an album; links to the channel post', async () => {
    const credentials = credentialsFrom(server)
    const first = text('thread 1')
    const result = await connector.publish({
      credentials,
      idempotencyKey: randomUUID(),
      content: {
        parts: [
          { text: first },
          { text: text('thread 2'), media: [{ mimeType: 'image/png', data: PNG }] },
          { text: text('thread 3'), media: [{ mimeType: 'image/png', data: PNG }, { mimeType: 'image/jpeg', data: PNG }] },
        ],
      },
    })
    expect(result.partIds).toHaveLength(3)
    expect(result.url).toBe(`https://t.me/trickle_news/${result.remoteId}`)
    const [one, two, three] = result.partIds!.map((id) => server.messages.find((m) => m.message_id === Number(id))!)
    expect(one).toMatchObject({ text: first, replyTo: null })
    expect(two).toMatchObject({ replyTo: one!.message_id, photos: [{ bytes: PNG.byteLength }] })
    expect(two!.caption).toMatch(/^thread 2/)
    expect(three).toMatchObject({ replyTo: two!.message_id })
    expect(server.messages.filter((m) => m.mediaGroupId && m.mediaGroupId === three!.mediaGroupId)).toHaveLength(2)
  })

  it('maps Telegram’s answers into the taxonomy', async () => {
    const credentials = credentialsFrom(server)
    const publish = (extra: Partial<Credentials> = {}, body = text('taxonomy')) =>
      rejection(connector.publish({ credentials: { ...credentials, ...extra }, content: { parts: [{ text: body }] }, idempotencyKey: randomUUID() }))
    server.injectFault({ kind: 'internal', apply: true })
    expect(await publish()).toMatchObject({ kind: 'unknown-outcome', detail: { status: 500 } })
    server.injectFault({ kind: 'reset' })
    expect(await publish()).toMatchObject({ kind: 'unknown-outcome' })
    // A revoked token (401) is auth; the bot removed from the channel (403) or a channel that is gone needs a person.
    expect(await publish({ accessToken: `${server.bot.token.split(':')[0]}:${'B'.repeat(35)}` })).toMatchObject({ kind: 'auth', detail: { status: 401 } })
    server.channel.botStatus = 'left'
    try {
      expect(await publish()).toMatchObject({ kind: 'disconnected', detail: { status: 403 } })
    } finally {
      server.channel.botStatus = 'administrator'
    }
    expect(await publish({ extra: { chatId: '-1009999999999' } })).toMatchObject({ kind: 'disconnected', detail: { status: 400 } })
    // Content the API refuses (longer than validate allows: the editor would have said so) is the content's fault.
    expect(await publish({}, 'x'.repeat(4097))).toMatchObject({ kind: 'invalid-content', detail: { status: 400 } })
    // Nobody listening: nothing was sent.
    const closed = connectorFactories.telegram({ apiRoot: `http://127.0.0.1:${await closedPort()}`, timeoutMs: 1000 })
    expect(await rejection(closed.publish({ credentials, content: { parts: [{ text: 'x' }] }, idempotencyKey: randomUUID() }))).toMatchObject({ kind: 'transient', detail: { code: 'ECONNREFUSED' } })
  })

  it('a thread stopped part-way says which parts got out, and resume replies to the last one', async () => {
    const credentials = credentialsFrom(server)
    const content = { parts: [{ text: text('partial 1') }, { text: text('partial 2') }, { text: text('partial 3') }] }
    server.injectFault({ kind: 'unavailable', after: 1 })
    const error = (await rejection(connector.publish({ credentials, content, idempotencyKey: randomUUID() }))) as ConnectorError
    expect(error).toBeInstanceOf(ConnectorError)
    expect(error.kind).toBe('unknown-outcome')
    expect(error.partial?.partIds).toHaveLength(1)
    const resumed = await connector.publish({ credentials, content, idempotencyKey: randomUUID(), resume: { partIds: error.partial!.partIds! } })
    expect(resumed.partIds).toHaveLength(3)
    expect(server.messages.find((m) => m.message_id === Number(resumed.partIds![1]))!.replyTo).toBe(Number(resumed.partIds![0]))
  })

  it('validate: 4096 characters of text, 1024 of a caption, 10 JPEG/PNG/WebP photos of 10 MB', () => {
    const image = { mimeType: 'image/png', data: PNG }
    expect(connector.validate({ parts: [{ text: 'x'.repeat(4096) }] })).toEqual([])
    expect(connector.validate({ parts: [{ text: 'x'.repeat(1025), media: [image] }] }).map((p) => p.message)).toEqual([
      'Too long for a Telegram photo caption: 1025 characters, at most 1024.',
    ])
    expect(connector.validate({ parts: [{ text: 'x', media: Array.from({ length: 11 }, () => image) }] }).map((p) => p.path)).toEqual(['parts[0].media'])
    expect(connector.validate({ parts: [{ text: 'x', media: [{ mimeType: 'image/gif', data: PNG }] }] }).map((p) => p.path)).toEqual(['parts[0].media[0].mimeType'])
    expect(connector.validate({ parts: [{ text: ' ' }] }).map((p) => p.path)).toEqual(['parts[0].text'])
  })
})
