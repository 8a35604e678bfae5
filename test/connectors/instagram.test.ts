import { randomUUID } from 'node:crypto'
import { startAuthorization } from '../../connectors/oauth'
import { connectorFactories } from '../../connectors/registry'
import { ConnectorError, type ChannelContent, type Connector, type Credentials } from '../../connectors/types'
import { runConnectorContract } from '../contract/connector'
import { closedPort, rejection, tokenNetworkHarness } from '../contract/token-network-harness'
import { startMetaGraphApiServer, type MetaGraphApiServer } from '../servers/meta-graph-api'
import { virtualTime } from './fixtures/virtual-time'
import { makeMp4 } from './fixtures/mp4'
import { startMediaHost } from './fixtures/media-host'

const instagram = (server: MetaGraphApiServer, apiBaseUrl = server.url) =>
  connectorFactories.instagram({ appId: server.appId, appSecret: server.appSecret, apiBaseUrl, version: server.version, authorizeUrl: `${server.url}/dialog/oauth`, timeoutMs: 2000, pollIntervalMs: 5 })

function credentialsFrom(server: MetaGraphApiServer): Credentials {
  const page = server.pages[0]!
  return { accessToken: server.pageToken(page.id), extra: { igUserId: page.instagram!.id, username: page.instagram!.username, pageId: page.id, page: page.name, server: page.instagram!.id } }
}

const JPEG = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 0xff, 0xd9])
const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3])
const post = (text: string, count = 1, data = JPEG, mimeType = 'image/jpeg'): ChannelContent => ({ parts: [{ text, media: Array.from({ length: count }, (_, i) => ({ mimeType, data, altText: `image ${i + 1}` })) }] })

// No idempotency key and no refusal of a repeat: an unknown outcome goes to lookup (the caption), never a resend.
runConnectorContract('instagram', { refresh: false, idempotent: false, rateLimitResetResolutionMs: 60_000 }, async () => {
  const server = await startMetaGraphApiServer()
  return { ...tokenNetworkHarness({ server, connector: instagram(server), credentials: () => credentialsFrom(server) }), content: (label: string) => post(label) }
})

describe('Instagram connector', () => {
  let server: MetaGraphApiServer
  let connector: Connector
  beforeAll(async () => {
    server = await startMetaGraphApiServer()
    connector = instagram(server)
  })
  afterAll(async () => {
    await server.close()
  })
  const text = (label: string) => `${label} ${randomUUID().slice(0, 8)}`
  const redirectUri = 'http://127.0.0.1:3000/oauth/instagram/callback'

  async function connect(account: string) {
    const { url, pending } = await startAuthorization({ connector, redirectUri, server: account, now: new Date() })
    const callback = new URL((await fetch(url, { redirect: 'manual' })).headers.get('location')!)
    expect(callback.searchParams.get('state')).toBe(pending.state)
    return rejection(connector.completeAuthorization!({ redirectUri, code: callback.searchParams.get('code')!, codeVerifier: pending.codeVerifier, context: pending.context }))
  }

  it('connects the professional account linked to a Page through the same Facebook Login', async () => {
    const authorize = new URL((await startAuthorization({ connector, redirectUri, server: '@acme.bakery', now: new Date() })).url)
    expect(authorize.searchParams.get('scope')).toBe('instagram_basic,instagram_content_publish,pages_show_list,pages_read_engagement,pages_manage_posts')
    const { url, pending } = await startAuthorization({ connector, redirectUri, server: 'https://www.instagram.com/Acme.Bakery/', now: new Date() })
    const code = new URL((await fetch(url, { redirect: 'manual' })).headers.get('location')!).searchParams.get('code')!
    const account = await connector.completeAuthorization!({ redirectUri, code, codeVerifier: pending.codeVerifier, context: pending.context })
    const acme = server.pages[0]!
    expect(account).toEqual({
      remoteAccountId: `ig:${acme.instagram!.id}`,
      handle: '@acme.bakery',
      displayName: 'Acme Bakery',
      credentials: { accessToken: server.pageToken(acme.id), extra: { igUserId: acme.instagram!.id, username: 'acme.bakery', pageId: acme.id, page: 'Acme Bakery', server: acme.instagram!.id } },
    })
    // A reconnect names what the account kept (`extra.server`, the Instagram user id) and lands on the same account.
    const again = await startAuthorization({ connector, redirectUri, server: account.credentials.extra!.server, now: new Date() })
    const againCode = new URL((await fetch(again.url, { redirect: 'manual' })).headers.get('location')!).searchParams.get('code')!
    expect((await connector.completeAuthorization!({ redirectUri, code: againCode, codeVerifier: again.pending.codeVerifier, context: again.pending.context })).remoteAccountId).toBe(account.remoteAccountId)
    // The Page's name finds it too; a Page without an Instagram account, or an unknown name, says what exists.
    const byPage = await startAuthorization({ connector, redirectUri, server: 'Acme Bakery', now: new Date() })
    const byPageCode = new URL((await fetch(byPage.url, { redirect: 'manual' })).headers.get('location')!).searchParams.get('code')!
    expect((await connector.completeAuthorization!({ redirectUri, code: byPageCode, codeVerifier: byPage.pending.codeVerifier, context: byPage.pending.context })).handle).toBe('@acme.bakery')
    expect(await connect('Side Project')).toMatchObject({ kind: 'invalid-content', message: 'The Page "Side Project" has no Instagram professional account linked: link one in the Page\'s settings (Linked accounts), then connect again' })
    expect(await connect('@someone.else')).toMatchObject({ kind: 'invalid-content', message: 'Grace Hopper has no Instagram account "@someone.else"; the accounts linked to their Pages are: @acme.bakery' })
  })

  it('publishes an image: hosted as an unpublished Page photo, a container polled until FINISHED, then media_publish', async () => {
    const credentials = credentialsFrom(server)
    const caption = text('Lemon tart #bakery')
    const polls = server.counters.statusPolls
    const result = await connector.publish({ credentials, idempotencyKey: randomUUID(), content: post(caption) })
    expect(result).toEqual({ remoteId: expect.any(String), partIds: [result.remoteId], url: expect.stringMatching(/^https:\/\/www\.instagram\.com\/p\//) })
    expect(server.media.find((m) => m.id === result.remoteId)).toMatchObject({ caption, mediaType: 'IMAGE' })
    expect(server.counters.statusPolls - polls).toBe(2) // IN_PROGRESS, then FINISHED
    const container = [...server.containers.values()].find((c) => c.caption === caption)!
    expect(container.altText).toBe('image 1')
    // The temporary photo is removed once Instagram has its copy.
    expect(server.photos.some((p) => container.imageUrl!.endsWith(`/${p.id}.jpg`))).toBe(false)
  })

  it('with a public address for each image (decision 111), Instagram fetches Trickle’s own: no Page photo; without one, the Page-photo detour', async () => {
    const host = await startMediaHost()
    try {
      const credentials = credentialsFrom(server)
      const photos = server.photos.length
      const caption = text('two tarts')
      const images = [JPEG, JPEG.map((b, i) => (i === 4 ? 9 : b))].map((data, i) => ({ mimeType: 'image/jpeg', data, altText: `tart ${i + 1}`, mediaId: randomUUID() }))
      const result = await connector.publish({ credentials, idempotencyKey: randomUUID(), content: { parts: [{ text: caption, media: images }] }, publicMediaUrl: host.publicMediaUrl })
      expect(server.media.find((m) => m.id === result.remoteId)).toMatchObject({ caption, mediaType: 'CAROUSEL_ALBUM' })
      const items = [...server.containers.values()].filter((c) => c.imageUrl?.startsWith(host.url))
      expect(items.map((c) => [...c.fetched!])).toEqual(images.map((i) => [...i.data]))
      expect(server.photos.length).toBe(photos)
      // APP_URL not public (core's refusal): the detour, as before.
      const unavailable = () => {
        throw new ConnectorError('invalid-content', 'APP_URL is not public', { detail: { code: 'public-media-unavailable' } })
      }
      const detourCaption = text('detour')
      const detour = await connector.publish({ credentials, idempotencyKey: randomUUID(), content: post(detourCaption), publicMediaUrl: unavailable })
      expect(server.media.find((m) => m.id === detour.remoteId)).toMatchObject({ mediaType: 'IMAGE' })
      expect([...server.containers.values()].find((c) => c.caption === detourCaption)!.imageUrl).toMatch(new RegExp(`^${server.url}/cdn/\\d+\\.jpg$`))
    } finally {
      await host.close()
    }
  })

  it('publishes a carousel of up to 10 images', async () => {
    const credentials = credentialsFrom(server)
    const caption = text('ten tarts')
    const result = await connector.publish({ credentials, idempotencyKey: randomUUID(), content: post(caption, 10) })
    expect(server.media.find((m) => m.id === result.remoteId)).toMatchObject({ caption, mediaType: 'CAROUSEL_ALBUM', children: expect.any(Array) })
    expect(server.media.find((m) => m.id === result.remoteId)!.children).toHaveLength(10)
  })

  it('maps container states, the publishing quota and Graph errors into the taxonomy', async () => {
    const credentials = credentialsFrom(server)
    const publish = (content: ChannelContent, extra: Partial<Credentials> = {}) => rejection(connector.publish({ credentials: { ...credentials, ...extra }, content, idempotencyKey: randomUUID() }))
    const before = server.counters.igPublished
    expect(await publish({ parts: [{ text: 'no image' }] })).toMatchObject({ kind: 'invalid-content', message: 'An Instagram post needs an image (or up to 10 for a carousel) or a video.' })
    // A PNG the editor would have refused: the container ends in ERROR, nothing is published.
    expect(await publish(post(text('png'), 1, PNG, 'image/png'))).toMatchObject({ kind: 'invalid-content', message: /^Instagram could not use the image: Error: Unsupported image format/ })
    expect(await publish(post('x'.repeat(2201)))).toMatchObject({ kind: 'invalid-content', detail: { status: 400, code: '100' } })
    expect(await publish(post(text('token')), { accessToken: 'expired' })).toMatchObject({ kind: 'auth', detail: { code: '190' } })
    expect(server.counters.igPublished).toBe(before)
    server.injectFault({ kind: 'rate-limit', resetAt: new Date(Date.now() + 20 * 60_000) })
    const limited = (await publish(post(text('throttled')))) as ConnectorError
    expect(limited).toMatchObject({ kind: 'rate-limited', detail: { code: '4' } })
    expect(Math.abs(limited.resetAt!.getTime() - (Date.now() + 20 * 60_000))).toBeLessThan(60_000)
    // A full 24-hour quota: rate-limited until the oldest post of the window leaves it, before any upload.
    const ig = server.pages[0]!.instagram!.id
    const mine = server.media.filter((m) => m.igUserId === ig)
    server.settings.quotaTotal = mine.length
    const uploads = server.photos.length + server.containers.size
    const full = (await publish(post(text('over quota')))) as ConnectorError
    expect(full).toMatchObject({ kind: 'rate-limited', detail: { code: 'content_publishing_limit' } })
    expect(full.resetAt!.getTime()).toBe(Math.floor(Math.min(...mine.map((m) => m.timestamp)) / 1000) * 1000 + 24 * 3600_000)
    expect(server.photos.length + server.containers.size).toBe(uploads)
    server.settings.quotaTotal = 100
    // Still IN_PROGRESS after every check: nothing was published, so it can be retried.
    server.settings.processingPolls = 100
    expect(await publish(post(text('slow')))).toMatchObject({ kind: 'transient', detail: { code: 'container-in-progress' } })
    server.settings.processingPolls = 1
    const closed = instagram(server, `http://127.0.0.1:${await closedPort()}`)
    expect(await rejection(closed.publish({ credentials, content: post('x'), idempotencyKey: randomUUID() }))).toMatchObject({ kind: 'transient', detail: { code: 'ECONNREFUSED' } })
  })

  it('validate: one to ten JPEG images of 8 MB, 2,200 characters, 30 hashtags', () => {
    expect(connector.validate(post('😀'.repeat(2200)))).toEqual([])
    expect(connector.validate(post('ten', 10))).toEqual([])
    expect(connector.validate({ parts: [{ text: 'no image' }] })).toEqual([{ path: 'parts[0].media', message: 'An Instagram post needs an image (or up to 10 for a carousel) or a video.' }])
    expect(connector.validate(post('eleven', 11)).map((p) => p.path)).toEqual(['parts[0].media'])
    expect(connector.validate(post('png', 1, PNG, 'image/png')).map((p) => p.path)).toEqual(['parts[0].media[0].mimeType'])
    expect(connector.validate(post('big', 1, new Uint8Array(8 * 1024 * 1024 + 1))).map((p) => p.path)).toEqual(['parts[0].media[0].data'])
    expect(connector.validate(post(Array.from({ length: 31 }, (_, i) => `#tag${i}`).join(' '))).map((p) => p.message)).toEqual(['An Instagram caption has at most 30 hashtags.'])
    expect(connector.validate({ parts: [...post('a').parts, ...post('b').parts] }).map((p) => p.path)).toEqual(['parts'])
  })
})

describe('Instagram reels (REELS container, resumable upload, status_code)', () => {
  let server: MetaGraphApiServer
  beforeAll(async () => {
    server = await startMetaGraphApiServer()
  })
  afterAll(async () => {
    await server.close()
  })
  const text = (label: string) => `${label} ${randomUUID().slice(0, 8)}`
  const reel = (caption: string, data: Uint8Array, mimeType = 'video/mp4'): ChannelContent => ({ parts: [{ text: caption, media: [{ mimeType, data }] }] })

  /** A connector whose waits move a test clock, recording each wait. */
  function reelConnector(extra: { mediaProcessingTimeoutMs?: number } = {}) {
    const { clock, sleep, waits } = virtualTime()
    const connector = connectorFactories.instagram({
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

  it('makes a REELS container, sends the bytes to the address it names, waits out IN_PROGRESS, then publishes', async () => {
    const { connector, waits } = reelConnector()
    server.scriptReelProcessing(['IN_PROGRESS', 'IN_PROGRESS', 'IN_PROGRESS', 'FINISHED'])
    const clip = makeMp4({ durationSeconds: 12, totalBytes: 200_000 })
    const caption = text('Behind the counter #reels')
    const result = await connector.publish({ credentials: credentialsFrom(server), idempotencyKey: randomUUID(), content: reel(caption, clip) })
    expect(result).toEqual({ remoteId: expect.any(String), partIds: [result.remoteId], url: expect.stringMatching(/^https:\/\/www\.instagram\.com\/p\//) })
    expect(server.media.find((m) => m.id === result.remoteId)).toMatchObject({ caption, mediaType: 'VIDEO' })
    const container = [...server.containers.values()].find((c) => c.caption === caption)!
    expect(container.reel).toMatchObject({ uploads: 1, shareToFeed: true, state: 'FINISHED' })
    expect(Buffer.from(container.reel!.bytes!).equals(Buffer.from(clip))).toBe(true)
    expect(waits).toEqual([1000, 2000, 4000, 8000])
  })

  it('a video Instagram cannot process is invalid content; still processing at the limit is transient; nothing is published', async () => {
    const credentials = credentialsFrom(server)
    const before = server.counters.igPublished
    server.scriptReelProcessing(['IN_PROGRESS', 'ERROR'])
    const failed = await rejection(reelConnector().connector.publish({ credentials, idempotencyKey: randomUUID(), content: reel(text('broken'), makeMp4({ durationSeconds: 5 })) }))
    expect(failed).toMatchObject({ kind: 'invalid-content', message: /^Instagram could not process the video: Error: The video could not be processed/ })
    server.scriptReelProcessing(['IN_PROGRESS'])
    const { connector, waits } = reelConnector({ mediaProcessingTimeoutMs: 20_000 })
    const slow = await rejection(connector.publish({ credentials, idempotencyKey: randomUUID(), content: reel(text('slow'), makeMp4({ durationSeconds: 5 })) }))
    expect(slow).toMatchObject({ kind: 'transient', detail: { code: 'media-processing-timeout' } })
    expect(waits).toEqual([1000, 2000, 4000, 8000])
    expect(server.counters.igPublished).toBe(before)
  })

  it('a publish that gives up (the pipeline deadline) while Instagram processes is transient, and nothing is published', async () => {
    server.scriptReelProcessing(['IN_PROGRESS'])
    const connector = connectorFactories.instagram({ appId: server.appId, appSecret: server.appSecret, apiBaseUrl: server.url, version: server.version })
    const before = server.counters.igPublished
    const polls = server.counters.statusPolls
    const controller = new AbortController()
    const publishing = rejection(connector.publish({ credentials: credentialsFrom(server), idempotencyKey: randomUUID(), content: reel(text('deadline'), makeMp4({ durationSeconds: 5 })), signal: controller.signal }))
    // Aborted once the bytes are up, while the connector waits for processing (after its first status read).
    await vi.waitFor(() => expect(server.counters.statusPolls).toBeGreaterThan(polls), { timeout: 5_000 })
    controller.abort()
    expect(await publishing).toMatchObject({ kind: 'transient' })
    expect(server.counters.igPublished).toBe(before)
  })

  it('checks type, size and duration before anything is sent, with the same rules as validate', async () => {
    const { connector } = reelConnector()
    const containers = server.containers.size
    const tooShort = reel('short', makeMp4({ durationSeconds: 2 }))
    const tooLong = reel('long', makeMp4({ durationSeconds: 901 }))
    expect(connector.validate(tooShort)).toEqual([{ path: 'parts[0].media[0].duration', message: 'Too short for Instagram: 2 s, at least 3 s.' }])
    expect(connector.validate(tooLong)).toEqual([{ path: 'parts[0].media[0].duration', message: 'Too long for Instagram: 901 s, at most 900 s.' }])
    expect(connector.validate(reel('clip', makeMp4({ durationSeconds: 30, brand: 'qt  ' }), 'video/quicktime'))).toEqual([])
    expect(connector.validate({ parts: [{ text: 'mixed', media: [{ mimeType: 'video/mp4', data: makeMp4({ durationSeconds: 5 }) }, { mimeType: 'image/jpeg', data: JPEG }] }] }).map((p) => p.path)).toEqual(['parts[0].media'])
    for (const content of [tooShort, tooLong]) {
      expect(await rejection(connector.publish({ credentials: credentialsFrom(server), idempotencyKey: randomUUID(), content }))).toMatchObject({ kind: 'invalid-content', detail: { code: 'video-limits' } })
    }
    expect(server.containers.size).toBe(containers)
  })
})
