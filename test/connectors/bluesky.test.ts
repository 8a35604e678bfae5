import { randomUUID } from 'node:crypto'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { crc32, deflateSync } from 'node:zlib'
import { AtpAgent, AtUri } from '@atproto/api'
import { createBlueskyConnector, type BlueskyConnector } from '../../connectors/bluesky/index'
import { recordKeyFor } from '../../connectors/bluesky/content'
import { connectorFactories } from '../../connectors/registry'
import { ConnectorError, type Credentials } from '../../connectors/types'
import { runConnectorContract } from '../contract/connector'
import { startBlueskyPds, type BlueskyPds, type BlueskyTestAccount } from '../servers/bluesky-pds'
import { startBlueskyVideoService, type BlueskyVideoService } from '../servers/bluesky-video-service'
import { virtualTime } from './fixtures/virtual-time'
import { makeMp4 } from './fixtures/mp4'

const CREATE_RECORD = 'com.atproto.repo.createRecord'
// The PDS listens on 127.0.0.1: the SSRF guard lets it through only with the development setting on.
const bluesky = (timeoutMs = 5000) => createBlueskyConnector({ allowInsecureServices: true, allowPrivateNetworkHosts: true, timeoutMs })

async function connect(connector: BlueskyConnector, pds: BlueskyPds, account: BlueskyTestAccount): Promise<Credentials> {
  return (await connector.connectWithAppPassword({ service: pds.url, identifier: account.handle, appPassword: account.appPassword })).credentials
}

/**
 * The PDS signs access JWTs with second-resolution `iat`/`exp` and no `jti`: a refresh within the second
 * of sign-in returns the very same access JWT. Hand out sessions issued before the current second.
 */
async function issuedBeforeThisSecond(credentials: Credentials): Promise<Credentials> {
  const { iat } = JSON.parse(Buffer.from(credentials.accessToken.split('.')[1]!, 'base64url').toString('utf8')) as { iat: number }
  const wait = (iat + 1) * 1000 - Date.now()
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait))
  return credentials
}

async function rejection(promise: Promise<unknown>): Promise<ConnectorError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(ConnectorError)
  return error as ConnectorError
}

/** A real (tiny, solid-colour) PNG: the PDS sniffs uploaded bytes and only accepts images in image embeds. */
function png(width: number, height: number): Uint8Array {
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data])
    const out = Buffer.alloc(12 + data.length)
    out.writeUInt32BE(data.length, 0)
    body.copy(out, 4)
    out.writeUInt32BE(crc32(body), 8 + data.length)
    return out
  }
  const header = Buffer.alloc(13)
  header.writeUInt32BE(width, 0)
  header.writeUInt32BE(height, 4)
  header.set([8, 2, 0, 0, 0], 8) // 8-bit RGB
  const rows = Buffer.concat(Array.from({ length: height }, () => Buffer.concat([Buffer.from([0]), Buffer.alloc(width * 3, 0x5a)])))
  return new Uint8Array(
    Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', header), chunk('IDAT', deflateSync(rows)), chunk('IEND', Buffer.alloc(0))]),
  )
}

runConnectorContract('bluesky', { refresh: true, refreshGracePeriod: true, readsBackAfterServerError: true }, async () => {
  const pds = await startBlueskyPds()
  console.info(`contract: PDS + PLC listening after ${pds.startMs.toFixed(0)} ms`)
  const account = await pds.createAccount('contract')
  const connector = bluesky()
  // One session serves every test: refreshing a Bluesky session does not end the old one.
  const session = await connect(connector, pds, account)
  return {
    connector,
    credentials: () => issuedBeforeThisSecond(session),
    postsCreated: () => pds.counters.postsCreated,
    failNextPublishWithRateLimit: (resetAt) => pds.injectFault({ kind: 'rate-limit', resetAt, method: CREATE_RECORD }),
    failNextPublishWithUnavailable: ({ apply } = {}) => pds.injectFault({ kind: 'unavailable', apply, method: CREATE_RECORD }),
    resetNextPublishAfterApplying: () => pds.injectFault({ kind: 'reset', apply: true, method: CREATE_RECORD }),
    close: () => pds.close(),
  }
})

describe('Bluesky connector against a real PDS', () => {
  let pds: BlueskyPds
  let alice: BlueskyTestAccount
  let bob: BlueskyTestAccount
  let connector: BlueskyConnector
  let credentials: Credentials
  /** Reads the PDS directly, past the fault-injecting proxy. */
  let reader: AtpAgent
  const text = (label: string) => `${label} ${randomUUID().slice(0, 8)}`
  const record = async (uri: string) => {
    const at = new AtUri(uri)
    return (await reader.com.atproto.repo.getRecord({ repo: at.host, collection: at.collection, rkey: at.rkey })).data.value as Record<string, any>
  }
  const postsWithText = async (did: string, wanted: string) => {
    const { data } = await reader.com.atproto.repo.listRecords({ repo: did, collection: 'app.bsky.feed.post', limit: 100 })
    return data.records.filter((r) => (r.value as { text?: string }).text === wanted)
  }

  beforeAll(async () => {
    pds = await startBlueskyPds()
    console.info(`PDS + PLC listening after ${pds.startMs.toFixed(0)} ms`)
    ;[alice, bob] = await Promise.all([pds.createAccount('alice'), pds.createAccount('bob')])
    connector = bluesky()
    credentials = await connect(connector, pds, alice)
    reader = new AtpAgent({ service: pds.pdsUrl })
  })
  afterAll(async () => {
    await pds?.close()
  })

  it('is registered, and connects with an app password but never the account password', async () => {
    expect(connectorFactories.bluesky({}).kind).toBe('bluesky')
    const account = await connector.connectWithAppPassword({ service: pds.url, identifier: alice.handle, appPassword: alice.appPassword })
    expect(account).toMatchObject({ remoteAccountId: alice.did, handle: 'alice.test' })
    expect(account.credentials.extra).toEqual({ service: pds.url, did: alice.did, handle: 'alice.test' })
    expect(account.credentials.expiresAt!.getTime()).toBeGreaterThan(Date.now() + 60 * 60_000)
    const full = await rejection(connector.connectWithAppPassword({ service: pds.url, identifier: alice.handle, appPassword: alice.password }))
    expect(full.kind).toBe('auth')
    expect(full.message).toMatch(/^appPassword: use an app password/)
    const wrong = await rejection(connector.connectWithAppPassword({ service: pds.url, identifier: alice.handle, appPassword: 'aaaa-bbbb-cccc-dddd' }))
    expect(wrong.kind).toBe('auth')
    await expect(connector.connectWithAppPassword({ service: pds.url, identifier: ' ', appPassword: 'x' })).rejects.toThrow('identifier: enter your handle or email')
    await expect(createBlueskyConnector().connectWithAppPassword({ service: pds.url, identifier: 'a', appPassword: 'b' })).rejects.toThrow(
      'service: Bluesky servers must be reached over https',
    )
  })

  it('turns links and resolvable mentions into facets; an unknown handle stays text', async () => {
    const body = text('launch día 🚀 https://trickle.example/launch?x=1 with @bob.test and @nobody.test')
    const published = await connector.publish({ credentials, content: { parts: [{ text: body }] }, idempotencyKey: randomUUID() })
    expect(published.remoteId).toMatch(new RegExp(`^at://${alice.did}/app.bsky.feed.post/`))
    expect(published.url).toBe(`https://bsky.app/profile/${alice.did}/post/${new AtUri(published.remoteId).rkey}`)
    const value = await record(published.remoteId)
    expect(value.text).toBe(body)
    const bytes = Buffer.from(body, 'utf8')
    const features = (value.facets as Array<{ index: { byteStart: number; byteEnd: number }; features: Array<Record<string, string>> }>).map((f) => ({
      text: bytes.subarray(f.index.byteStart, f.index.byteEnd).toString('utf8'),
      ...f.features[0],
    }))
    expect(features).toEqual([
      { text: 'https://trickle.example/launch?x=1', $type: 'app.bsky.richtext.facet#link', uri: 'https://trickle.example/launch?x=1' },
      { text: '@bob.test', $type: 'app.bsky.richtext.facet#mention', did: bob.did },
    ])
  })

  it('posts a video as an app.bsky.embed.video blob with its alt text and aspect ratio, bytes intact; refuses one Bluesky would not take before uploading', async () => {
    const clip = makeMp4({ durationSeconds: 8, width: 1280, height: 720, totalBytes: 120_000 })
    const published = await connector.publish({
      credentials,
      content: { parts: [{ text: text('our launch clip'), media: [{ mimeType: 'video/mp4', data: clip, altText: 'The app, opening' }] }] },
      idempotencyKey: randomUUID(),
    })
    const embed = (await record(published.remoteId)).embed as { $type: string; alt: string; aspectRatio: { width: number; height: number }; video: { ref: { toString(): string }; mimeType: string; size: number } }
    expect(embed).toMatchObject({ $type: 'app.bsky.embed.video', alt: 'The app, opening', aspectRatio: { width: 1280, height: 720 }, video: { mimeType: 'video/mp4', size: clip.byteLength } })
    const blob = await reader.com.atproto.sync.getBlob({ did: alice.did, cid: embed.video.ref.toString() })
    expect(Buffer.from(blob.data).equals(Buffer.from(clip))).toBe(true)
    // A MOV (the lexicon takes MP4 only) or a clip over 3 minutes: refused before anything is uploaded, as validate says.
    const { data: before } = await reader.com.atproto.sync.listBlobs({ did: alice.did, limit: 1000 })
    for (const media of [{ mimeType: 'video/quicktime', data: makeMp4({ brand: 'qt  ' }) }, { mimeType: 'video/mp4', data: makeMp4({ durationSeconds: 181 }) }]) {
      const content = { parts: [{ text: text('refused clip'), media: [media] }] }
      expect(connector.validate(content)).toHaveLength(1)
      const refused = await rejection(connector.publish({ credentials, content, idempotencyKey: randomUUID() }))
      expect(refused).toMatchObject({ kind: 'invalid-content', message: connector.validate(content).map((p) => `${p.path}: ${p.message}`).join(' ') })
    }
    const { data: after } = await reader.com.atproto.sync.listBlobs({ did: alice.did, limit: 1000 })
    expect(after.cids).toEqual(before.cids)
  })

  describe('through a video service (app.bsky.video.uploadVideo, getJobStatus)', () => {
    let service: BlueskyVideoService
    beforeAll(async () => {
      service = await startBlueskyVideoService({ pdsUrl: pds.pdsUrl })
    })
    afterAll(async () => {
      await service?.close()
    })
    function viaService(extra: { mediaProcessingTimeoutMs?: number } = {}) {
      // From now: the PDS checks the service token's expiry (clock + 30 min) against its own clock.
      const { clock, sleep, waits } = virtualTime(new Date())
      const connector = createBlueskyConnector({
        allowInsecureServices: true,
        allowPrivateNetworkHosts: true,
        videoServiceUrl: service.url,
        clock,
        sleep,
        ...extra,
      })
      return { connector, waits, clock }
    }

    it('uploads with a service token from the PDS, waits out the job, and posts the blob the service stored', async () => {
      const { connector, waits } = viaService()
      service.scriptJobs(['JOB_STATE_ENCODING', 'JOB_STATE_SCANNING', 'JOB_STATE_COMPLETED'])
      const clip = makeMp4({ durationSeconds: 6, width: 720, height: 1280, totalBytes: 90_000 })
      const published = await connector.publish({ credentials, content: { parts: [{ text: text('processed clip'), media: [{ mimeType: 'video/mp4', data: clip }] }] }, idempotencyKey: randomUUID() })
      const job = [...service.jobs.values()].find((j) => j.bytes.equals(Buffer.from(clip)))!
      expect(job).toMatchObject({ did: alice.did, state: 'JOB_STATE_COMPLETED', reads: 3 })
      expect(waits).toEqual([1000, 2000, 4000])
      const embed = (await record(published.remoteId)).embed as { $type: string; aspectRatio: unknown; video: { ref: { toString(): string }; mimeType: string; size: number } }
      expect(embed).toMatchObject({ $type: 'app.bsky.embed.video', aspectRatio: { width: 720, height: 1280 }, video: { mimeType: 'video/mp4', size: clip.byteLength } })
      expect(embed.video.ref.toString()).toBe((job.blob as { ref: { $link: string } }).ref.$link)
      // The same file again: the service names its job (409 already_exists), and it is posted again from it.
      const again = await connector.publish({ credentials, content: { parts: [{ text: text('the same clip'), media: [{ mimeType: 'video/mp4', data: clip }] }] }, idempotencyKey: randomUUID() })
      expect(((await record(again.remoteId)).embed as { video: { ref: { toString(): string } } }).video.ref.toString()).toBe(embed.video.ref.toString())
      expect([...service.jobs.values()].filter((j) => j.bytes.equals(Buffer.from(clip)))).toHaveLength(1)
    })

    it('a FAILED job is invalid content, a job still running at the limit is transient; nothing is posted', async () => {
      const before = (await pds.listPosts(alice.did)).length
      service.scriptJobs(['JOB_STATE_ENCODING', 'JOB_STATE_FAILED'])
      expect(await rejection(viaService().connector.publish({ credentials, content: { parts: [{ text: text('broken'), media: [{ mimeType: 'video/mp4', data: makeMp4({ durationSeconds: 4, totalBytes: 30_000 }) }] }] }, idempotencyKey: randomUUID() }))).toMatchObject({
        kind: 'invalid-content',
        message: 'Bluesky could not process the video: The video could not be encoded: no decodable frames.',
      })
      service.scriptJobs(['JOB_STATE_ENCODING'])
      const { connector, waits } = viaService({ mediaProcessingTimeoutMs: 10_000 })
      expect(await rejection(connector.publish({ credentials, content: { parts: [{ text: text('slow'), media: [{ mimeType: 'video/mp4', data: makeMp4({ durationSeconds: 4, totalBytes: 31_000 }) }] }] }, idempotencyKey: randomUUID() }))).toMatchObject({
        kind: 'transient',
        detail: { code: 'media-processing-timeout' },
      })
      expect(waits).toEqual([1000, 2000, 4000])
      expect((await pds.listPosts(alice.did)).length).toBe(before)
    })

    it('reads the daily quota first: over it is rate-limited until midnight UTC, before any byte is sent', async () => {
      const { connector, clock } = viaService()
      const clip = makeMp4({ durationSeconds: 4, totalBytes: 32_000 })
      const publish = () => connector.publish({ credentials, content: { parts: [{ text: text('quota'), media: [{ mimeType: 'video/mp4', data: clip }] }] }, idempotencyKey: randomUUID() })
      const jobs = service.jobs.size
      try {
        for (const limits of [
          { canUpload: false, message: 'You have exceeded the daily upload limit', error: 'VideoUploadLimitExceeded' },
          { canUpload: true, remainingDailyVideos: 0, remainingDailyBytes: 1e9 },
          { canUpload: true, remainingDailyVideos: 3, remainingDailyBytes: clip.byteLength - 1 },
        ]) {
          service.setUploadLimits(limits)
          service.requests.length = 0
          const error = (await rejection(publish())) as ConnectorError
          expect(error).toMatchObject({ kind: 'rate-limited' })
          const now = clock.now()
          expect(error.resetAt).toEqual(new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1)))
          expect(service.requests).toEqual(['/xrpc/app.bsky.video.getUploadLimits'])
        }
        expect(service.jobs.size).toBe(jobs)
        service.setUploadLimits({ canUpload: true, remainingDailyVideos: 1, remainingDailyBytes: clip.byteLength })
        service.scriptJobs(['JOB_STATE_COMPLETED'])
        await publish()
        expect(service.jobs.size).toBe(jobs + 1)
        // A service without getUploadLimits (501) names no quota: the upload goes ahead.
        service.setUploadLimits(null)
        service.scriptJobs(['JOB_STATE_COMPLETED'])
        const another = makeMp4({ durationSeconds: 3, totalBytes: 30_000 })
        await connector.publish({ credentials, content: { parts: [{ text: text('no quota'), media: [{ mimeType: 'video/mp4', data: another }] }] }, idempotencyKey: randomUUID() })
        expect(service.jobs.size).toBe(jobs + 2)
      } finally {
        service.setUploadLimits({ canUpload: true, remainingDailyVideos: 25, remainingDailyBytes: 10 * 1024 ** 3 })
      }
    })
  })

  it('attaches images as blobs with their alt text, bytes intact', async () => {
    const image = png(64, 48)
    const published = await connector.publish({
      credentials,
      content: { parts: [{ text: text('with a chart'), media: [{ mimeType: 'image/png', data: image, altText: 'Sign-ups per week, rising' }] }] },
      idempotencyKey: randomUUID(),
    })
    const embed = (await record(published.remoteId)).embed as { $type: string; images: Array<{ alt: string; image: { ref: { toString(): string }; mimeType: string; size: number } }> }
    expect(embed.$type).toBe('app.bsky.embed.images')
    expect(embed.images).toHaveLength(1)
    expect(embed.images[0]).toMatchObject({ alt: 'Sign-ups per week, rising', image: { mimeType: 'image/png', size: image.byteLength } })
    const blob = await reader.com.atproto.sync.getBlob({ did: alice.did, cid: embed.images[0]!.image.ref.toString() })
    expect(Buffer.from(blob.data).equals(Buffer.from(image))).toBe(true)
  })

  it('publishes a thread as replies to the root and the previous post', async () => {
    const parts = [{ text: text('thread 1/3') }, { text: text('thread 2/3') }, { text: text('thread 3/3') }]
    const published = await connector.publish({ credentials, content: { parts }, idempotencyKey: randomUUID() })
    const [first, second, third] = published.partIds!
    expect(published.remoteId).toBe(first)
    expect((await record(first!)).reply).toBeUndefined()
    expect((await record(second!)).reply).toMatchObject({ root: { uri: first }, parent: { uri: first } })
    expect((await record(third!)).reply).toMatchObject({ root: { uri: first }, parent: { uri: second } })
    expect(await connector.lookup!({ credentials, content: { parts }, idempotencyKey: randomUUID(), since: new Date(0) })).toBeNull()
  })

  it('the same idempotency key twice makes one post, found again by lookup under its record key', async () => {
    const content = { parts: [{ text: text('exactly once') }] }
    const idempotencyKey = randomUUID()
    const first = await connector.publish({ credentials, content, idempotencyKey })
    const second = await connector.publish({ credentials, content, idempotencyKey })
    expect(second.remoteId).toBe(first.remoteId)
    expect(new AtUri(first.remoteId).rkey).toBe(recordKeyFor(idempotencyKey, 0))
    expect(await postsWithText(alice.did, content.parts[0]!.text)).toHaveLength(1)
    expect(await connector.lookup!({ credentials, content, idempotencyKey, since: new Date() })).toEqual(first)
  })

  it('a thread cut off after its second post resumes on retry without duplicating a part', async () => {
    const parts = [{ text: text('resume 1') }, { text: text('resume 2') }, { text: text('resume 3') }]
    const idempotencyKey = randomUUID()
    pds.injectFault({ kind: 'reset', apply: true, method: CREATE_RECORD, after: 1 })
    const cut = await rejection(connector.publish({ credentials, content: { parts }, idempotencyKey }))
    expect(cut.kind).toBe('unknown-outcome')
    expect(cut.partial?.partIds).toHaveLength(1)
    expect((await connector.lookup!({ credentials, content: { parts }, idempotencyKey, since: new Date() }))?.partIds).toHaveLength(2)
    const retried = await connector.publish({ credentials, content: { parts }, idempotencyKey })
    expect(retried.remoteId).toBe(cut.partial!.remoteId)
    for (const part of parts) expect(await postsWithText(alice.did, part.text)).toHaveLength(1)
    expect((await record(retried.partIds![2]!)).reply).toMatchObject({ root: { uri: retried.remoteId }, parent: { uri: retried.partIds![1] } })
  })

  it('replies to parts it read back with exact strong refs: a retry writes no stray fields into the next reply', async () => {
    const parts = [{ text: text('refs 1') }, { text: text('refs 2') }, { text: text('refs 3') }]
    const idempotencyKey = randomUUID()
    // Parts 1 and 2 are written, then the answer to part 2 is lost: the retry finds both under their keys.
    pds.injectFault({ kind: 'reset', apply: true, method: CREATE_RECORD, after: 1 })
    await rejection(connector.publish({ credentials, content: { parts }, idempotencyKey }))
    const retried = await connector.publish({ credentials, content: { parts }, idempotencyKey })
    const [first, second, third] = retried.partIds!
    const ref = async (uri: string) => ({ uri, cid: (await reader.com.atproto.repo.getRecord({ repo: alice.did, collection: 'app.bsky.feed.post', rkey: new AtUri(uri).rkey })).data.cid })
    expect((await record(third!)).reply).toEqual({ root: await ref(first!), parent: await ref(second!) })
  })

  it('a post under a part\'s record key that does not reply to the thread\'s earlier posts is not that part (issue 23)', async () => {
    const parts = [{ text: text('chain 1') }, { text: text('chain 2') }, { text: text('chain 3') }]
    const idempotencyKey = randomUUID()
    // All three parts were written but the outcome was unknown; before the lookup, the user deleted the
    // first post. The lookup finds nothing under the first key, so the pipeline publishes again.
    const before = await connector.publish({ credentials, content: { parts }, idempotencyKey })
    await connector.delete!({ credentials, remoteId: before.remoteId })
    expect(await connector.lookup!({ credentials, content: { parts }, idempotencyKey, since: new Date(0) })).toBeNull()
    // Part 1 is written again; parts 2 and 3 under their keys reply to the deleted post: not this thread.
    const again = await rejection(connector.publish({ credentials, content: { parts }, idempotencyKey }))
    expect(again.kind).toBe('unknown-outcome')
    expect(again.partial?.partIds).toHaveLength(1)
    expect(again.message).toMatch(/Post 2 of the thread cannot be written: its record key .* is not a reply to the thread's earlier posts/)
    // The same record key, so the same URI as the deleted post; a new CID, which the old parts do not name.
    const root = again.partial!.remoteId
    expect(root).toBe(before.remoteId)
    for (const known of [undefined, { partIds: [root] }]) {
      expect((await connector.lookup!({ credentials, content: { parts }, idempotencyKey, since: new Date(0), known }))?.partIds).toEqual([root])
    }
    // The continuation cannot write part 2 either: it fails (a person must sort it out) and posts nothing.
    const created = pds.counters.postsCreated
    const stuck = await rejection(connector.publish({ credentials, content: { parts }, idempotencyKey, resume: { partIds: [root] } }))
    expect(stuck.kind).toBe('invalid-content')
    expect(pds.counters.postsCreated).toBe(created)
    for (const part of parts) expect(await postsWithText(alice.did, part.text)).toHaveLength(1)
  })

  it('continues a thread after the posts named by their URIs, replying with root and parent refs (issue 23)', async () => {
    const parts = [{ text: text('continue 1') }, { text: text('continue 2') }, { text: text('continue 3') }]
    // Part 1 exists (here posted on its own, under another key): the continuation must reply to it, not post it again.
    const first = await connector.publish({ credentials, content: { parts: parts.slice(0, 1) }, idempotencyKey: randomUUID() })
    const idempotencyKey = randomUUID()
    const resumed = await connector.publish({ credentials, content: { parts }, idempotencyKey, resume: { partIds: [first.remoteId] } })
    expect(resumed).toMatchObject({ remoteId: first.remoteId, url: first.url })
    const [, second, third] = resumed.partIds!
    expect((await record(second!)).reply).toMatchObject({ root: { uri: first.remoteId }, parent: { uri: first.remoteId } })
    expect((await record(third!)).reply).toMatchObject({ root: { uri: first.remoteId }, parent: { uri: second } })
    for (const part of parts) expect(await postsWithText(alice.did, part.text)).toHaveLength(1)
    expect((await connector.lookup!({ credentials, content: { parts }, idempotencyKey, since: new Date(), known: { partIds: [first.remoteId] } }))?.partIds).toEqual(resumed.partIds)
    // A part that is gone cannot be replied to: nothing is sent.
    const gone = await connector.publish({ credentials, content: { parts: parts.slice(0, 1).map((p) => ({ text: `${p.text} gone` })) }, idempotencyKey: randomUUID() })
    await connector.delete!({ credentials, remoteId: gone.remoteId })
    const error = await rejection(connector.publish({ credentials, content: { parts }, idempotencyKey: randomUUID(), resume: { partIds: [gone.remoteId] } }))
    expect(error.kind).toBe('invalid-content')
  })

  it('refresh rotates the session; a revoked or foreign refresh token is disconnected', async () => {
    const old = await issuedBeforeThisSecond(await connect(connector, pds, alice))
    const fresh = await connector.refreshCredentials!(old)
    expect(fresh.accessToken).not.toBe(old.accessToken)
    expect(fresh.refreshToken).not.toBe(old.refreshToken)
    expect(fresh.extra).toEqual(old.extra)
    await connector.publish({ credentials: fresh, content: { parts: [{ text: text('after refresh') }] }, idempotencyKey: randomUUID() })
    await new AtpAgent({ service: pds.pdsUrl }).com.atproto.server.deleteSession(undefined, { headers: { authorization: `Bearer ${fresh.refreshToken}` } })
    expect((await rejection(connector.refreshCredentials!(fresh))).kind).toBe('disconnected')
    expect((await rejection(connector.refreshCredentials!({ ...old, refreshToken: old.accessToken }))).kind).toBe('disconnected')
  })

  it('an expired or malformed access token is auth', async () => {
    const expired = await rejection(connector.publish({ credentials: { ...credentials, accessToken: pds.expiredAccessToken(alice.did) }, content: { parts: [{ text: 'x' }] }, idempotencyKey: randomUUID() }))
    expect(expired).toMatchObject({ kind: 'auth', detail: { code: 'ExpiredToken' } })
    const malformed = await rejection(connector.publish({ credentials: { ...credentials, accessToken: 'garbage' }, content: { parts: [{ text: 'x' }] }, idempotencyKey: randomUUID() }))
    expect(malformed.kind).toBe('auth')
  })

  it('a post applied but answered after the client gave up is unknown-outcome; lookup finds exactly that one', async () => {
    const content = { parts: [{ text: text('slow answer') }] }
    const idempotencyKey = randomUUID()
    pds.injectFault({ kind: 'slow', ms: 1_500, method: CREATE_RECORD })
    const error = await rejection(bluesky(300).publish({ credentials, content, idempotencyKey }))
    expect(error.kind).toBe('unknown-outcome')
    const found = await connector.lookup!({ credentials, content, idempotencyKey, since: new Date() })
    expect(found?.remoteId).toMatch(new RegExp(`^at://${alice.did}/app.bsky.feed.post/${recordKeyFor(idempotencyKey, 0)}$`))
    expect(await postsWithText(alice.did, content.parts[0]!.text)).toHaveLength(1)
  })

  it('a 503 on a create the PDS did not apply is unknown-outcome; lookup proves it absent', async () => {
    const content = { parts: [{ text: text('503, not applied') }] }
    const idempotencyKey = randomUUID()
    pds.injectFault({ kind: 'unavailable', method: CREATE_RECORD })
    const error = await rejection(connector.publish({ credentials, content, idempotencyKey }))
    expect(error).toMatchObject({ kind: 'unknown-outcome', detail: { status: 503 } })
    expect(await connector.lookup!({ credentials, content, idempotencyKey, since: new Date() })).toBeNull()
    expect(await postsWithText(alice.did, content.parts[0]!.text)).toHaveLength(0)
  })

  it('a timeout after sending is unknown-outcome; a refused connection is transient', async () => {
    pds.injectFault({ kind: 'hang', method: CREATE_RECORD })
    const impatient = bluesky(300)
    const hung = await rejection(impatient.publish({ credentials, content: { parts: [{ text: text('hang') }] }, idempotencyKey: randomUUID() }))
    expect(hung).toMatchObject({ kind: 'unknown-outcome', detail: { code: 'TimeoutError' } })
    const closed = http.createServer()
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
    const { port } = closed.address() as AddressInfo
    await new Promise((resolve) => closed.close(resolve))
    const gone = { ...credentials, extra: { ...credentials.extra, service: `http://127.0.0.1:${port}` } }
    const refused = await rejection(connector.publish({ credentials: gone, content: { parts: [{ text: 'x' }] }, idempotencyKey: randomUUID() }))
    expect(refused).toMatchObject({ kind: 'transient', detail: { code: 'ECONNREFUSED' } })
  })

  it('content the PDS refuses is invalid-content', async () => {
    const tooLong = 'x'.repeat(301)
    expect(connector.validate({ parts: [{ text: tooLong }] }).map((p) => p.path)).toEqual(['parts[0].text'])
    const refused = await rejection(connector.publish({ credentials, content: { parts: [{ text: tooLong }] }, idempotencyKey: randomUUID() }))
    expect(refused).toMatchObject({ kind: 'invalid-content', detail: { status: 400 } })
  })

  it('delete removes the post', async () => {
    const content = { parts: [{ text: text('short-lived') }] }
    const idempotencyKey = randomUUID()
    const published = await connector.publish({ credentials, content, idempotencyKey })
    await connector.delete!({ credentials, remoteId: published.remoteId })
    expect(await connector.lookup!({ credentials, content, idempotencyKey, since: new Date() })).toBeNull()
    await expect(record(published.remoteId)).rejects.toThrow(/Could not locate record/)
  })
})
