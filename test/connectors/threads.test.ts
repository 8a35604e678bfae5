import { randomUUID } from 'node:crypto'
import { startAuthorization } from '../../connectors/oauth'
import { connectorFactories } from '../../connectors/registry'
import { ConnectorError, type Connector, type Credentials } from '../../connectors/types'
import { runConnectorContract } from '../contract/connector'
import { closedPort, rejection, tokenNetworkHarness } from '../contract/token-network-harness'
import { startThreadsApiServer, type ThreadsApiServer } from '../servers/threads-api'

const threads = (server: ThreadsApiServer, apiBaseUrl = server.url) =>
  connectorFactories.threads({ clientId: server.clientId, clientSecret: server.clientSecret, apiBaseUrl, authorizeUrl: `${server.url}/oauth/authorize`, timeoutMs: 2000 })

function credentialsFrom(server: ThreadsApiServer, ageMs?: number): Credentials {
  const { accessToken, expiresIn } = server.issueToken({ ageMs })
  return { accessToken, refreshToken: accessToken, expiresAt: new Date(Date.now() + expiresIn * 1000), extra: { userId: server.user.id, username: server.user.username } }
}

// No idempotency key and no refusal of a repeat: an unknown outcome goes to lookup (or a person), never a resend.
runConnectorContract('threads', { refresh: true, refreshRotates: false, idempotent: false, rateLimitResetResolutionMs: 60_000 }, async () => {
  const server = await startThreadsApiServer()
  return tokenNetworkHarness({ server, connector: threads(server), credentials: () => credentialsFrom(server) })
})

describe('Threads connector', () => {
  let server: ThreadsApiServer
  let connector: Connector
  beforeAll(async () => {
    server = await startThreadsApiServer()
    connector = threads(server)
  })
  afterAll(async () => {
    await server.close()
  })
  const text = (label: string) => `${label} ${randomUUID().slice(0, 8)}`
  const redirectUri = 'http://127.0.0.1:3000/oauth/threads/callback'

  it('connects through OAuth with state, and keeps the 60-day token that renews itself', async () => {
    const { url, pending } = await startAuthorization({ connector, redirectUri, now: new Date() })
    expect(new URL(url).searchParams.get('scope')).toBe('threads_basic,threads_content_publish,threads_read_replies')
    const callback = new URL((await fetch(url, { redirect: 'manual' })).headers.get('location')!)
    expect(callback.searchParams.get('state')).toBe(pending.state)
    const code = callback.searchParams.get('code')!
    const started = Date.now()
    const account = await connector.completeAuthorization!({ redirectUri, code, codeVerifier: pending.codeVerifier })
    expect(account).toMatchObject({ remoteAccountId: server.user.id, handle: 'trickle.threads', displayName: 'Trickle Threads', credentials: { extra: { userId: server.user.id, username: 'trickle.threads' } } })
    expect(account.credentials.refreshToken).toBe(account.credentials.accessToken)
    expect(account.credentials.expiresAt!.getTime() - started).toBeGreaterThanOrEqual(60 * 24 * 3600_000 - 5000)
    // A code is good once.
    expect(await rejection(connector.completeAuthorization!({ redirectUri, code, codeVerifier: pending.codeVerifier }))).toMatchObject({ kind: 'auth' })
    // A token less than a day old cannot be refreshed yet; a dead one means reconnecting.
    expect(await rejection(connector.refreshCredentials!(account.credentials))).toMatchObject({ kind: 'disconnected', detail: { code: '190' } })
  })

  it('publishes a thread as a chain of replies through container then publish, with the permalink', async () => {
    const credentials = credentialsFrom(server)
    const containersBefore = server.counters.containers
    const parts = [{ text: text('one') }, { text: text('two') }, { text: text('three') }]
    const result = await connector.publish({ credentials, idempotencyKey: randomUUID(), content: { parts } })
    expect(server.counters.containers - containersBefore).toBe(3)
    const posts = result.partIds!.map((id) => server.posts.find((p) => p.id === id)!)
    expect(posts.map((p) => p.text)).toEqual(parts.map((p) => p.text))
    expect(posts.map((p) => p.replyTo)).toEqual([null, posts[0]!.id, posts[1]!.id])
    expect(result.url).toBe(`https://www.threads.net/@trickle.threads/post/${result.remoteId}`)
  })

  it('maps Threads’ answers into the taxonomy', async () => {
    const credentials = credentialsFrom(server)
    const publish = (extra: Partial<Credentials> = {}, body = text('taxonomy')) => rejection(connector.publish({ credentials: { ...credentials, ...extra }, content: { parts: [{ text: body }] }, idempotencyKey: randomUUID() }))
    expect(await publish({ accessToken: 'expired' })).toMatchObject({ kind: 'auth', detail: { status: 400, code: '190' } })
    expect(await publish({}, 'x'.repeat(501))).toMatchObject({ kind: 'invalid-content', detail: { status: 400, code: '100' } })
    server.injectFault({ kind: 'rate-limit', resetAt: new Date(Date.now() + 30 * 60_000) })
    const limited = (await publish()) as ConnectorError
    expect(limited).toMatchObject({ kind: 'rate-limited', detail: { code: '4' } })
    expect(Math.abs(limited.resetAt!.getTime() - (Date.now() + 30 * 60_000))).toBeLessThan(60_000)
    const closed = threads(server, `http://127.0.0.1:${await closedPort()}`)
    expect(await rejection(closed.publish({ credentials, content: { parts: [{ text: 'x' }] }, idempotencyKey: randomUUID() }))).toMatchObject({ kind: 'transient', detail: { code: 'ECONNREFUSED' } })
  })

  it('a thread stopped part-way: partial, lookup finds the parts out, resume replies to the last', async () => {
    const credentials = credentialsFrom(server)
    const since = new Date(Date.now() - 1000)
    const content = { parts: [{ text: text('p1') }, { text: text('p2') }, { text: text('p3') }] }
    server.injectFault({ kind: 'unavailable', apply: true, after: 1 })
    const error = (await rejection(connector.publish({ credentials, content, idempotencyKey: randomUUID() }))) as ConnectorError
    expect(error.kind).toBe('unknown-outcome')
    expect(error.partial?.partIds).toHaveLength(1)
    // The second part was applied before the 503: lookup finds both.
    const found = await connector.lookup!({ credentials, content, idempotencyKey: randomUUID(), since })
    expect(found?.partIds).toHaveLength(2)
    const resumed = await connector.publish({ credentials, content, idempotencyKey: randomUUID(), resume: { partIds: found!.partIds! } })
    expect(resumed.partIds).toHaveLength(3)
    expect(server.posts.find((p) => p.id === resumed.partIds![2])!.replyTo).toBe(resumed.partIds![1])
  })

  it('validate: 500 characters, text only', () => {
    expect(connector.validate({ parts: [{ text: '😀'.repeat(500) }] })).toEqual([])
    expect(connector.validate({ parts: [{ text: 'x'.repeat(501) }] }).map((p) => p.message)).toEqual(['Too long for Threads: 501 characters, at most 500.'])
    expect(connector.validate({ parts: [{ text: 'x', media: [{ mimeType: 'image/png', data: new Uint8Array(1) }] }] }).map((p) => p.path)).toEqual(['parts[0].media'])
  })
})
