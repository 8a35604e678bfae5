import { createHash, randomUUID } from 'node:crypto'
import { startAuthorization } from '../../connectors/oauth'
import { connectorFactories } from '../../connectors/registry'
import { ConnectorError, type Connector, type Credentials } from '../../connectors/types'
import { runConnectorContract } from '../contract/connector'
import { closedPort, rejection, tokenNetworkHarness } from '../contract/token-network-harness'
import { startThreadsApiServer, type ThreadsApiServer } from '../servers/threads-api'
import { startMediaHost } from './fixtures/media-host'
import { makeMp4 } from './fixtures/mp4'
import { virtualTime } from './fixtures/virtual-time'

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

  it('validate: 500 characters; up to 20 JPEG/PNG images of 8 MB or MP4/MOV videos of 5 minutes', () => {
    expect(connector.validate({ parts: [{ text: '😀'.repeat(500) }] })).toEqual([])
    expect(connector.validate({ parts: [{ text: 'x'.repeat(501) }] }).map((p) => p.message)).toEqual(['Too long for Threads: 501 characters, at most 500.'])
    const png = { mimeType: 'image/png', data: new Uint8Array(8) }
    expect(connector.validate({ parts: [{ text: '', media: [png] }] })).toEqual([])
    expect(connector.validate({ parts: [{ text: 'x', media: Array.from({ length: 21 }, () => png) }] }).map((p) => p.path)).toEqual(['parts[0].media'])
    expect(connector.validate({ parts: [{ text: 'x', media: [{ mimeType: 'image/gif', data: new Uint8Array(8) }] }] }).map((p) => p.path)).toEqual(['parts[0].media[0].mimeType'])
    expect(connector.validate({ parts: [{ text: 'x', media: [{ mimeType: 'image/jpeg', data: new Uint8Array(8 * 1024 * 1024 + 1) }] }] }).map((p) => p.path)).toEqual(['parts[0].media[0].data'])
    expect(connector.validate({ parts: [{ text: 'x', media: [{ mimeType: 'video/mp4', data: makeMp4({ durationSeconds: 301 }) }] }] }).map((p) => p.path)).toEqual(['parts[0].media[0].duration'])
  })
})

describe('Threads images and videos (fetched from their public address)', () => {
  let server: ThreadsApiServer
  let host: Awaited<ReturnType<typeof startMediaHost>>
  beforeAll(async () => {
    server = await startThreadsApiServer()
    host = await startMediaHost()
  })
  afterAll(async () => {
    await server.close()
    await host.close()
  })
  afterEach(() => server.scriptProcessing(['FINISHED']))
  const jpeg = (seed: number) => ({ mimeType: 'image/jpeg', data: new Uint8Array([0xff, 0xd8, 0xff, 0xe0, seed, seed + 1, 0xff, 0xd9]), altText: `image ${seed}` })
  const video = () => ({ mimeType: 'video/mp4', data: makeMp4({ durationSeconds: 4, totalBytes: 50_000 }), altText: 'the clip' })
  const sha = (data: Uint8Array) => createHash('sha256').update(data).digest('hex')
  const timed = () => {
    const time = virtualTime()
    const connector = connectorFactories.threads({ clientId: server.clientId, clientSecret: server.clientSecret, apiBaseUrl: server.url, timeoutMs: 2000, clock: time.clock, sleep: time.sleep, mediaProcessingTimeoutMs: 60_000 })
    return { ...time, connector }
  }
  const publish = (connector: Connector, parts: Array<{ text: string; media?: Array<{ mimeType: string; data: Uint8Array; altText?: string }> }>) =>
    connector.publish({ credentials: credentialsFrom(server), content: { parts }, idempotencyKey: randomUUID(), publicMediaUrl: host.publicMediaUrl })

  it('an image, a video (read in ranges, polled while IN_PROGRESS) and a carousel, each fetched and checked by its bytes', async () => {
    const { connector, waits } = timed()
    const image = jpeg(1)
    const single = await publish(connector, [{ text: 'one image', media: [image] }])
    const imagePost = server.posts.find((p) => p.id === single.remoteId)!
    expect(imagePost).toMatchObject({ mediaType: 'IMAGE', text: 'one image', media: [{ contentType: 'image/jpeg', size: 8, sha256: sha(image.data), ranged: false, altText: 'image 1' }] })

    const clip = video()
    server.scriptProcessing(['IN_PROGRESS', 'IN_PROGRESS', 'FINISHED'])
    const reads = server.counters.statusReads
    const videoResult = await publish(connector, [{ text: 'a clip', media: [clip] }])
    expect(server.counters.statusReads - reads).toBe(3)
    expect(waits).toEqual([1000, 2000])
    expect(server.posts.find((p) => p.id === videoResult.remoteId)).toMatchObject({ mediaType: 'VIDEO', media: [{ contentType: 'video/mp4', size: 50_000, sha256: sha(clip.data), ranged: true }] })

    server.scriptProcessing(['FINISHED'])
    const items = [jpeg(2), video(), jpeg(3)]
    const carousel = await publish(connector, [{ text: 'first' }, { text: 'a carousel reply', media: items }])
    const reply = server.posts.find((p) => p.id === carousel.partIds![1])!
    expect(reply).toMatchObject({ mediaType: 'CAROUSEL', replyTo: carousel.remoteId, text: 'a carousel reply' })
    expect(reply.media.map((m) => m.sha256)).toEqual(items.map((i) => sha(i.data)))
  })

  it('maps processing into the taxonomy: ERROR is the content’s fault (a failed download is transient), EXPIRED and a deadline are transient; nothing is posted', async () => {
    const { connector, clock } = timed()
    const posts = server.posts.length
    server.scriptProcessing(['IN_PROGRESS', 'ERROR'], 'INVALID_DURATION')
    expect(await rejection(publish(connector, [{ text: 'bad clip', media: [video()] }]))).toMatchObject({ kind: 'invalid-content', detail: { code: 'media-processing-failed' } })
    server.scriptProcessing(['EXPIRED'])
    expect(await rejection(publish(connector, [{ text: 'expired', media: [video()] }]))).toMatchObject({ kind: 'transient', detail: { code: 'container-expired' } })
    server.scriptProcessing(['IN_PROGRESS'])
    const started = clock.now().getTime()
    expect(await rejection(publish(connector, [{ text: 'slow', media: [video()] }]))).toMatchObject({ kind: 'transient', detail: { code: 'media-processing-timeout' } })
    expect(clock.now().getTime() - started).toBeLessThanOrEqual(60_000)
    // An address Threads cannot fetch: a video fails in its status (transient), an image at once (the container is refused).
    server.scriptProcessing(['FINISHED'])
    const nowhere = (_media: unknown) => `${host.url}/m/none`
    const unreachable = (media: ReturnType<typeof video>) => connector.publish({ credentials: credentialsFrom(server), content: { parts: [{ text: 'x', media: [media] }] }, idempotencyKey: randomUUID(), publicMediaUrl: nowhere })
    expect(await rejection(unreachable(video()))).toMatchObject({ kind: 'transient', detail: { code: 'media-fetch-failed' } })
    expect(await rejection(unreachable(jpeg(9)))).toMatchObject({ kind: 'invalid-content', detail: { status: 400, code: '100' } })
    expect(server.posts.length).toBe(posts)
  })

  it('checks limits before any container, and refuses media without a public address', async () => {
    const { connector } = timed()
    const containers = server.counters.containers
    const fetches = host.requests.length
    const tooMany = Array.from({ length: 21 }, (_, i) => jpeg(i))
    expect(await rejection(publish(connector, [{ text: 'ok' }, { text: 'too many', media: tooMany }]))).toMatchObject({ kind: 'invalid-content', detail: { code: 'media-limits' } })
    expect(await rejection(publish(connector, [{ text: 'long', media: [{ mimeType: 'video/mp4', data: makeMp4({ durationSeconds: 400 }) }] }]))).toMatchObject({ kind: 'invalid-content', message: expect.stringContaining('parts[0].media[0].duration') })
    // A thread whose second part has an image, and no address for it: refused whole, the first part not posted.
    const posts = server.posts.length
    const noAddress = await rejection(connector.publish({ credentials: credentialsFrom(server), content: { parts: [{ text: 'first' }, { text: 'x', media: [jpeg(1)] }] }, idempotencyKey: randomUUID() }))
    expect(noAddress).toMatchObject({ kind: 'invalid-content', detail: { code: 'public-media-unavailable' } })
    expect(server.posts.length).toBe(posts)
    expect(server.counters.containers).toBe(containers)
    expect(host.requests.length).toBe(fetches)
  })
})
