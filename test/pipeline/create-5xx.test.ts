import { listDeliveries } from '../../db/queries/deliveries'
import { openPipelineFixture, serverStores, waitFor, type PipelineFixture, type StoreKind } from './harness'

/**
 * Issue 23: X applied a post and answered 503. Read as `transient`, the 503 was resent blindly: a second
 * post, or (with X's duplicate check) a 403 "duplicate content" that failed a delivery whose post was
 * live. A 5xx on a create is an unknown outcome: the reconciler looks the post up and records it.
 */
const kinds: StoreKind[] = [...serverStores, 'embedded']

describe.each(kinds)('a post X applied, then answered 503 (%s job store)', (kind) => {
  let f: PipelineFixture | undefined
  afterEach(async () => {
    await f?.close()
    f = undefined
  })

  it.each([
    { duplicateCheck: true, name: 'with X duplicate detection (as on X)' },
    { duplicateCheck: false, name: 'without duplicate detection' },
  ])('$name: published once, with the id of that post, found by lookup', async ({ duplicateCheck }) => {
    f = await openPipelineFixture(kind, { network: 'x', xOptions: { rejectDuplicates: duplicateCheck } })
    const x = f.x!
    const text = `Launch day ${crypto.randomUUID().slice(0, 8)}`
    const { sequenceId, stepIds } = await f.createSeries({ steps: 1, text: () => text })
    const { deliveries: planned } = await f.plan({ sequenceId, items: [{ stepId: stepIds[0]!, accountId: f.accountId, dueAt: new Date(Date.now() - 100) }] })
    const deliveryId = planned[0]!.id
    x.injectFault({ kind: 'unavailable', apply: true, method: 'POST', path: '/2/tweets' })
    await f.startWorker()
    const [row] = await waitFor('the delivery settled', async () => {
      const rows = await listDeliveries(f!.db, { workspaceId: f!.workspaceId, deliveryIds: [deliveryId] })
      return rows.every((r) => r.state === 'published' || r.state === 'failed') && rows
    })
    const posts = x.posts.filter((p) => p.text === text)
    expect(posts).toHaveLength(1)
    expect(row).toMatchObject({ state: 'published', remoteId: posts[0]!.id, attempts: 1 })
    // Settled by reading the timeline, not by sending the post again.
    expect(x.requests.filter((r) => r.method === 'POST' && r.path === '/2/tweets')).toHaveLength(1)
    expect(x.counters.duplicatesRefused).toBe(0)
    expect(x.counters.timelineReads).toBeGreaterThanOrEqual(1)
  })
})

describe.each(kinds)('a status Mastodon applied, then answered 503 (%s job store)', (kind) => {
  let f: PipelineFixture | undefined
  afterEach(async () => {
    await f?.close()
    f = undefined
  })

  // Mastodon remembers an Idempotency-Key for an hour: a resend after that (ttl 0 here) makes a second status.
  it.each([
    { idempotencyKeyTtlMs: 3600_000, name: 'within the hour Mastodon remembers keys' },
    { idempotencyKeyTtlMs: 0, name: 'after Mastodon forgot the key' },
  ])('$name: published once, with the id of that status, found by lookup', async ({ idempotencyKeyTtlMs }) => {
    f = await openPipelineFixture(kind, { network: 'mastodon', mastodonOptions: { idempotencyKeyTtlMs } })
    const mastodon = f.mastodon!
    const text = `Launch day ${crypto.randomUUID().slice(0, 8)}`
    const { sequenceId, stepIds } = await f.createSeries({ steps: 1, text: () => text })
    const { deliveries: planned } = await f.plan({ sequenceId, items: [{ stepId: stepIds[0]!, accountId: f.accountId, dueAt: new Date(Date.now() - 100) }] })
    const deliveryId = planned[0]!.id
    mastodon.injectFault({ kind: 'unavailable', apply: true, method: 'POST', path: '/api/v1/statuses' })
    await f.startWorker()
    const [row] = await waitFor('the delivery settled', async () => {
      const rows = await listDeliveries(f!.db, { workspaceId: f!.workspaceId, deliveryIds: [deliveryId] })
      return rows.every((r) => r.state === 'published' || r.state === 'failed') && rows
    })
    const statuses = mastodon.statuses.filter((s) => s.text === text)
    expect(statuses).toHaveLength(1)
    expect(row).toMatchObject({ state: 'published', remoteId: statuses[0]!.id, attempts: 1 })
    // Settled by lookup, not by a resend that the Idempotency-Key happened to absorb.
    expect(mastodon.counters.idempotentReplays).toBe(0)
    expect(mastodon.counters.postsCreated).toBe(1)
  })
})
