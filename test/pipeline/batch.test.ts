import type { JobWithId } from 'agenda'
import { getDelivery } from '../../db/queries/deliveries'
import { publishDueBatch } from '../../core/publishing/publish.server'
import { cancelUniqueJob, dropDeliveryJobs, PUBLISH_DELIVERY_JOB } from '../../jobs/enqueue'
import { openPipelineFixture, serverStores, waitFor, type PipelineFixture, type StoreKind } from './harness'

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
  it('with a job ending at its own delivery (decision 112), the next job starts while its siblings are still publishing', async () => {
    // One publish job at a time, batches of 5, six due deliveries. A job's own delivery goes through; every
    // other one waits at the network until all six have got there. The sixth (claimed by a second job) can
    // only get there if the first job ended while its four siblings were held.
    const { sequenceId, stepIds } = await f.createSeries({ steps: 6 })
    const owns = new Set<string>()
    const reached = new Set<string>()
    let release!: () => void
    const gate = new Promise<void>((resolve) => (release = resolve))
    const hooks = {
      beforeNetwork: async ({ deliveryId }: { deliveryId: string }) => {
        reached.add(deliveryId)
        if (reached.size === stepIds.length) release()
        if (!owns.has(deliveryId)) await gate
      },
    }
    // A held call stays within its deadline and lease (as every network call does), however slowly the store starts the next job.
    const worker = await f.startWorker({ hooks, concurrency: 5, publish: { jobs: 1, endWithOwn: true }, options: { leaseMs: 40_000, connectorTimeoutMs: 30_000, videoLeaseMs: 40_000, videoConnectorTimeoutMs: 30_000 } })
    // Agenda announces each job before running it: that job's key is its own delivery.
    const started: string[] = []
    worker.store.agenda.on(`start:${PUBLISH_DELIVERY_JOB}`, (job: JobWithId) => void (owns.add((job.attrs.data as { key: string }).key), started.push((job.attrs.data as { key: string }).key)))
    const { deliveries } = await f.plan({ sequenceId, items: stepIds.map((stepId) => ({ stepId, accountId: f.accountId, dueAt: inMs(-100) })) })
    await waitFor('all six at the network at once', () => reached.size === deliveries.length, 25_000)
    await waitFor('all six published', async () => {
      const states = await Promise.all(deliveries.map((d) => getDelivery(f.db, { workspaceId: f.workspaceId, deliveryId: d.id })))
      return states.every((d) => d?.state === 'published')
    }, 60_000)
    const counts = new Map<string, number>()
    for (const post of f.server.posts) counts.set(post.idempotencyKey, (counts.get(post.idempotencyKey) ?? 0) + 1)
    expect(deliveries.map((d) => counts.get(d.id))).toEqual([1, 1, 1, 1, 1, 1])
    // The first job was kept as its siblings' watch (decision 118), due at their lease end 40 s on: once they
    // are settled it is removed, not run again.
    const left = async () => (await worker.store.agenda.queryJobs({ name: PUBLISH_DELIVERY_JOB })).jobs.length
    await waitFor('no publish job left', async () => (await left()) === 0, 10_000)
    expect(started.length).toBe(new Set(started).size)
  }, 120_000)
})
