import { getDelivery } from '../../db/queries/deliveries'
import { publishDueBatch } from '../../core/publishing/publish.server'
import { cancelUniqueJob, dropDeliveryJobs, PUBLISH_DELIVERY_JOB } from '../../jobs/enqueue'
import { openPipelineFixture, serverStores, type PipelineFixture, type StoreKind } from './harness'

const inMs = (ms: number) => new Date(Date.now() + ms)

// Decision 106: one publish job claims its delivery and other due ones in one statement.
describe.each(serverStores as StoreKind[])('publishing a batch (%s job store)', (kind) => {
  let f: PipelineFixture
  beforeEach(async () => {
    f = await openPipelineFixture(kind)
  })
  afterEach(async () => {
    await f?.close()
  })

  it('claims the due deliveries besides its own, publishes each once, drops their jobs and leaves the rest', async () => {
    const { sequenceId, stepIds } = await f.createSeries({ steps: 6 })
    const due = stepIds.slice(0, 4).map((stepId) => ({ stepId, accountId: f.accountId, dueAt: inMs(-100) }))
    const later = stepIds.slice(4).map((stepId) => ({ stepId, accountId: f.accountId, dueAt: inMs(3_600_000) }))
    const { deliveries } = await f.plan({ sequenceId, items: [...due, ...later] })
    const [own, ...siblings] = deliveries.slice(0, 4)
    const notDue = deliveries.slice(4)
    const deps = f.deps()
    const batch = { batchSize: 10, dropJobs: async (ids: string[]) => void (await dropDeliveryJobs(f.producer.agenda, { deliveryIds: ids })) }

    expect(await publishDueBatch(deps, { workspaceId: f.workspaceId, deliveryId: own!.id }, batch)).toEqual({ result: 'published' })

    for (const d of [own!, ...siblings]) expect((await getDelivery(f.db, { workspaceId: f.workspaceId, deliveryId: d.id }))?.state).toBe('published')
    for (const d of notDue) expect((await getDelivery(f.db, { workspaceId: f.workspaceId, deliveryId: d.id }))?.state).toBe('queued')
    const counts = new Map<string, number>()
    for (const post of f.server.posts) counts.set(post.idempotencyKey, (counts.get(post.idempotencyKey) ?? 0) + 1)
    expect([own!, ...siblings].map((d) => counts.get(d.id))).toEqual([1, 1, 1, 1])
    expect(notDue.map((d) => counts.get(d.id) ?? 0)).toEqual([0, 0])
    // The siblings' jobs are gone; the later deliveries keep theirs (the job of `own` is its runner's to remove).
    for (const d of siblings) expect(await cancelUniqueJob(f.producer.agenda, { name: PUBLISH_DELIVERY_JOB, key: d.id })).toBe(0)
    for (const d of notDue) expect(await cancelUniqueJob(f.producer.agenda, { name: PUBLISH_DELIVERY_JOB, key: d.id })).toBe(1)

    // A sibling's job that ran anyway (locked before the drop) publishes nothing again.
    expect(await publishDueBatch(deps, { workspaceId: f.workspaceId, deliveryId: siblings[0]!.id }, batch)).toEqual({ result: 'ignored' })
    expect(f.server.posts).toHaveLength(4)
  })
})
