import { listDeliveries } from '../../db/queries/deliveries'
import { openPipelineFixture, serverStores, waitFor, type PipelineFixture, type StoreKind } from './harness'

/**
 * Issue 23: X applied a post and answered 503. Read as `transient`, the 503 was resent blindly: a second
 * post, or (with X's duplicate check) a 403 "duplicate content" that failed a delivery whose post was
 * live. A 5xx on a create is an unknown outcome: the reconciler looks the post up and records it.
 */
const kinds: StoreKind[] = [...serverStores, 'embedded']

/** Plans one delivery due now with `text`, runs a worker (publish jobs + reconciler) and waits until it settles. */
async function publishOnce(f: PipelineFixture, text: string) {
  const { sequenceId, stepIds } = await f.createSeries({ steps: 1, text: () => text })
  const { deliveries: planned } = await f.plan({ sequenceId, items: [{ stepId: stepIds[0]!, accountId: f.accountId, dueAt: new Date(Date.now() - 100) }] })
  const deliveryId = planned[0]!.id
  await f.startWorker()
  const [row] = await waitFor('the delivery settled', async () => {
    const rows = await listDeliveries(f.db, { workspaceId: f.workspaceId, deliveryIds: [deliveryId] })
    return rows.every((r) => r.state === 'published' || r.state === 'failed') && rows
  })
  return row!
}

describe.each(kinds)('a post X applied, then answered 503 (%s job store)', (kind) => {
  describe.each([
    { rejectDuplicates: true, name: 'with X duplicate detection (as on X)' },
    { rejectDuplicates: false, name: 'without duplicate detection' },
  ])('$name', ({ rejectDuplicates }) => {
    let f: PipelineFixture
    beforeEach(async () => {
      f = await openPipelineFixture(kind, { network: 'x', xOptions: { rejectDuplicates } })
    })
    afterEach(async () => {
      await f?.close()
    })

    it('is published once, with the id of that post, found by lookup', async () => {
      const x = f.x!
      const text = `Launch day ${crypto.randomUUID().slice(0, 8)}`
      x.injectFault({ kind: 'unavailable', apply: true, method: 'POST', path: '/2/tweets' })
      const row = await publishOnce(f, text)
      const posts = x.posts.filter((p) => p.text === text)
      expect(posts).toHaveLength(1)
      expect(row).toMatchObject({ state: 'published', remoteId: posts[0]!.id, attempts: 1 })
      // Settled by reading the timeline, not by sending the post again.
      expect(x.requests.filter((r) => r.method === 'POST' && r.path === '/2/tweets')).toHaveLength(1)
      expect(x.counters.duplicatesRefused).toBe(0)
      expect(x.counters.timelineReads).toBeGreaterThanOrEqual(1)
    })
  })
})

describe.each(kinds)('a status Mastodon applied, then answered 503 (%s job store)', (kind) => {
  // Mastodon remembers an Idempotency-Key for an hour: a resend after that (ttl 0 here) makes a second status.
  describe.each([
    { idempotencyKeyTtlMs: 3600_000, name: 'within the hour Mastodon remembers keys' },
    { idempotencyKeyTtlMs: 0, name: 'after Mastodon forgot the key' },
  ])('$name', ({ idempotencyKeyTtlMs }) => {
    let f: PipelineFixture
    beforeEach(async () => {
      f = await openPipelineFixture(kind, { network: 'mastodon', mastodonOptions: { idempotencyKeyTtlMs } })
    })
    afterEach(async () => {
      await f?.close()
    })

    it('is published once, with the id of that status, found by lookup', async () => {
      const mastodon = f.mastodon!
      const text = `Launch day ${crypto.randomUUID().slice(0, 8)}`
      mastodon.injectFault({ kind: 'unavailable', apply: true, method: 'POST', path: '/api/v1/statuses' })
      const row = await publishOnce(f, text)
      const statuses = mastodon.statuses.filter((s) => s.text === text)
      expect(statuses).toHaveLength(1)
      expect(row).toMatchObject({ state: 'published', remoteId: statuses[0]!.id, attempts: 1 })
      // Settled by lookup, not by a resend that the Idempotency-Key happened to absorb.
      expect(mastodon.counters.idempotentReplays).toBe(0)
      expect(mastodon.counters.postsCreated).toBe(1)
    })
  })
})
