import { createHash } from 'node:crypto'
import { listDeliveries } from '../../db/queries/deliveries'
import { makeMp4 } from '../connectors/fixtures/mp4'
import { openPipelineFixture, serverStores, storeMedia, waitFor, type PipelineFixture } from './harness'

/**
 * A Threads video post through the real pipeline (decision 111): the worker hands the connector signed
 * public addresses of the stored file, the loopback Threads server fetches the video from the media route
 * (`GET /m/{token}`, in byte ranges), reports it IN_PROGRESS once, and the post is published once.
 */
describe('a Threads video post through the pipeline', () => {
  let f: PipelineFixture
  beforeEach(async () => {
    f = await openPipelineFixture(serverStores[0] ?? 'embedded', { network: 'threads' })
  })
  afterEach(async () => {
    await f?.close()
  })

  it('is fetched from the media route and published once', async () => {
    const threads = f.threads!
    const clip = makeMp4({ durationSeconds: 3, totalBytes: 120_000 })
    const mediaId = await storeMedia(f, { fileName: 'clip.mp4', mimeType: 'video/mp4', bytes: clip })
    threads.scriptProcessing(['IN_PROGRESS', 'FINISHED'])
    const { sequenceId, stepIds } = await f.createSeries({ steps: 1, content: () => ({ parts: [{ text: 'Our launch clip', images: [{ mediaId, alt: 'The launch' }] }] }) })
    const { deliveries } = await f.plan({ sequenceId, items: [{ stepId: stepIds[0]!, accountId: f.accountId, dueAt: new Date(Date.now() + 200) }] })
    await f.startWorker({ options: { videoConnectorTimeoutMs: 5_000, videoLeaseMs: 6_500 } })
    const [row] = await waitFor('the delivery settled', async () => {
      const rows = await listDeliveries(f.db, { workspaceId: f.workspaceId, deliveryIds: [deliveries[0]!.id] })
      return rows[0] && ['published', 'failed', 'needs_review'].includes(rows[0].state) && rows
    })
    expect(row).toMatchObject({ state: 'published', remoteId: threads.posts[0]!.id })
    expect(threads.posts).toHaveLength(1)
    expect(threads.posts[0]).toMatchObject({
      text: 'Our launch clip',
      mediaType: 'VIDEO',
      media: [{ url: expect.stringMatching(new RegExp(`^${f.mediaUrl}/m/.+\\.mp4$`)), size: clip.length, ranged: true, altText: 'The launch', sha256: createHash('sha256').update(clip).digest('hex') }],
    })
    expect(threads.counters.containers).toBe(1)
  })
})
