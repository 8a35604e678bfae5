import { randomUUID } from 'node:crypto'
import { startAuthorization } from '../../connectors/oauth'
import { connectorFactories } from '../../connectors/registry'
import { ConnectorError, type Connector, type Credentials } from '../../connectors/types'
import { runConnectorContract } from '../contract/connector'
import { rejection, tokenNetworkHarness } from '../contract/token-network-harness'
import { startSlackApiServer, type SlackApiServer } from '../servers/slack-api'

const slack = (server: SlackApiServer) =>
  connectorFactories.slack({ clientId: server.clientId, clientSecret: server.clientSecret, apiUrl: server.apiUrl, authorizeUrl: server.authorizeUrl, timeoutMs: 2000 })

function credentialsFrom(server: SlackApiServer): Credentials {
  return { accessToken: server.issueToken(), extra: { channelId: server.channel.id, teamId: server.team.id } }
}

// Retry-After counts whole seconds from the answer: the reset is known to the second, no finer.
runConnectorContract('slack', { refresh: false, idempotent: false, rateLimitResetResolutionMs: 1000 }, async () => {
  const server = await startSlackApiServer()
  return tokenNetworkHarness({ server, connector: slack(server), credentials: () => credentialsFrom(server) })
})

describe('Slack connector', () => {
  let server: SlackApiServer
  let connector: Connector
  beforeAll(async () => {
    server = await startSlackApiServer()
    connector = slack(server)
  })
  afterAll(async () => {
    await server.close()
  })
  const redirectUri = 'http://127.0.0.1:3000/oauth/slack/callback'

  it('installs through OAuth v2 with state: the channel picked on Slack’s page becomes the account', async () => {
    const { url, pending } = await startAuthorization({ connector, redirectUri, now: new Date() })
    const authorize = new URL(url)
    expect(authorize.origin + authorize.pathname).toBe(server.authorizeUrl)
    expect(authorize.searchParams.get('scope')).toBe('chat:write,chat:write.public,incoming-webhook,channels:history,groups:history')
    expect(authorize.searchParams.get('state')).toBe(pending.state)
    const callback = new URL((await fetch(url, { redirect: 'manual' })).headers.get('location')!)
    expect(callback.searchParams.get('state')).toBe(pending.state)
    const code = callback.searchParams.get('code')!
    const account = await connector.completeAuthorization!({ redirectUri, code, codeVerifier: pending.codeVerifier })
    expect(account).toMatchObject({ remoteAccountId: `${server.team.id}/${server.channel.id}`, handle: '#launches', displayName: 'Trickle Team' })
    expect(account.credentials.accessToken).toMatch(/^xoxb-/)
    const posted = await connector.publish({ credentials: account.credentials, content: { parts: [{ text: 'installed' }] }, idempotencyKey: randomUUID() })
    expect(server.messages.find((m) => m.ts === posted.remoteId)?.text).toBe('installed')
    // A code is good once.
    expect(await rejection(connector.completeAuthorization!({ redirectUri, code, codeVerifier: pending.codeVerifier }))).toMatchObject({ kind: 'auth' })
  })

  it('publishes a thread under its first message, and lookup finds every part by its metadata', async () => {
    const credentials = credentialsFrom(server)
    const since = new Date(Date.now() - 1000)
    const key = randomUUID()
    const content = { parts: [{ text: 'one' }, { text: 'two' }, { text: 'three' }] }
    const result = await connector.publish({ credentials, idempotencyKey: key, content })
    const [first, ...rest] = result.partIds!.map((ts) => server.messages.find((m) => m.ts === ts)!)
    expect(first!.threadTs).toBeUndefined()
    expect(rest.map((m) => m.threadTs)).toEqual([first!.ts, first!.ts])
    expect(rest.map((m) => m.metadata)).toEqual([
      { event_type: 'trickle_post', event_payload: { key, part: 1 } },
      { event_type: 'trickle_post', event_payload: { key, part: 2 } },
    ])
    expect(await connector.lookup!({ credentials, content, idempotencyKey: key, since })).toEqual({ remoteId: result.remoteId, partIds: result.partIds })
    // A thread stopped after its first part: lookup finds that one, the pipeline continues after it.
    const stopped = randomUUID()
    server.injectFault({ kind: 'unavailable', after: 1 })
    const error = (await rejection(connector.publish({ credentials, idempotencyKey: stopped, content }))) as ConnectorError
    expect(error.partial?.partIds).toHaveLength(1)
    expect((await connector.lookup!({ credentials, content, idempotencyKey: stopped, since }))?.partIds).toEqual(error.partial!.partIds)
  })

  it('maps Slack’s answers into the taxonomy, and refuses images in the editor', async () => {
    const credentials = credentialsFrom(server)
    const publish = (extra: Partial<Credentials>, text = 'x') => rejection(connector.publish({ credentials: { ...credentials, ...extra }, content: { parts: [{ text }] }, idempotencyKey: randomUUID() }))
    expect(await publish({ extra: { channelId: 'C0ELSEWHERE' } })).toMatchObject({ kind: 'disconnected', detail: { code: 'channel_not_found' } })
    expect(await publish({}, 'x'.repeat(40_001))).toMatchObject({ kind: 'invalid-content', detail: { code: 'msg_too_long' } })
    expect(connector.validate({ parts: [{ text: 'x', media: [{ mimeType: 'image/png', data: new Uint8Array([1]) }] }] }).map((p) => p.path)).toEqual(['parts[0].media'])
  })
})
