import { eq } from 'drizzle-orm'
import { pipelineOptions, sendDeadline, type PipelineOptions } from '../../core/publishing/publish.server'
import { listDeliveries } from '../../db/queries/deliveries'
import { deliveries } from '../../db/schema'
import { PUBLISH_DELIVERY_JOB } from '../../jobs/enqueue'
import { makeMp4 } from '../connectors/fixtures/mp4'
import { openPipelineFixture, serverStores, storeMedia, waitFor, type PipelineFixture, type StoreKind } from './harness'

/**
 * A post with a video gets its own deadline and lease (decision 105): X processes the video for longer
 * than a text post's whole deadline, and the post still goes out once, with one upload, while the claim
 * is held (the reconciler does not take it over, Agenda neither cancels the job nor hands it to another
 * worker). A text post keeps the short deadline.
 *
 * Timings: text 1 s deadline and 2.5 s lease; video 6 s and 7.5 s; X answers the video's FINALIZE with
 * `check_after_secs: 4`, so the video publish runs past the text lease and the job's lock lifetime.
 */
const OPTIONS: Partial<PipelineOptions> = { connectorTimeoutMs: 1_000, leaseMs: 2_500, videoConnectorTimeoutMs: 6_000, videoLeaseMs: 7_500 }
const kinds: StoreKind[] = serverStores.length ? serverStores : ['embedded']

describe('the send deadline of a delivery', () => {
  const options = pipelineOptions({ options: OPTIONS })
  it('is the video pair for a post with a video anywhere in it, the normal pair otherwise', () => {
    const video = { mimeType: 'video/mp4', data: makeMp4() }
    const image = { mimeType: 'image/png', data: new Uint8Array(8) }
    expect(sendDeadline(options, { parts: [{ text: 'a' }, { text: 'b', media: [video] }] })).toEqual({ timeoutMs: 6_000, leaseMs: 7_500 })
    expect(sendDeadline(options, { parts: [{ text: 'a', media: [image] }] })).toEqual({ timeoutMs: 1_000, leaseMs: 2_500 })
  })
  it('is checked at start-up: each lease exceeds its deadline, and the video deadline is not shorter', () => {
    expect(() => pipelineOptions({ options: { ...OPTIONS, videoLeaseMs: 6_500 } })).toThrow('options.videoLeaseMs')
    expect(() => pipelineOptions({ options: { ...OPTIONS, videoConnectorTimeoutMs: 900, videoLeaseMs: 7_500 } })).toThrow('options.videoConnectorTimeoutMs')
  })
})

describe.each(kinds)('publishing a video that X processes for longer than a text deadline (%s job store)', (kind) => {
  let f: PipelineFixture
  beforeEach(async () => {
    f = await openPipelineFixture(kind, { network: 'x' })
  })
  afterEach(async () => {
    await f?.close()
  })

  const storeVideo = (bytes: Uint8Array) => storeMedia(f, { fileName: 'clip.mp4', mimeType: 'video/mp4', bytes })

  it('goes out once with one upload under the video lease, while a slow text post still hits the 1 s deadline', async () => {
    const x = f.x!
    const clip = makeMp4({ durationSeconds: 2, totalBytes: 300_000 })
    const mediaId = await storeVideo(clip)
    x.scriptVideoProcessing([{ state: 'pending', checkAfterSecs: 4 }, { state: 'succeeded' }])
    // The text post's create is applied but answered after 2 s: past its 1 s deadline, within the video's.
    x.injectFault({ kind: 'slow', ms: 2_000, method: 'POST', path: '/2/tweets', after: 0 })
    const { sequenceId, stepIds } = await f.createSeries({
      steps: 2,
      content: (i) => (i === 0 ? { parts: [{ text: 'A text post that is answered slowly' }] } : { parts: [{ text: 'Our launch in 2 seconds', images: [{ mediaId, alt: 'The launch clip' }] }] }),
    })
    const [textStep, videoStep] = stepIds as [string, string]
    // The text post first, so the slow fault hits it and not the video's post.
    const { deliveries: planned } = await f.plan({
      sequenceId,
      items: [
        { stepId: textStep, accountId: f.accountId, dueAt: new Date(Date.now() + 300) },
        { stepId: videoStep, accountId: f.accountId, dueAt: new Date(Date.now() + 2_500) },
      ],
    })
    const videoDelivery = planned.find((d) => d.stepId === videoStep)!
    const leases: Array<{ deliveryId: string; leaseMs: number }> = []
    const fails: string[] = []
    const succeeded: string[] = []
    const hooks = {
      afterNetworkSuccess({ deliveryId }: { deliveryId: string }) {
        succeeded.push(deliveryId)
      },
      async beforeNetwork({ deliveryId }: { deliveryId: string }) {
        const [row] = await f.db.select({ sendingAt: deliveries.sendingAt, leaseExpiresAt: deliveries.leaseExpiresAt }).from(deliveries).where(eq(deliveries.id, deliveryId))
        leases.push({ deliveryId, leaseMs: row!.leaseExpiresAt!.getTime() - row!.sendingAt!.getTime() })
      },
    }
    // Two workers: without the kept lock, the second would take the running video job once its lock lifetime passed.
    const workers = [await f.startWorker({ options: OPTIONS, hooks }), await f.startWorker({ options: OPTIONS, hooks })]
    // Agenda reports a job it cancels for outliving its lock as an 'error' ("execution of … canceled").
    for (const w of workers) w.store.agenda.on('error', (error: Error) => error.message.includes(`'${PUBLISH_DELIVERY_JOB}' canceled`) && fails.push(error.message))

    const rows = await waitFor(
      'both deliveries published',
      async () => {
        const rows = await listDeliveries(f.db, { workspaceId: f.workspaceId, deliveryIds: planned.map((d) => d.id) })
        return rows.every((r) => r.state === 'published') && rows
      },
      30_000,
    )
    const video = rows.find((r) => r.id === videoDelivery.id)!
    const text = rows.find((r) => r.id !== videoDelivery.id)!

    // The video: one claim, one upload of the whole file, one post naming it.
    expect(video.attempts).toBe(1)
    const uploads = [...x.media.values()].filter((m) => m.category === 'tweet_video')
    expect(uploads).toHaveLength(1)
    expect(Buffer.concat(uploads[0]!.chunks).equals(Buffer.from(clip))).toBe(true)
    const videoPosts = x.posts.filter((p) => p.text === 'Our launch in 2 seconds')
    expect(videoPosts).toHaveLength(1)
    expect(videoPosts[0]!.mediaIds).toEqual([uploads[0]!.id])
    expect(video.remoteId).toBe(videoPosts[0]!.id)
    expect(leases.filter((l) => l.deliveryId === video.id).map((l) => l.leaseMs)).toEqual([OPTIONS.videoLeaseMs])
    // Neither the reconciler nor Agenda interrupted it.
    expect(video.lastErrorKind).toBeNull()
    expect(fails).toEqual([])

    // The text post: sent under the short lease, given up after 1 s (the call never returned a post: an
    // unknown outcome, as the create may have applied, and it had), then found by the lookup, not posted again.
    expect(leases.filter((l) => l.deliveryId === text.id).map((l) => l.leaseMs)).toEqual([OPTIONS.leaseMs])
    expect(succeeded).toEqual([video.id])
    expect(x.faultsApplied.map((a) => a.text)).toEqual(['A text post that is answered slowly'])
    expect(text.remoteId).toBe(x.posts.find((p) => p.text === 'A text post that is answered slowly')!.id)
    expect(x.posts.filter((p) => p.text === 'A text post that is answered slowly')).toHaveLength(1)
  })
})
