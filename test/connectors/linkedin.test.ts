import { randomUUID } from 'node:crypto'
import { startAuthorization } from '../../connectors/oauth'
import { connectorFactories } from '../../connectors/registry'
import { ConnectorError, type ChannelContent, type Connector, type Credentials } from '../../connectors/types'
import { runConnectorContract } from '../contract/connector'
import { closedPort, rejection, tokenNetworkHarness } from '../contract/token-network-harness'
import { startLinkedInApiServer, type LinkedInApiServer } from '../servers/linkedin-api'
import { virtualTime } from './fixtures/virtual-time'
import { makeMp4 } from './fixtures/mp4'

const linkedin = (server: LinkedInApiServer, apiBaseUrl = server.url) =>
  connectorFactories.linkedin({ clientId: server.clientId, clientSecret: server.clientSecret, apiBaseUrl, oauthBaseUrl: `${server.url}/oauth/v2`, timeoutMs: 2000 })

function credentialsFrom(server: LinkedInApiServer): Credentials {
  const tokens = server.issueTokens()
  return { accessToken: tokens.accessToken, refreshToken: tokens.refreshToken, expiresAt: new Date(Date.now() + tokens.expiresIn * 1000), extra: { author: server.member.urn } }
}

const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3])

runConnectorContract('linkedin', { refresh: true, refreshRotates: false }, async () => {
  const server = await startLinkedInApiServer()
  return tokenNetworkHarness({ server, connector: linkedin(server), credentials: () => credentialsFrom(server) })
})

describe('LinkedIn connector', () => {
  let server: LinkedInApiServer
  let connector: Connector
  beforeAll(async () => {
    server = await startLinkedInApiServer()
    connector = linkedin(server)
  })
  afterAll(async () => {
    await server.close()
  })
  const text = (label: string) => `${label} ${randomUUID().slice(0, 8)}`
  const redirectUri = 'http://127.0.0.1:3000/oauth/linkedin/callback'

  it('connects a member through 3-legged OAuth with state and PKCE; a 60-day token, a refresh token where granted', async () => {
    const { url, pending } = await startAuthorization({ connector, redirectUri, now: new Date() })
    const authorize = new URL(url)
    expect(authorize.pathname).toBe('/oauth/v2/authorization')
    expect(authorize.searchParams.get('scope')).toBe('openid profile w_member_social')
    const callback = new URL((await fetch(url, { redirect: 'manual' })).headers.get('location')!)
    expect(callback.searchParams.get('state')).toBe(pending.state)
    const code = callback.searchParams.get('code')!
    // The wrong verifier is refused (PKCE), and the code is then spent.
    expect(await rejection(connector.completeAuthorization!({ redirectUri, code, codeVerifier: 'x'.repeat(64) }))).toMatchObject({ kind: 'auth', detail: { status: 400 } })
    const { url: url2, pending: pending2 } = await startAuthorization({ connector, redirectUri, now: new Date() })
    const code2 = new URL((await fetch(url2, { redirect: 'manual' })).headers.get('location')!).searchParams.get('code')!
    const started = Date.now()
    const account = await connector.completeAuthorization!({ redirectUri, code: code2, codeVerifier: pending2.codeVerifier })
    expect(account).toMatchObject({ remoteAccountId: server.member.urn, handle: 'Ada Lovelace', displayName: 'Ada Lovelace', credentials: { extra: { author: server.member.urn } } })
    expect(account.credentials.refreshToken).toMatch(/\S/)
    expect(account.credentials.expiresAt!.getTime() - started).toBeGreaterThanOrEqual(60 * 24 * 3600_000 - 5000)
    // Without refresh tokens (most apps), refreshing says the account must reconnect.
    server.refreshTokens = false
    try {
      const { url: url3, pending: pending3 } = await startAuthorization({ connector, redirectUri, now: new Date() })
      const code3 = new URL((await fetch(url3, { redirect: 'manual' })).headers.get('location')!).searchParams.get('code')!
      const bare = await connector.completeAuthorization!({ redirectUri, code: code3, codeVerifier: pending3.codeVerifier })
      expect(bare.credentials.refreshToken).toBeUndefined()
      expect(await rejection(connector.refreshCredentials!(bare.credentials))).toMatchObject({ kind: 'disconnected' })
    } finally {
      server.refreshTokens = true
    }
  })

  it('with the Community Management API, the same consent connects the pages the member administers, which post as themselves', async () => {
    const pages = connectorFactories.linkedin({ clientId: server.clientId, clientSecret: server.clientSecret, apiBaseUrl: server.url, oauthBaseUrl: `${server.url}/oauth/v2`, organizations: true })
    const { url, pending } = await startAuthorization({ connector: pages, redirectUri, now: new Date() })
    expect(new URL(url).searchParams.get('scope')).toBe('openid profile w_member_social w_organization_social r_organization_social rw_organization_admin')
    const code = new URL((await fetch(url, { redirect: 'manual' })).headers.get('location')!).searchParams.get('code')!
    const account = await pages.completeAuthorization!({ redirectUri, code, codeVerifier: pending.codeVerifier })
    expect(account.remoteAccountId).toBe(server.member.urn)
    expect(account.alsoAuthorized).toEqual([
      expect.objectContaining({ remoteAccountId: server.page.urn, handle: 'Analytical Engines Ltd', displayName: 'linkedin.com/company/analytical-engines', credentials: expect.objectContaining({ extra: { author: server.page.urn } }) }),
    ])
    const page = account.alsoAuthorized![0]!
    const posted = await pages.publish({ credentials: page.credentials, content: { parts: [{ text: text('from the page') }, { text: text('page comment') }] }, idempotencyKey: randomUUID() })
    expect(server.posts.find((p) => p.id === posted.remoteId)?.author).toBe(server.page.urn)
    expect(server.comments.find((c) => c.id === posted.partIds![1])?.actor).toBe(server.page.urn)
    // Without the product, only the member is connected.
    const { url: url2, pending: pending2 } = await startAuthorization({ connector, redirectUri, now: new Date() })
    const code2 = new URL((await fetch(url2, { redirect: 'manual' })).headers.get('location')!).searchParams.get('code')!
    expect((await connector.completeAuthorization!({ redirectUri, code: code2, codeVerifier: pending2.codeVerifier })).alsoAuthorized).toBeUndefined()
  })

  it('posts with the LinkedIn-Version header: escaped commentary, images uploaded first, later parts as comments', async () => {
    const credentials = credentialsFrom(server)
    const first = text('Launch day (v2) #news @team')
    const result = await connector.publish({
      credentials,
      idempotencyKey: randomUUID(),
      content: {
        parts: [
          { text: first, media: [{ mimeType: 'image/png', data: PNG, altText: 'the logo' }, { mimeType: 'image/jpeg', data: PNG }] },
          { text: text('first comment') },
        ],
      },
    })
    expect(result.partIds).toHaveLength(2)
    expect(result.url).toBe(`https://www.linkedin.com/feed/update/${result.remoteId}/`)
    const post = server.posts.find((p) => p.id === result.remoteId)!
    expect(post).toMatchObject({ author: server.member.urn, version: '202411' })
    expect(post.commentary).toBe(first.replace(/[()#@]/g, (c) => `\\${c}`))
    expect(post.images).toEqual([expect.objectContaining({ altText: 'the logo', bytes: PNG.byteLength }), expect.objectContaining({ bytes: PNG.byteLength })])
    expect(server.comments.find((c) => c.id === result.partIds![1])).toMatchObject({ post: result.remoteId, actor: server.member.urn })
    // A version LinkedIn no longer serves is refused before anything is made.
    const old = connectorFactories.linkedin({ clientId: server.clientId, clientSecret: server.clientSecret, apiBaseUrl: server.url, version: '2024' })
    expect(await rejection(old.publish({ credentials, content: { parts: [{ text: text('old') }] }, idempotencyKey: randomUUID() }))).toMatchObject({ kind: 'invalid-content', detail: { status: 426, code: 'NONEXISTENT_VERSION' } })
  })

  it('maps LinkedIn’s answers into the taxonomy', async () => {
    const credentials = credentialsFrom(server)
    const publish = (extra: Partial<Credentials> = {}, body = text('taxonomy')) => rejection(connector.publish({ credentials: { ...credentials, ...extra }, content: { parts: [{ text: body }] }, idempotencyKey: randomUUID() }))
    expect(await publish({ accessToken: 'expired' })).toMatchObject({ kind: 'auth', detail: { status: 401, code: 'INVALID_ACCESS_TOKEN' } })
    // Longer than validate allows (the editor would have said so): the content's fault.
    expect(await publish({}, `(${'x'.repeat(2999)})`)).toMatchObject({ kind: 'invalid-content', detail: { status: 422 } })
    // Posting as a page the member no longer administers: a person must reconnect.
    expect(await publish({ extra: { author: 'urn:li:organization:5515715' } })).toMatchObject({ kind: 'disconnected', detail: { status: 403 } })
    // The same text again: LinkedIn calls it a duplicate, most likely our own post from a lost answer.
    const same = text('duplicate')
    await connector.publish({ credentials, content: { parts: [{ text: same }] }, idempotencyKey: randomUUID() })
    expect(await publish({}, same)).toMatchObject({ kind: 'unknown-outcome', detail: { status: 422, code: 'duplicate-content' } })
    // A daily limit without Retry-After resets at midnight UTC.
    server.injectFault({ kind: 'rate-limit' })
    const limited = (await publish()) as ConnectorError
    const now = new Date()
    expect(limited.kind).toBe('rate-limited')
    expect(limited.resetAt).toEqual(new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1)))
    const closed = linkedin(server, `http://127.0.0.1:${await closedPort()}`)
    expect(await rejection(closed.publish({ credentials, content: { parts: [{ text: 'x' }] }, idempotencyKey: randomUUID() }))).toMatchObject({ kind: 'transient', detail: { code: 'ECONNREFUSED' } })
  })

  it('a thread stopped after its post: partial, lookup finds the post, resume adds the comments', async () => {
    const credentials = credentialsFrom(server)
    const since = new Date(Date.now() - 1000)
    const content = { parts: [{ text: text('stopped') }, { text: text('comment 1') }, { text: text('comment 2') }] }
    server.injectFault({ kind: 'unavailable', after: 1 })
    const error = (await rejection(connector.publish({ credentials, content, idempotencyKey: randomUUID() }))) as ConnectorError
    expect(error.kind).toBe('unknown-outcome')
    expect(error.partial?.partIds).toHaveLength(1)
    expect((await connector.lookup!({ credentials, content, idempotencyKey: randomUUID(), since }))?.partIds).toEqual(error.partial!.partIds)
    const resumed = await connector.publish({ credentials, content, idempotencyKey: randomUUID(), resume: { partIds: error.partial!.partIds! } })
    expect(resumed.partIds).toHaveLength(3)
    expect(await connector.lookup!({ credentials, content, idempotencyKey: randomUUID(), since })).toEqual(resumed)
  })
})

describe('LinkedIn video (Videos API: initializeUpload, parts, finalizeUpload, status)', () => {
  let server: LinkedInApiServer
  beforeAll(async () => {
    // 100 KB parts (LinkedIn's are 4 MB) so a small file is sent in several.
    server = await startLinkedInApiServer({ partBytes: 100_000 })
  })
  afterAll(async () => {
    await server.close()
  })
  const text = (label: string) => `${label} ${randomUUID().slice(0, 8)}`
  const videoPost = (commentary: string, data: Uint8Array, mimeType = 'video/mp4'): ChannelContent => ({ parts: [{ text: commentary, media: [{ mimeType, data, altText: 'Our launch' }] }] })

  function videoConnector(extra: { mediaProcessingTimeoutMs?: number } = {}) {
    const { clock, sleep, waits } = virtualTime()
    const connector = connectorFactories.linkedin({
      clientId: server.clientId,
      clientSecret: server.clientSecret,
      apiBaseUrl: server.url,
      oauthBaseUrl: `${server.url}/oauth/v2`,
      clock,
      sleep,
      ...extra,
    })
    return { connector, waits }
  }

  it('uploads the parts, finalizes with their etags in order, waits until AVAILABLE, then posts the video', async () => {
    const { connector, waits } = videoConnector()
    server.scriptVideoProcessing(['PROCESSING', 'PROCESSING', 'AVAILABLE'])
    const clip = makeMp4({ durationSeconds: 10, totalBytes: 250_000 })
    const commentary = text('Our launch, in 10 seconds')
    const result = await connector.publish({ credentials: credentialsFrom(server), idempotencyKey: randomUUID(), content: videoPost(commentary, clip) })
    const post = server.posts.find((p) => p.id === result.remoteId)!
    expect(post).toMatchObject({ commentary, video: { id: expect.stringMatching(/^urn:li:video:/), title: 'Our launch' } })
    const video = server.videos.get(post.video!.id)!
    expect(video.parts.map((p) => p.bytes!.length)).toEqual([100_000, 100_000, 50_000])
    expect(Buffer.concat(video.parts.map((p) => p.bytes!)).equals(Buffer.from(clip))).toBe(true)
    expect(waits).toEqual([1000, 2000, 4000])
    expect(result.url).toBe(`https://www.linkedin.com/feed/update/${post.id}/`)
  })

  it('PROCESSING_FAILED is invalid content; still PROCESSING at the limit is transient; nothing is posted', async () => {
    const credentials = credentialsFrom(server)
    const before = server.counters.postsCreated
    server.scriptVideoProcessing(['PROCESSING', 'PROCESSING_FAILED'])
    expect(await rejection(videoConnector().connector.publish({ credentials, idempotencyKey: randomUUID(), content: videoPost(text('broken'), makeMp4({ durationSeconds: 5, totalBytes: 80_000 })) }))).toMatchObject({
      kind: 'invalid-content',
      message: 'LinkedIn could not process the video: Video is corrupt or in an unsupported format',
    })
    server.scriptVideoProcessing(['PROCESSING'])
    const { connector, waits } = videoConnector({ mediaProcessingTimeoutMs: 20_000 })
    expect(await rejection(connector.publish({ credentials, idempotencyKey: randomUUID(), content: videoPost(text('slow'), makeMp4({ durationSeconds: 5, totalBytes: 80_000 })) }))).toMatchObject({
      kind: 'transient',
      detail: { code: 'media-processing-timeout' },
    })
    expect(waits).toEqual([1000, 2000, 4000, 8000])
    expect(server.counters.postsCreated).toBe(before)
  })

  it('checks type, size and duration before anything is sent, with the same rules as validate', async () => {
    const { connector } = videoConnector()
    const uploads = server.videos.size
    const small = videoPost('small', makeMp4({ durationSeconds: 5, totalBytes: 10_000 }))
    const mov = videoPost('mov', makeMp4({ durationSeconds: 5, totalBytes: 80_000, brand: 'qt  ' }), 'video/quicktime')
    const short = videoPost('short', makeMp4({ durationSeconds: 2, totalBytes: 80_000 }))
    expect(connector.validate(small).map((p) => p.message)).toEqual([expect.stringMatching(/^Too small for LinkedIn: \d+ KB, at least 75 KB\.$/)])
    expect(connector.validate(mov)).toEqual([{ path: 'parts[0].media[0].mimeType', message: 'LinkedIn takes MP4 videos.' }])
    expect(connector.validate(short)).toEqual([{ path: 'parts[0].media[0].duration', message: 'Too short for LinkedIn: 2 s, at least 3 s.' }])
    expect(connector.validate({ parts: [{ text: 'mixed', media: [{ mimeType: 'video/mp4', data: makeMp4({ durationSeconds: 5, totalBytes: 80_000 }) }, { mimeType: 'image/png', data: PNG }] }] }).map((p) => p.path)).toEqual(['parts[0].media'])
    for (const content of [small, mov, short]) {
      expect(await rejection(connector.publish({ credentials: credentialsFrom(server), idempotencyKey: randomUUID(), content }))).toMatchObject({ kind: 'invalid-content', detail: { code: 'video-limits' } })
    }
    expect(server.videos.size).toBe(uploads)
  })
})
