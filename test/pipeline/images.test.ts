import { rm } from 'node:fs/promises'
import path from 'node:path'
import { listDeliveries } from '../../db/queries/deliveries'
import { mediaDirOf } from '../../core/media.server'
import { openPipelineFixture, serverStores, storeMedia, waitFor, type PipelineFixture, type StoreKind } from './harness'

/**
 * Posts with images go out through the pipeline with their images: the worker reads the bytes from the
 * media store and the real X connector uploads them (v1.1 chunked upload, then alt text) before posting.
 */
const kinds: StoreKind[] = [...serverStores, 'embedded']
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64')

describe.each(kinds)('publishing images to X (%s job store)', (kind) => {
  let f: PipelineFixture
  beforeEach(async () => {
    f = await openPipelineFixture(kind, { network: 'x' })
  })
  afterEach(async () => {
    await f?.close()
  })

  const storeImage = (bytes: Uint8Array) => storeMedia(f, { fileName: 'chart.png', mimeType: 'image/png', bytes })

  it('a thread with an image arrives at X with the image bytes and its alt text; a missing image fails the delivery unsent', async () => {
    const x = f.x!
    const mediaId = await storeImage(PNG)
    const gone = await storeImage(PNG)
    await rm(path.join(mediaDirOf(f.dataDir, f.workspaceId), gone))
    const { sequenceId, stepIds } = await f.createSeries({
      steps: 2,
      content: (i) =>
        i === 0
          ? { parts: [{ text: 'Signups this week', images: [{ mediaId, alt: 'A bar chart of signups' }] }, { text: 'Details follow' }] }
          : { parts: [{ text: 'This image was deleted', images: [{ mediaId: gone, alt: 'Gone' }] }] },
    })
    const { deliveries } = await f.plan({ sequenceId, items: stepIds.map((stepId) => ({ stepId, accountId: f.accountId, dueAt: new Date(Date.now() + 300) })) })
    await f.startWorker()
    const rows = await waitFor('deliveries settled', async () => {
      const rows = await listDeliveries(f.db, { workspaceId: f.workspaceId, deliveryIds: deliveries.map((d) => d.id) })
      return rows.every((r) => r.state === 'published' || r.state === 'failed') && rows
    })
    const byStep = new Map(rows.map((r) => [r.stepId, r]))
    const published = byStep.get(stepIds[0]!)!
    expect(published.state).toBe('published')
    const [first, second] = x.posts
    expect(x.posts).toHaveLength(2)
    expect(published.remoteId).toBe(first!.id)
    expect(first!.text).toBe('Signups this week')
    expect(first!.mediaIds).toHaveLength(1)
    const uploaded = x.media.get(first!.mediaIds[0]!)!
    expect(uploaded.finalized).toBe(true)
    expect(uploaded.mimeType).toBe('image/png')
    expect(Buffer.concat(uploaded.chunks).equals(PNG)).toBe(true)
    expect(uploaded.altText).toBe('A bar chart of signups')
    expect(second).toMatchObject({ text: 'Details follow', inReplyTo: first!.id, mediaIds: [] })

    const failed = byStep.get(stepIds[1]!)!
    expect(failed.state).toBe('failed')
    expect(failed.lastErrorKind).toBe('invalid-content')
    expect(failed.lastError).toContain(gone)
    expect(x.posts.some((p) => p.text === 'This image was deleted')).toBe(false)
  })
})
