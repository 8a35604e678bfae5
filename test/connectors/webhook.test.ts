import { randomUUID } from 'node:crypto'
import { Webhook } from 'standardwebhooks'
import { connectorFactories } from '../../connectors/registry'
import { ConnectorError, type Connector, type Credentials } from '../../connectors/types'
import { runConnectorContract } from '../contract/connector'
import { startWebhookReceiver, type WebhookReceiver } from '../servers/webhook-receiver'

const webhook = (options: { allowPrivateNetworkHosts?: boolean } = { allowPrivateNetworkHosts: true }) => connectorFactories.webhook({ timeoutMs: 2000, ...options })

async function credentialsFrom(receiver: WebhookReceiver): Promise<Credentials> {
  return (await webhook().connectWithToken!({ url: receiver.url, secret: receiver.secret })).credentials
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => null,
    (e: unknown) => e,
  )
}

runConnectorContract('webhook', { refresh: false, lookup: false }, async () => {
  const receiver = await startWebhookReceiver()
  return {
    connector: webhook(),
    credentials: () => credentialsFrom(receiver),
    postsCreated: () => receiver.counters.postsCreated,
    failNextPublishWithRateLimit: (resetAt) => receiver.injectFault({ kind: 'rate-limit', resetAt }),
    failNextPublishWithUnavailable: ({ apply } = {}) => receiver.injectFault({ kind: 'unavailable', apply }),
    resetNextPublishAfterApplying: () => receiver.injectFault({ kind: 'reset', apply: true }),
    close: () => receiver.close(),
  }
})

describe('webhook connector', () => {
  let receiver: WebhookReceiver
  let connector: Connector
  beforeAll(async () => {
    receiver = await startWebhookReceiver({ secret: 'a plain shared secret of some length' })
    connector = webhook()
  })
  afterAll(async () => {
    await receiver.close()
  })

  it('connects after a signed test event, and names the field at fault', async () => {
    const before = receiver.events.length
    const account = await connector.connectWithToken!({ url: receiver.url, secret: receiver.secret })
    expect(receiver.events.slice(before).map((e) => e.type)).toEqual(['webhook.test'])
    expect(account.handle).toBe(`${new URL(receiver.url).host}/hooks/trickle`)
    expect(account.credentials).toEqual({ accessToken: receiver.secret, extra: { url: receiver.url } })
    await expect(connector.connectWithToken!({ url: receiver.url, secret: 'short' })).rejects.toThrow(/^secret: use at least 24 characters/)
    await expect(connector.connectWithToken!({ url: receiver.url, secret: 'another secret of enough length' })).rejects.toThrow(/^secret: the receiver refused the test event's signature \(401\)/)
    await expect(connector.connectWithToken!({ url: `${receiver.url}/elsewhere`, secret: receiver.secret })).rejects.toThrow(/^url: the receiver answered the test event with 404/)
    await expect(connector.connectWithToken!({ url: 'ftp://example.com/x', secret: receiver.secret })).rejects.toThrow(/^url: the webhook URL must start with https:\/\//)
  })

  it('the SSRF guard: without ALLOW_PRIVATE_NETWORK_HOSTS, loopback and http URLs are refused before anything is sent', async () => {
    const guarded = webhook({ allowPrivateNetworkHosts: false })
    await expect(guarded.connectWithToken!({ url: receiver.url, secret: receiver.secret })).rejects.toThrow(/^url: the webhook URL must start with https:\/\//)
    const before = receiver.events.length
    const error = (await rejection(guarded.connectWithToken!({ url: 'https://127.0.0.1:9/hook', secret: receiver.secret }))) as ConnectorError
    expect(error).toMatchObject({ kind: 'disconnected', detail: { code: 'EADDRNOTALLOWED' } })
    const published = await rejection(
      guarded.publish({ credentials: { accessToken: receiver.secret, extra: { url: 'https://169.254.169.254/latest' } }, content: { parts: [{ text: 'x' }] }, idempotencyKey: randomUUID() }),
    )
    expect(published).toMatchObject({ kind: 'disconnected', detail: { code: 'EADDRNOTALLOWED' } })
    expect(receiver.events.length).toBe(before)
    guarded.close?.()
  })

  it('signs each part with the Standard Webhooks scheme; a receiver with the secret verifies it, each part names the one before', async () => {
    const credentials = await credentialsFrom(receiver)
    const key = randomUUID()
    const result = await connector.publish({
      credentials,
      idempotencyKey: key,
      content: { parts: [{ text: 'first' }, { text: 'second', media: [{ mimeType: 'image/png', data: new Uint8Array([1, 2, 3]), altText: 'dots' }] }] },
    })
    expect(result.url).toMatch(/\/posts\/post-\d+$/)
    const [one, two] = receiver.events.slice(-2)
    expect(one).toMatchObject({ webhookId: `${key}:0`, type: 'post.published', data: { deliveryId: key, text: 'first', part: { index: 0, count: 2, previousId: null } } })
    expect(two).toMatchObject({ webhookId: `${key}:1`, data: { text: 'second', part: { index: 1, previousId: one!.postId }, media: [{ mimeType: 'image/png', altText: 'dots', base64: 'AQID' }] } })
    expect(result.partIds).toEqual([one!.postId, two!.postId])
    // The signature is what any Standard Webhooks library checks (here the reference one, independently of the receiver).
    const body = JSON.stringify({ type: 'webhook.test', timestamp: new Date().toISOString(), data: {} })
    const signed = new Webhook(receiver.secret, { format: 'raw' }).sign('msg_1', new Date(), body)
    expect(signed).toMatch(/^v1,[A-Za-z0-9+/]+=*$/)
  })

  it('maps the receiver’s answers: a wrong secret is auth, a gone endpoint needs a person', async () => {
    const credentials = await credentialsFrom(receiver)
    const publish = (extra: Partial<Credentials>) => rejection(connector.publish({ credentials: { ...credentials, ...extra }, content: { parts: [{ text: 'x' }] }, idempotencyKey: randomUUID() }))
    expect(await publish({ accessToken: 'a different secret of enough length' })).toMatchObject({ kind: 'auth', detail: { status: 401 } })
    expect(await publish({ extra: { url: `${receiver.url}/gone` } })).toMatchObject({ kind: 'disconnected', detail: { status: 404 } })
  })
})
