import { randomUUID } from 'node:crypto'
import { parseWebhookUrl } from '../../connectors/discord/content'
import { connectorFactories } from '../../connectors/registry'
import { ConnectorError, type Connector, type Credentials } from '../../connectors/types'
import { runConnectorContract } from '../contract/connector'
import { closedPort, rejection, tokenNetworkHarness } from '../contract/token-network-harness'
import { startDiscordApiServer, type DiscordApiServer } from '../servers/discord-api'

const discord = (server: DiscordApiServer, extra: { maxBucketWaitMs?: number } = {}) => connectorFactories.discord({ apiBaseUrl: server.apiBaseUrl, timeoutMs: 2000, ...extra })

async function credentialsFrom(server: DiscordApiServer): Promise<Credentials> {
  return (await discord(server).connectWithToken!({ webhookUrl: server.webhookUrl })).credentials
}

const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3])

runConnectorContract('discord', { refresh: false, lookup: false, idempotent: false }, async () => {
  // A roomy bucket: the suite publishes faster than Discord's 5 per 2 s (the bucket has its own test).
  const server = await startDiscordApiServer({ bucket: { limit: 1000, windowMs: 1000 } })
  return tokenNetworkHarness({ server, connector: discord(server), credentials: () => credentialsFrom(server) })
})

describe('Discord connector', () => {
  let server: DiscordApiServer
  let connector: Connector
  beforeAll(async () => {
    server = await startDiscordApiServer()
    connector = discord(server)
  })
  afterAll(async () => {
    await server.close()
  })
  const text = (label: string) => `${label} ${randomUUID().slice(0, 8)}`

  it('connects with the webhook URL Discord copies, and only ever calls its configured API', async () => {
    const account = await connector.connectWithToken!({ webhookUrl: server.webhookUrl })
    expect(account).toMatchObject({ remoteAccountId: server.webhook.id, handle: 'Trickle', displayName: `Channel ${server.webhook.channelId}` })
    expect(account.credentials).toEqual({ accessToken: server.webhook.token, extra: { webhookId: server.webhook.id, channelId: server.webhook.channelId, guildId: server.webhook.guildId } })
    await expect(connector.connectWithToken!({ webhookUrl: `${server.url}/api/webhooks/${server.webhook.id}/${'x'.repeat(60)}` })).rejects.toThrow(/^webhookUrl: Discord knows no webhook with this URL/)
    await expect(connector.connectWithToken!({ webhookUrl: 'https://evil.example/api/webhooks/123456/abcdefghijklmnopqrstuvwxyz' })).rejects.toThrow(/^webhookUrl: paste the webhook URL/)
    expect(parseWebhookUrl('https://discord.com/api/webhooks/123456789012345678/abcdefghijklmnopqrstuvwxyz0123', 'https://discord.com')).toEqual({ id: '123456789012345678', token: 'abcdefghijklmnopqrstuvwxyz0123' })
    expect(parseWebhookUrl('https://canary.discord.com/api/v10/webhooks/123456789012345678/abcdefghijklmnopqrstuvwxyz0123', 'https://discord.com')).not.toBeNull()
    expect(parseWebhookUrl('http://discord.com/api/webhooks/123456789012345678/abcdefghijklmnopqrstuvwxyz0123', 'https://discord.com')).toBeNull()
  })

  it('publishes a thread as follow-up messages, images as attachments, never pinging anyone; waits for the webhook’s bucket between parts', async () => {
    const credentials = await credentialsFrom(server)
    // Discord's bucket: 5 requests per 2 s per webhook. A 7-part thread waits for it rather than be refused.
    await new Promise((resolve) => setTimeout(resolve, 2100))
    const parts = Array.from({ length: 7 }, (_, i) => ({ text: text(`@everyone part ${i + 1}`) }))
    parts[1] = { ...parts[1]!, media: [{ mimeType: 'image/png', data: PNG, altText: 'a tiny png' }] } as (typeof parts)[number]
    const limitedBefore = server.counters.rateLimited
    const started = Date.now()
    const result = await connector.publish({ credentials, idempotencyKey: randomUUID(), content: { parts } })
    expect(Date.now() - started).toBeGreaterThan(500)
    expect(server.counters.rateLimited).toBe(limitedBefore)
    expect(result.partIds).toHaveLength(7)
    expect(result.url).toBe(`https://discord.com/channels/${server.webhook.guildId}/${server.webhook.channelId}/${result.remoteId}`)
    const sent = result.partIds!.map((id) => server.messages.find((m) => m.id === id)!)
    expect(sent.map((m) => m.content)).toEqual(parts.map((p) => p.text))
    expect(sent[1]!.attachments).toEqual([{ filename: 'image-1.png', size: PNG.byteLength, description: 'a tiny png' }])
    expect(sent.every((m) => JSON.stringify(m.allowedMentions) === '{"parse":[]}')).toBe(true)
  })

  it('maps Discord’s answers into the taxonomy', async () => {
    await new Promise((resolve) => setTimeout(resolve, 2100))
    const credentials = await credentialsFrom(server)
    const publish = (extra: Partial<Credentials> = {}, body = text('taxonomy')) =>
      rejection(connector.publish({ credentials: { ...credentials, ...extra }, content: { parts: [{ text: body }] }, idempotencyKey: randomUUID() }))
    // A global limit has no bucket reset: only how long to wait.
    server.injectFault({ kind: 'rate-limit', global: true, resetAt: new Date(Date.now() + 30_000) })
    const global = (await publish()) as ConnectorError
    expect(global.kind).toBe('rate-limited')
    expect(Math.abs(global.resetAt!.getTime() - (Date.now() + 30_000))).toBeLessThan(2000)
    expect(await publish({}, 'x'.repeat(2001))).toMatchObject({ kind: 'invalid-content', detail: { status: 400, code: '50035' } })
    const closed = connectorFactories.discord({ apiBaseUrl: `http://127.0.0.1:${await closedPort()}/api/v10` })
    expect(await rejection(closed.publish({ credentials, content: { parts: [{ text: 'x' }] }, idempotencyKey: randomUUID() }))).toMatchObject({ kind: 'transient', detail: { code: 'ECONNREFUSED' } })
    // The webhook deleted in Discord: a person must connect a new one.
    await new Promise((resolve) => setTimeout(resolve, 2100))
    server.deleteWebhook()
    expect(await publish()).toMatchObject({ kind: 'disconnected', detail: { status: 404, code: '10015' } })
  })

  it('validate: 2000 characters, 10 images of 10 MB together', () => {
    const image = { mimeType: 'image/png', data: PNG }
    expect(connector.validate({ parts: [{ text: 'x'.repeat(2000) }] })).toEqual([])
    expect(connector.validate({ parts: [{ text: 'x'.repeat(2001) }] }).map((p) => p.message)).toEqual(['Too long for Discord: 2001 characters, at most 2000.'])
    expect(connector.validate({ parts: [{ text: 'x', media: Array.from({ length: 11 }, () => image) }] }).map((p) => p.path)).toEqual(['parts[0].media'])
    expect(connector.validate({ parts: [{ text: '', media: [{ mimeType: 'image/png', data: new Uint8Array(10 * 1024 * 1024 + 1) }] }] }).map((p) => p.path)).toEqual(['parts[0].media'])
  })
})
