import { createHash, randomUUID } from 'node:crypto'
import { connectorFactories } from '../../connectors/registry'
import { loadAccountsPage } from '../../core/accounts.server'
import { storeImage } from '../../core/media.server'
import { connectAccount } from '../../db/queries/accounts'
import { publicMediaAvailability, publicMediaUrlFor, signMediaToken } from '../../core/public-media.server'
import { validatePost } from '../../core/series/validation.server'
import { workspaces } from '../../db/schema'
import { fixedClock } from '../../domain/clock'
import { makeMp4 } from '../connectors/fixtures/mp4'
import { startTestApp, type TestApp } from '../app-server'
import { startThreadsApiServer, type ThreadsApiServer } from '../servers/threads-api'

/**
 * `GET /m/{token}` (decision 111): a stored file at a signed address that expires after an hour, with
 * its type, length and byte ranges, and one 404 for every other token. The loopback Threads server
 * fetches a post's image and video from the running app.
 */
const clock = fixedClock(new Date('2026-12-06T12:00:00Z'))
let app: TestApp
let threads: ThreadsApiServer
let workspaceA: string
let workspaceB: string
const JPEG = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, ...Array.from({ length: 200 }, (_, i) => i), 0xff, 0xd9])
const CLIP = makeMp4({ durationSeconds: 3, totalBytes: 40_000 })

beforeAll(async () => {
  ;[app, threads] = await Promise.all([startTestApp({ clock }), startThreadsApiServer()])
  const rows = await app.services.database.db.insert(workspaces).values([{ name: 'A' }, { name: 'B' }]).returning()
  workspaceA = rows[0]!.id
  workspaceB = rows[1]!.id
})
afterAll(async () => {
  await threads?.close()
  await app?.close()
})

const sha = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex')
const urlOf = (workspaceId: string, media: { id: string; mimeType: string }) => publicMediaUrlFor({ config: app.services.config, clock, workspaceId })({ mimeType: media.mimeType, data: new Uint8Array(), mediaId: media.id })

describe('GET /m/{token}', () => {
  it('serves the file with its type and length, byte ranges, HEAD; the same 404 for an expired, forged or other workspace’s token', async () => {
    const image = await storeImage(app.services, { workspaceId: workspaceA, fileName: 'a.jpg', bytes: JPEG })
    const other = await storeImage(app.services, { workspaceId: workspaceB, fileName: 'b.jpg', bytes: JPEG.slice().reverse().map((b, i) => (i < 3 ? [0xff, 0xd8, 0xff][i]! : b)) })
    const url = urlOf(workspaceA, image)
    expect(url).toMatch(new RegExp(`^${app.url}/m/[A-Za-z0-9_-]{48}\\.[A-Za-z0-9_-]{43}\\.jpg$`))
    const whole = await fetch(url)
    expect(whole.status).toBe(200)
    expect(whole.headers.get('content-type')).toBe('image/jpeg')
    expect(whole.headers.get('content-length')).toBe(String(JPEG.length))
    expect(sha(new Uint8Array(await whole.arrayBuffer()))).toBe(sha(JPEG))

    const part = await fetch(url, { headers: { range: 'bytes=10-19' } })
    expect(part.status).toBe(206)
    expect(part.headers.get('content-range')).toBe(`bytes 10-19/${JPEG.length}`)
    expect([...new Uint8Array(await part.arrayBuffer())]).toEqual([...JPEG.slice(10, 20)])
    const suffix = await fetch(url, { headers: { range: 'bytes=-4' } })
    expect([...new Uint8Array(await suffix.arrayBuffer())]).toEqual([...JPEG.slice(-4)])
    const beyond = await fetch(url, { headers: { range: `bytes=${JPEG.length}-` } })
    expect(beyond.status).toBe(416)
    expect(beyond.headers.get('content-range')).toBe(`bytes */${JPEG.length}`)
    const head = await fetch(url, { method: 'HEAD' })
    expect([head.status, head.headers.get('content-length')]).toEqual([200, String(JPEG.length)])

    const token = new URL(url).pathname.slice(3)
    const notFound = async (path: string) => {
      const answer = await fetch(`${app.url}${path}`)
      return [answer.status, await answer.text()]
    }
    const flipped = token.replace(/\.(.)/, (_, c: string) => `.${c === 'A' ? 'B' : 'A'}`)
    const forgedKey = signMediaToken({ secret: 'x'.repeat(64), mediaId: image.id, workspaceId: workspaceA, expiresAt: new Date(clock.now().getTime() + 60_000) })
    // Workspace B's media named with workspace A (a token A could be given): not reachable.
    const crossed = new URL(urlOf(workspaceA, other)).pathname
    for (const path of [`/m/${flipped}`, `/m/${forgedKey}`, crossed, '/m/nothing', `/m/${token.slice(0, -6)}`]) expect(await notFound(path)).toEqual([404, 'Not found'])
    clock.advance(60 * 60_000)
    expect(await notFound(`/m/${token}`)).toEqual([404, 'Not found'])
  })

  it('the loopback Threads server fetches a post’s image and its video (in ranges) from the app', async () => {
    const image = await storeImage(app.services, { workspaceId: workspaceA, fileName: 'photo.jpg', bytes: JPEG })
    const clip = await storeImage(app.services, { workspaceId: workspaceA, fileName: 'clip.mp4', bytes: CLIP })
    const connector = connectorFactories.threads({ clientId: threads.clientId, clientSecret: threads.clientSecret, apiBaseUrl: threads.url, timeoutMs: 5000 })
    const { accessToken } = threads.issueToken()
    const credentials = { accessToken, extra: { userId: threads.user.id } }
    const publicMediaUrl = publicMediaUrlFor({ config: app.services.config, clock, workspaceId: workspaceA })
    const result = await connector.publish({
      credentials,
      idempotencyKey: randomUUID(),
      publicMediaUrl,
      content: { parts: [{ text: 'a photo', media: [{ mimeType: 'image/jpeg', data: JPEG, mediaId: image.id }] }, { text: 'a clip', media: [{ mimeType: 'video/mp4', data: CLIP, mediaId: clip.id }] }] },
    })
    const [photo, video] = result.partIds!.map((id) => threads.posts.find((p) => p.id === id)!)
    expect(photo!.media).toMatchObject([{ url: expect.stringContaining(`${app.url}/m/`), sha256: sha(JPEG), ranged: false }])
    expect(video!.media).toMatchObject([{ url: expect.stringContaining('.mp4'), sha256: sha(CLIP), size: CLIP.length, ranged: true }])
  })
})

describe('a public address for media', () => {
  it('needs a public https APP_URL (an http loopback one in tests only)', () => {
    const ok = (APP_URL: string, NODE_ENV: 'production' | 'test' = 'production') => publicMediaAvailability({ APP_URL, NODE_ENV }).ok
    expect(ok('https://trickle.acme.com')).toBe(true)
    expect(ok('https://203.0.113.7')).toBe(false)
    expect(ok('https://8.8.8.8')).toBe(true)
    for (const url of ['http://trickle.acme.com', 'https://localhost:3000', 'http://127.0.0.1:3000', 'https://10.0.0.5', 'https://trickle.local', 'https://intranet']) expect(ok(url)).toBe(false)
    expect(ok('http://127.0.0.1:3000', 'test')).toBe(true)
    expect(ok('http://192.168.1.2:3000', 'test')).toBe(false)
  })

  it('the editor says so on a Threads post with media, the Accounts page on the account, and publishing refuses it as invalid content', async () => {
    const connector = connectorFactories.threads({ clientId: '1', clientSecret: 's' })
    const config = { ...app.services.config, NODE_ENV: 'production' as const, APP_URL: 'http://localhost:3000' }
    const services = { ...app.services, config, connectors: { ...app.services.connectors, threads: connector } }
    const content = { parts: [{ text: 'text' }, { text: 'with a photo', media: [{ mimeType: 'image/jpeg', data: JPEG }] }] }
    const problems = validatePost(services, { account: { kind: 'threads', maxPostLength: null }, content })
    expect(problems).toEqual([{ path: 'parts[1].media', message: expect.stringContaining('APP_URL (http://localhost:3000) is not a public https address') }])
    expect(validatePost(services, { account: { kind: 'threads', maxPostLength: null }, content: { parts: [{ text: 'text only' }] } })).toEqual([])
    await connectAccount(app.services.database.db, { workspaceId: workspaceB, kind: 'threads', remoteAccountId: '1', handle: 'trickle.threads', credentials: { accessToken: 't' }, keyring: app.services.keyring, clock })
    const page = await loadAccountsPage(services, { workspaceId: workspaceB })
    expect(page.accounts.map((a) => a.mediaWarning)).toEqual([expect.stringMatching(/^Posts with images or videos cannot go to Threads\. .*APP_URL \(http:\/\/localhost:3000\)/)])
    expect((await loadAccountsPage({ ...services, config: app.services.config }, { workspaceId: workspaceB })).accounts.map((a) => a.mediaWarning)).toEqual([null])
    expect(() => publicMediaUrlFor({ config, clock, workspaceId: workspaceA })({ mimeType: 'image/jpeg', data: JPEG, mediaId: randomUUID() })).toThrow(expect.objectContaining({ kind: 'invalid-content' }))
  })
})
