import { randomUUID } from 'node:crypto'
import { startAuthorization } from '../../connectors/oauth'
import { connectorFactories } from '../../connectors/registry'
import { ConnectorError, type ChannelContent, type Connector, type Credentials } from '../../connectors/types'
import { runConnectorContract } from '../contract/connector'
import { closedPort, rejection, tokenNetworkHarness } from '../contract/token-network-harness'
import { startMetaGraphApiServer, type MetaGraphApiServer } from '../servers/meta-graph-api'
import { virtualTime } from './fixtures/virtual-time'
import { makeMp4 } from './fixtures/mp4'

const facebook = (server: MetaGraphApiServer, apiBaseUrl = server.url) =>
  connectorFactories.facebook({ appId: server.appId, appSecret: server.appSecret, apiBaseUrl, version: server.version, authorizeUrl: `${server.url}/dialog/oauth`, timeoutMs: 2000 })

function credentialsFrom(server: MetaGraphApiServer, page = server.pages[0]!): Credentials {
  return { accessToken: server.pageToken(page.id), extra: { pageId: page.id, page: page.name, server: page.id } }
}

const JPEG = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 0xff, 0xd9])
const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3])
const withImages = (text: string, ...images: Uint8Array[]): ChannelContent => ({ parts: [{ text, media: images.map((data) => ({ mimeType: data === PNG ? 'image/png' : 'image/jpeg', data })) }] })

// Facebook refuses a Page post repeating a recent one (506, read as unknown-outcome); Page tokens do not expire (no refresh).
runConnectorContract('facebook', { refresh: false, idempotent: true, rateLimitResetResolutionMs: 60_000 }, async () => {
  const server = await startMetaGraphApiServer()
  return tokenNetworkHarness({ server, connector: facebook(server), credentials: () => credentialsFrom(server) })
})

describe('Facebook Pages connector', () => {
  let server: MetaGraphApiServer
  let connector: Connector
  beforeAll(async () => {
    server = await startMetaGraphApiServer()
    connector = facebook(server)
  })
  afterAll(async () => {
    await server.close()
  })
  const text = (label: string) => `${label} ${randomUUID().slice(0, 8)}`
  const redirectUri = 'http://127.0.0.1:3000/oauth/facebook/callback'

  async function consent(page: string) {
    const { url, pending } = await startAuthorization({ connector, redirectUri, server: page, now: new Date() })
    const callback = new URL((await fetch(url, { redirect: 'manual' })).headers.get('location')!)
    expect(callback.searchParams.get('state')).toBe(pending.state)
    return { code: callback.searchParams.get('code')!, pending }
  }

  it('connects one Page through Facebook Login: code → long-lived user token → the Page’s own token', async () => {
    const authorize = new URL((await startAuthorization({ connector, redirectUri, server: 'Acme Bakery', now: new Date() })).url)
    expect(authorize.pathname).toBe('/dialog/oauth')
    expect(authorize.searchParams.get('scope')).toBe('pages_show_list,pages_read_engagement,pages_manage_posts')
    const { code, pending } = await consent('https://www.facebook.com/acmebakery')
    const account = await connector.completeAuthorization!({ redirectUri, code, codeVerifier: pending.codeVerifier, context: pending.context })
    const acme = server.pages[0]!
    expect(account).toEqual({ remoteAccountId: `page:${acme.id}`, handle: 'Acme Bakery', displayName: 'Grace Hopper', credentials: { accessToken: server.pageToken(acme.id), extra: { pageId: acme.id, page: 'Acme Bakery', server: acme.id, user: 'Grace Hopper' } } })
    // A code is good once.
    expect(await rejection(connector.completeAuthorization!({ redirectUri, code, codeVerifier: pending.codeVerifier, context: pending.context }))).toMatchObject({ kind: 'auth', detail: { status: 400, code: '100' } })
    // By id; a Page the user does not manage names the ones they do; one they may not post on says so.
    const byId = await consent(server.pages[1]!.id)
    expect((await connector.completeAuthorization!({ redirectUri, code: byId.code, codeVerifier: byId.pending.codeVerifier, context: byId.pending.context })).handle).toBe('Side Project')
    const missing = await consent('Holidays')
    expect(await rejection(connector.completeAuthorization!({ redirectUri, code: missing.code, codeVerifier: missing.pending.codeVerifier, context: missing.pending.context }))).toMatchObject({
      kind: 'invalid-content',
      message: 'Grace Hopper has no Page "Holidays"; the Pages are: Acme Bakery, Side Project, Read Only Club',
    })
    const readOnly = await consent('read only club')
    expect(await rejection(connector.completeAuthorization!({ redirectUri, code: readOnly.code, codeVerifier: readOnly.pending.codeVerifier, context: readOnly.pending.context }))).toMatchObject({ kind: 'invalid-content', message: /may not post on the Page "Read Only Club"/ })
    await expect(startAuthorization({ connector, redirectUri, server: ' ', now: new Date() })).rejects.toThrow(/^server: /)
  })

  it('posts text with its link to the feed, one image through /photos, several as one post of unpublished photos', async () => {
    const credentials = credentialsFrom(server)
    const body = text('Fresh bread today: https://acme.example/bread.')
    const post = await connector.publish({ credentials, idempotencyKey: randomUUID(), content: { parts: [{ text: body }] } })
    expect(post).toEqual({ remoteId: expect.stringMatching(/^\d+_\d+$/), partIds: [post.remoteId], url: `https://www.facebook.com/${post.remoteId}` })
    expect(server.posts.find((p) => p.id === post.remoteId)).toMatchObject({ message: body, link: 'https://acme.example/bread', photoIds: [] })

    const photo = await connector.publish({ credentials, idempotencyKey: randomUUID(), content: withImages(text('one photo'), PNG) })
    const photoPost = server.posts.find((p) => p.id === photo.remoteId)!
    expect(server.photos.find((p) => p.id === photoPost.photoIds[0])).toMatchObject({ published: true, contentType: 'image/png', bytes: Buffer.from(PNG) })

    const album = await connector.publish({ credentials, idempotencyKey: randomUUID(), content: withImages(text('three photos'), JPEG, PNG, JPEG) })
    const albumPost = server.posts.find((p) => p.id === album.remoteId)!
    expect(albumPost.photoIds).toHaveLength(3)
    expect(albumPost.photoIds.map((id) => server.photos.find((p) => p.id === id)!.published)).toEqual([false, false, false])
  })

  it('maps Graph errors into the taxonomy', async () => {
    const credentials = credentialsFrom(server)
    const publish = (extra: Partial<Credentials> = {}, content: ChannelContent = { parts: [{ text: text('taxonomy') }] }) => rejection(connector.publish({ credentials: { ...credentials, ...extra }, content, idempotencyKey: randomUUID() }))
    expect(await publish({ accessToken: 'expired' })).toMatchObject({ kind: 'auth', detail: { status: 400, code: '190' } })
    expect(await publish({}, { parts: [{ text: 'x'.repeat(63_207) }] })).toMatchObject({ kind: 'invalid-content', detail: { status: 400, code: '100' } })
    // Another Page's token: the permission is gone, a person must reconnect.
    expect(await publish({ extra: { pageId: server.pages[1]!.id } })).toMatchObject({ kind: 'disconnected', detail: { status: 403, code: '200' } })
    server.injectFault({ kind: 'rate-limit', resetAt: new Date(Date.now() + 30 * 60_000) })
    const limited = (await publish()) as ConnectorError
    expect(limited).toMatchObject({ kind: 'rate-limited', detail: { code: '32' } })
    expect(Math.abs(limited.resetAt!.getTime() - (Date.now() + 30 * 60_000))).toBeLessThan(60_000)
    // One photo is the post itself: a 503 after it was applied is an unknown outcome.
    server.injectFault({ kind: 'unavailable', apply: true })
    expect(await publish({}, withImages(text('photo 503'), JPEG))).toMatchObject({ kind: 'unknown-outcome', detail: { status: 503, code: '2' } })
    // An image Facebook cannot read, among several: refused while uploading the unpublished photos, before any post.
    const posts = server.posts.length
    expect(await publish({}, { parts: [{ text: text('broken'), media: [{ mimeType: 'image/jpeg', data: JPEG }, { mimeType: 'image/jpeg', data: new Uint8Array([1, 2, 3]) }] }] })).toMatchObject({ kind: 'invalid-content', detail: { status: 400, code: '100' } })
    expect(server.posts.length).toBe(posts)
    const closed = facebook(server, `http://127.0.0.1:${await closedPort()}`)
    expect(await rejection(closed.publish({ credentials, content: { parts: [{ text: 'x' }] }, idempotencyKey: randomUUID() }))).toMatchObject({ kind: 'transient', detail: { code: 'ECONNREFUSED' } })
  })

  it('lookup finds a photo post by its text among the Page’s posts since the claim', async () => {
    const credentials = credentialsFrom(server)
    const since = new Date(Date.now() - 1000)
    const content = withImages(text('lost photo'), JPEG)
    server.injectFault({ kind: 'reset', apply: true })
    expect(await rejection(connector.publish({ credentials, content, idempotencyKey: randomUUID() }))).toMatchObject({ kind: 'unknown-outcome' })
    const found = await connector.lookup!({ credentials, content, idempotencyKey: randomUUID(), since })
    expect(server.posts.find((p) => p.id === found?.remoteId)?.message).toBe(content.parts[0]!.text)
    expect(await connector.lookup!({ credentials, content, idempotencyKey: randomUUID(), since: new Date(Date.now() + 5000) })).toBeNull()
  })

  it('validate: one post, text or images, up to 10 images of 4 MB', () => {
    expect(connector.validate({ parts: [{ text: '😀'.repeat(63_206) }] })).toEqual([])
    expect(connector.validate(withImages('', JPEG))).toEqual([])
    expect(connector.validate({ parts: [{ text: ' ' }] }).map((p) => p.path)).toEqual(['parts[0].text'])
    expect(connector.validate({ parts: [{ text: 'a' }, { text: 'b' }] }).map((p) => p.path)).toEqual(['parts'])
    expect(connector.validate(withImages('eleven', ...Array.from({ length: 11 }, () => JPEG))).map((p) => p.path)).toEqual(['parts[0].media'])
    expect(connector.validate({ parts: [{ text: 'big', media: [{ mimeType: 'image/jpeg', data: new Uint8Array(4 * 1024 * 1024 + 1) }] }] }).map((p) => p.path)).toEqual(['parts[0].media[0].data'])
    expect(connector.validate({ parts: [{ text: 'tiff', media: [{ mimeType: 'image/tiff', data: JPEG }] }] }).map((p) => p.path)).toEqual(['parts[0].media[0].mimeType'])
  })
})

describe('Facebook Page videos (/{page}/videos, status)', () => {
  let server: MetaGraphApiServer
  beforeAll(async () => {
    server = await startMetaGraphApiServer()
  })
  afterAll(async () => {
    await server.close()
  })
  const text = (label: string) => `${label} ${randomUUID().slice(0, 8)}`
  const videoPost = (description: string, data: Uint8Array, mimeType = 'video/mp4'): ChannelContent => ({ parts: [{ text: description, media: [{ mimeType, data }] }] })

  function videoConnector(extra: { mediaProcessingTimeoutMs?: number } = {}) {
    const { clock, sleep, waits } = virtualTime()
    const connector = connectorFactories.facebook({
      appId: server.appId,
      appSecret: server.appSecret,
      apiBaseUrl: server.url,
      version: server.version,
      clock,
      sleep,
      ...extra,
    })
    return { connector, waits }
  }

  it('uploads the video with its description as the post, and waits while Facebook processes it', async () => {
    const { connector, waits } = videoConnector()
    server.scriptPageVideoProcessing(['processing', 'processing', 'ready'])
    const clip = makeMp4({ durationSeconds: 20, totalBytes: 250_000 })
    const description = text('Our new oven, in 20 seconds')
    const result = await connector.publish({ credentials: credentialsFrom(server), idempotencyKey: randomUUID(), content: videoPost(description, clip) })
    const video = server.videos.find((v) => v.id === result.remoteId)!
    expect(video).toMatchObject({ pageId: server.pages[0]!.id, description, published: true })
    expect(video.bytes.equals(Buffer.from(clip))).toBe(true)
    expect(result).toEqual({ remoteId: video.id, partIds: [video.id], url: `https://www.facebook.com/${video.id}` })
    expect(waits).toEqual([1000, 2000, 4000])
    // A lost answer is looked up among the Page's videos by the description.
    expect(await connector.lookup!({ credentials: credentialsFrom(server), content: { parts: [{ text: description }] }, idempotencyKey: randomUUID(), since: new Date(Date.now() - 60_000) })).toMatchObject({ remoteId: video.id })
  })

  it('a file Facebook cannot process is invalid content; still processing at the limit or the deadline is published all the same', async () => {
    const credentials = credentialsFrom(server)
    server.scriptPageVideoProcessing(['processing', 'error'])
    expect(await rejection(videoConnector().connector.publish({ credentials, idempotencyKey: randomUUID(), content: videoPost(text('broken'), makeMp4({ durationSeconds: 5 })) }))).toMatchObject({
      kind: 'invalid-content',
      message: 'Facebook could not process the video: The video could not be processed: its frames cannot be decoded.',
    })
    // The upload made the post: giving up on the wait must not let it be sent again.
    server.scriptPageVideoProcessing(['processing'])
    const { connector, waits } = videoConnector({ mediaProcessingTimeoutMs: 10_000 })
    const slow = await connector.publish({ credentials, idempotencyKey: randomUUID(), content: videoPost(text('slow'), makeMp4({ durationSeconds: 5 })) })
    expect(server.videos.some((v) => v.id === slow.remoteId)).toBe(true)
    expect(waits).toEqual([1000, 2000, 4000])
    server.scriptPageVideoProcessing(['processing'])
    const controller = new AbortController()
    const real = connectorFactories.facebook({ appId: server.appId, appSecret: server.appSecret, apiBaseUrl: server.url, version: server.version })
    const polls = server.counters.statusPolls
    const publishing = real.publish({ credentials, idempotencyKey: randomUUID(), content: videoPost(text('deadline'), makeMp4({ durationSeconds: 5 })), signal: controller.signal })
    // Aborted while the connector waits for processing (after its first status read).
    await vi.waitFor(() => expect(server.counters.statusPolls).toBeGreaterThan(polls), { timeout: 5_000 })
    controller.abort()
    expect((await publishing).remoteId).toBe(server.videos.at(-1)!.id)
  })

  it('checks type, size and duration before anything is sent, with the same rules as validate', async () => {
    const { connector } = videoConnector()
    const count = server.videos.length
    const tooLong = videoPost('long', makeMp4({ durationSeconds: 1201 }))
    expect(connector.validate(tooLong)).toEqual([{ path: 'parts[0].media[0].duration', message: 'Too long for Facebook: 1201 s, at most 1200 s.' }])
    expect(connector.validate(videoPost('', makeMp4({ durationSeconds: 30, brand: 'qt  ' }), 'video/quicktime'))).toEqual([])
    expect(connector.validate({ parts: [{ text: 'mixed', media: [{ mimeType: 'video/mp4', data: makeMp4() }, { mimeType: 'image/jpeg', data: JPEG }] }] }).map((p) => p.path)).toEqual(['parts[0].media'])
    expect(await rejection(connector.publish({ credentials: credentialsFrom(server), idempotencyKey: randomUUID(), content: tooLong }))).toMatchObject({ kind: 'invalid-content', detail: { code: 'video-limits' } })
    expect(server.videos.length).toBe(count)
  })
})
