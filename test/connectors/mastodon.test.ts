import { randomBytes, randomUUID } from 'node:crypto'
import { codeChallengeFor, createCodeVerifier, createOAuthState, startAuthorization } from '../../connectors/oauth'
import { connectorFactories } from '../../connectors/registry'
import { ConnectorError, type Connector, type Credentials } from '../../connectors/types'
import { runConnectorContract } from '../contract/connector'
import { virtualTime } from './fixtures/virtual-time'
import { makeMp4 } from './fixtures/mp4'
import { startMastodonApiServer, type MastodonApiServer } from '../servers/mastodon-api'

const mastodon = () => connectorFactories.mastodon({ allowInsecureInstances: true, allowPrivateNetworkHosts: true, timeoutMs: 2000 })

function credentialsFrom(server: MastodonApiServer): Credentials {
  return { accessToken: server.issueToken(), extra: { instanceUrl: server.url, accountId: server.account.id } }
}

async function rejection(promise: Promise<unknown>): Promise<ConnectorError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(ConnectorError)
  return error as ConnectorError
}

runConnectorContract('mastodon', { refresh: false }, async () => {
  const server = await startMastodonApiServer()
  return {
    connector: mastodon(),
    credentials: async () => credentialsFrom(server),
    postsCreated: () => server.counters.postsCreated,
    failNextPublishWithRateLimit: (resetAt) => server.injectFault({ kind: 'rate-limit', resetAt, path: '/api/v1/statuses' }),
    failNextPublishWithUnavailable: ({ apply } = {}) => server.injectFault({ kind: 'unavailable', apply, path: '/api/v1/statuses' }),
    resetNextPublishAfterApplying: () => server.injectFault({ kind: 'reset', apply: true, path: '/api/v1/statuses' }),
    close: () => server.close(),
  }
})

describe('Mastodon connector', () => {
  let server: MastodonApiServer
  let connector: Connector
  beforeAll(async () => {
    server = await startMastodonApiServer({ maxCharacters: 1000 })
    connector = mastodon()
  })
  afterAll(async () => {
    await server.close()
  })
  const text = (label: string) => `${label} ${randomUUID().slice(0, 8)}`
  const redirectUri = 'http://127.0.0.1:3000/accounts/mastodon/callback'

  it('registers on the instance, authorizes with PKCE S256 and takes the instance limit', async () => {
    const before = server.counters.appsRegistered
    const { url, pending } = await startAuthorization({ connector, redirectUri, server: server.url, now: new Date() })
    expect(server.counters.appsRegistered).toBe(before + 1)
    expect(pending.context).toMatchObject({ instanceUrl: server.url })
    const authorize = new URL(url)
    expect(authorize.origin).toBe(server.url)
    expect(authorize.searchParams.get('code_challenge_method')).toBe('S256')
    expect(authorize.searchParams.get('code_challenge')).toBe(codeChallengeFor(pending.codeVerifier))
    const callback = new URL((await fetch(url, { redirect: 'manual' })).headers.get('location')!)
    expect(callback.searchParams.get('state')).toBe(pending.state)
    const account = await connector.completeAuthorization!({ redirectUri, code: callback.searchParams.get('code')!, codeVerifier: pending.codeVerifier, context: pending.context })
    const host = new URL(server.url).host
    expect(account).toMatchObject({ handle: `trickle@${host}`, remoteAccountId: `${server.account.id}@${host}`, maxPostLength: 1000 })
    expect(account.credentials.extra).toMatchObject({ instanceUrl: server.url, accountId: server.account.id })
    await connector.publish({ credentials: account.credentials, content: { parts: [{ text: text('connected') }] }, idempotencyKey: randomUUID() })
    const replay = await rejection(
      connector.completeAuthorization!({ redirectUri, code: callback.searchParams.get('code')!, codeVerifier: pending.codeVerifier, context: pending.context }),
    )
    expect(replay.kind).toBe('auth')
  })

  it('rejects a code redeemed with another verifier', async () => {
    const context = await connector.prepareAuthorization!({ redirectUri, server: server.url })
    const verifier = createCodeVerifier()
    const url = connector.authorizeUrl!({ redirectUri, state: createOAuthState(), codeChallenge: codeChallengeFor(verifier), context })
    const callback = new URL((await fetch(url, { redirect: 'manual' })).headers.get('location')!)
    const error = await rejection(connector.completeAuthorization!({ redirectUri, code: callback.searchParams.get('code')!, codeVerifier: createCodeVerifier(), context }))
    expect(error.kind).toBe('auth')
  })

  it('refuses plain-http instances unless allowed, and names the field', async () => {
    const strict = connectorFactories.mastodon({})
    await expect(strict.prepareAuthorization!({ redirectUri, server: server.url })).rejects.toThrow('server: Mastodon instances must be reached over https')
  })

  it('counts links as 23 characters and remote mentions by their local part', () => {
    const link = `https://example.com/${'p'.repeat(300)}`
    expect(connector.validate({ parts: [{ text: `${'a'.repeat(476)} ${link}` }] })).toEqual([])
    expect(connector.validate({ parts: [{ text: `${'a'.repeat(477)} ${link}` }] }).map((p) => p.path)).toEqual(['parts[0].text'])
    expect(connector.validate({ parts: [{ text: `${'a'.repeat(480)} @someone@very.long.instance.example` }] })).toEqual([])
  })

  it('publishes threads as reply chains with visibility, images intact with descriptions', async () => {
    const image = randomBytes(300_000)
    const result = await connector.publish({
      credentials: credentialsFrom(server),
      content: {
        visibility: 'unlisted',
        parts: [{ text: text('toot 1'), media: [{ mimeType: 'image/png', data: new Uint8Array(image), altText: 'a chart' }] }, { text: text('toot 2') }],
      },
      idempotencyKey: randomUUID(),
    })
    const [first, second] = result.partIds!.map((id) => server.statuses.find((s) => s.id === id)!)
    expect(second!.inReplyTo).toBe(first!.id)
    expect([first!.visibility, second!.visibility]).toEqual(['unlisted', 'unlisted'])
    const uploaded = server.media.get(first!.mediaIds[0]!)!
    expect(uploaded.bytes.equals(image)).toBe(true)
    expect(uploaded).toMatchObject({ mimeType: 'image/png', description: 'a chart' })
    expect(result.url).toBe(`${server.url}/@trickle/${first!.id}`)
  })

  it('continues a thread after the statuses that exist, sending only the missing parts (issue 23)', async () => {
    const credentials = credentialsFrom(server)
    const parts = [{ text: text('resume 1') }, { text: text('resume 2') }, { text: text('resume 3') }]
    const idempotencyKey = randomUUID()
    const first = await connector.publish({ credentials, content: { parts: parts.slice(0, 1) }, idempotencyKey })
    await new Promise((resolve) => setTimeout(resolve, 5))
    const since = new Date()
    const created = server.counters.postsCreated
    const replays = server.counters.idempotentReplays
    const resumed = await connector.publish({ credentials, content: { parts }, idempotencyKey, resume: { partIds: [first.remoteId] } })
    expect(server.counters.postsCreated).toBe(created + 2)
    expect(server.counters.idempotentReplays).toBe(replays)
    expect(resumed.remoteId).toBe(first.remoteId)
    const statuses = resumed.partIds!.map((id) => server.statuses.find((st) => st.id === id)!)
    expect(statuses.map((st) => st.text)).toEqual(parts.map((p) => p.text))
    expect(statuses.map((st) => st.inReplyTo)).toEqual([null, first.remoteId, resumed.partIds![1]])
    // Part 1 is older than the window: the lookup finds the rest after the known id.
    expect(await connector.lookup!({ credentials, content: { parts }, idempotencyKey, since })).toBeNull()
    expect((await connector.lookup!({ credentials, content: { parts }, idempotencyKey, since, known: { partIds: [first.remoteId] } }))?.partIds).toEqual(resumed.partIds)
  })

  it('a retried publish after a lost answer returns the same post through the Idempotency-Key', async () => {
    const credentials = credentialsFrom(server)
    const content = { parts: [{ text: text('lost answer') }] }
    const idempotencyKey = randomUUID()
    server.injectFault({ kind: 'reset', apply: true, path: '/api/v1/statuses' })
    expect((await rejection(connector.publish({ credentials, content, idempotencyKey }))).kind).toBe('unknown-outcome')
    const before = server.counters.postsCreated
    const retried = await connector.publish({ credentials, content, idempotencyKey })
    expect(server.counters.postsCreated).toBe(before)
    expect(server.counters.idempotentReplays).toBeGreaterThan(0)
    expect(server.statuses.find((s) => s.id === retried.remoteId)?.text).toBe(content.parts[0]!.text)
  })

  it('lookup reads text back out of the HTML content', async () => {
    const credentials = credentialsFrom(server)
    const since = new Date(Date.now() - 1000)
    const content = { parts: [{ text: text(`"Q&A" <live>\nline two https://trickle.example/x`) }, { text: text("it's part two") }] }
    const published = await connector.publish({ credentials, content, idempotencyKey: randomUUID() })
    expect(await connector.lookup!({ credentials, content, idempotencyKey: randomUUID(), since })).toMatchObject({ partIds: published.partIds })
    expect(await connector.lookup!({ credentials, content: { parts: [{ text: text('nope') }] }, idempotencyKey: randomUUID(), since })).toBeNull()
  })

  it('a status applied but answered after the client gave up is unknown-outcome; lookup finds exactly that one', async () => {
    const credentials = credentialsFrom(server)
    const content = { parts: [{ text: text('slow answer') }] }
    const since = new Date(Date.now() - 1000)
    const before = server.counters.postsCreated
    server.injectFault({ kind: 'slow', ms: 1_500, path: '/api/v1/statuses' })
    const impatient = connectorFactories.mastodon({ allowInsecureInstances: true, allowPrivateNetworkHosts: true, timeoutMs: 300 })
    const error = await rejection(impatient.publish({ credentials, content, idempotencyKey: randomUUID() }))
    expect(error.kind).toBe('unknown-outcome')
    expect(server.counters.postsCreated).toBe(before + 1)
    const found = await connector.lookup!({ credentials, content, idempotencyKey: randomUUID(), since })
    expect(found?.remoteId).toBe(server.statuses.find((s) => s.text === content.parts[0]!.text)!.id)
    expect(server.statuses.filter((s) => s.text === content.parts[0]!.text)).toHaveLength(1)
  })

  it('a 503 on a read (media upload before the status) stays transient and posts nothing', async () => {
    const before = server.counters.postsCreated
    server.injectFault({ kind: 'unavailable', path: '/api/v2/media' })
    const error = await rejection(
      connector.publish({
        credentials: credentialsFrom(server),
        content: { parts: [{ text: text('upload 503'), media: [{ mimeType: 'image/png', data: new Uint8Array(randomBytes(64)) }] }] },
        idempotencyKey: randomUUID(),
      }),
    )
    expect(error).toMatchObject({ kind: 'transient', detail: { status: 503 } })
    expect(server.counters.postsCreated).toBe(before)
  })

  it('a timeout after sending is unknown-outcome; a refused connection is transient', async () => {
    server.injectFault({ kind: 'hang', path: '/api/v1/statuses' })
    const impatient = connectorFactories.mastodon({ allowInsecureInstances: true, allowPrivateNetworkHosts: true, timeoutMs: 300 })
    expect((await rejection(impatient.publish({ credentials: credentialsFrom(server), content: { parts: [{ text: text('hang') }] }, idempotencyKey: randomUUID() }))).kind).toBe(
      'unknown-outcome',
    )
    const gone = await startMastodonApiServer()
    const credentials = credentialsFrom(gone)
    await gone.close()
    const error = await rejection(connector.publish({ credentials, content: { parts: [{ text: 'x' }] }, idempotencyKey: randomUUID() }))
    expect(error.kind).toBe('transient')
    expect(error.detail?.code).toBe('ECONNREFUSED')
  })
})

describe('Mastodon video (202 while processing, GET /api/v1/media/:id until it has a url)', () => {
  let server: MastodonApiServer
  beforeAll(async () => {
    server = await startMastodonApiServer({ videoSizeLimit: 3 * 1024 * 1024 })
  })
  afterAll(async () => {
    await server.close()
  })
  const text = (label: string) => `${label} ${randomUUID().slice(0, 8)}`

  function videoConnector(extra: { mediaProcessingTimeoutMs?: number } = {}) {
    const { clock, sleep, waits } = virtualTime()
    const connector = connectorFactories.mastodon({
      allowInsecureInstances: true,
      allowPrivateNetworkHosts: true,
      timeoutMs: 2000,
      clock,
      sleep,
      ...extra,
    })
    return { connector, waits }
  }
  const video = (label: string, data = makeMp4()) => ({ parts: [{ text: text(label), media: [{ mimeType: 'video/mp4', data, altText: 'a clip' }] }] })

  it('uploads a 1 s MP4, waits while the instance processes it, then posts it', async () => {
    const { connector, waits } = videoConnector()
    server.scriptVideoProcessing({ polls: 2, outcome: 'ready' })
    const data = makeMp4({ durationSeconds: 1, totalBytes: 50_000 })
    const checks = server.mediaChecks()
    const result = await connector.publish({ credentials: credentialsFrom(server), content: video('video', data), idempotencyKey: randomUUID() })
    expect(waits).toEqual([1000, 2000, 4000])
    expect(server.mediaChecks() - checks).toBe(3)
    const status = server.statuses.find((s) => s.id === result.remoteId)!
    const uploaded = server.media.get(status.mediaIds[0]!)!
    expect(uploaded).toMatchObject({ mimeType: 'video/mp4', description: 'a clip' })
    expect(uploaded.bytes.equals(Buffer.from(data))).toBe(true)
  })

  it('fails as invalid content when the instance cannot process the video, posting nothing', async () => {
    const { connector } = videoConnector()
    server.scriptVideoProcessing({ polls: 1, outcome: 'failed' })
    const before = server.counters.postsCreated
    const error = await rejection(connector.publish({ credentials: credentialsFrom(server), content: video('bad video'), idempotencyKey: randomUUID() }))
    expect(error.kind).toBe('invalid-content')
    expect(error.message).toContain('File could not be processed')
    expect(server.counters.postsCreated).toBe(before)
  })

  it('gives up as transient when processing outlasts the timeout (by the injected clock), posting nothing', async () => {
    const { connector, waits } = videoConnector({ mediaProcessingTimeoutMs: 10_000 })
    server.scriptVideoProcessing({ polls: 100, outcome: 'ready' })
    const before = server.counters.postsCreated
    const error = await rejection(connector.publish({ credentials: credentialsFrom(server), content: video('slow video'), idempotencyKey: randomUUID() }))
    expect(error.kind).toBe('transient')
    expect(error.detail?.code).toBe('media-processing-timeout')
    expect(waits).toEqual([1000, 2000, 4000])
    expect(server.counters.postsCreated).toBe(before)
  })

  it("refuses a video over the instance's video_size_limit, naming the field and the limit, before uploading it", async () => {
    const { connector } = videoConnector()
    const uploads = server.media.size
    const error = await rejection(
      connector.publish({ credentials: credentialsFrom(server), content: video('big video', makeMp4({ totalBytes: 4 * 1024 * 1024 })), idempotencyKey: randomUUID() }),
    )
    expect(error.kind).toBe('invalid-content')
    expect(error.message).toBe('parts[0].media[0].data: Too big for Mastodon: 4 MB, at most 3 MB.')
    expect(server.media.size).toBe(uploads)
    // Without an account's limits at hand, the editor checks Mastodon's default 40 MB.
    expect(connector.validate(video('huge', makeMp4({ totalBytes: 41 * 1024 * 1024 })))).toEqual([
      { path: 'parts[0].media[0].data', message: 'Too big for Mastodon: 41 MB, at most 40 MB.' },
    ])
  })

  it('reads the instance’s media limits when connecting, and the editor checks them (decision 111)', async () => {
    const small = await startMastodonApiServer({ videoSizeLimit: 3 * 1024 * 1024, imageSizeLimit: 1024 * 1024, maxMediaAttachments: 2 })
    try {
      const { connector } = videoConnector()
      const { url, pending } = await startAuthorization({ connector, redirectUri: 'http://127.0.0.1:3000/cb', server: small.url, now: new Date() })
      const callback = new URL((await fetch(url, { redirect: 'manual' })).headers.get('location')!)
      const account = await connector.completeAuthorization!({ redirectUri: 'http://127.0.0.1:3000/cb', code: callback.searchParams.get('code')!, codeVerifier: pending.codeVerifier, context: pending.context })
      expect(account.limits).toEqual({ maxVideoBytes: 3 * 1024 * 1024, maxImageBytes: 1024 * 1024, maxMediaPerPost: 2 })
      const png = (bytes: number) => ({ mimeType: 'image/png', data: new Uint8Array(bytes) })
      const content = { parts: [{ text: 'a', media: [png(1024 * 1024 + 1), png(1), png(1)] }, { text: 'b', media: [{ mimeType: 'video/mp4', data: makeMp4({ totalBytes: 4 * 1024 * 1024 }) }] }] }
      expect(connector.validate(content, { limits: account.limits }).map((p) => `${p.path}: ${p.message}`)).toEqual([
        'parts[0].media: At most 2 images per post on this Mastodon server.',
        'parts[0].media[0].data: Images on this Mastodon server are at most 1 MB.',
        'parts[1].media[0].data: Too big for Mastodon: 4 MB, at most 3 MB.',
      ])
      expect(connector.validate(content).map((p) => p.path)).toEqual([])
    } finally {
      await small.close()
    }
  })
})
