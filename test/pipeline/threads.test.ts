import { randomUUID } from 'node:crypto'
import { listDeliveries } from '../../db/queries/deliveries'
import type { BlueskyFaultRule } from '../servers/bluesky-pds'
import type { XApiFaultRule } from '../servers/x-api'
import { openPipelineFixture, serverStores, waitFor, type PipelineFixture, type StoreKind } from './harness'

/**
 * Issue 23: a thread whose publish was interrupted part-way is completed from its first missing part
 * (each part a reply to the one before), never re-posted from the start, and only then `published`.
 * Through the real X connector (twitter-api-v2) to the loopback X API, and through the real Bluesky
 * connector (@atproto/api) to a real PDS behind the fault-injecting proxy. The job store does not matter
 * here: one of them.
 */
const kinds: StoreKind[] = [serverStores[0] ?? 'embedded']

/** Faults on `POST /2/tweets` and what the pipeline must do about them. */
const scenarios: Array<{ name: string; faults: XApiFaultRule[]; attempts: number }> = [
  // X applied part 1, the answer was lost: lookup finds part 1, a continuation posts parts 2 and 3.
  { name: 'part 1 applied, then the connection reset', faults: [{ kind: 'reset', apply: true }], attempts: 2 },
  // The connector reports "stopped after 2 of 3" (unknown-outcome with `partial`): lookup finds no part 3, so it continues from there.
  { name: 'stopped after part 2, part 3 not applied', faults: [{ kind: 'reset', apply: false, after: 2 }], attempts: 2 },
  // Same, but X applied part 3: lookup finds all three, nothing more is sent.
  { name: 'stopped after part 2, part 3 applied', faults: [{ kind: 'reset', apply: true, after: 2 }], attempts: 1 },
  // The continuation's own request is lost too: the second lookup starts from the recorded part 1 and finds part 2.
  { name: 'part 1 applied and lost, then part 2 of the continuation applied and lost', faults: [{ kind: 'reset', apply: true }, { kind: 'reset', apply: true }], attempts: 3 },
]

describe.each(kinds)('threads interrupted part-way on X (%s job store)', (kind) => {
  let f: PipelineFixture
  beforeEach(async () => {
    f = await openPipelineFixture(kind, { network: 'x' })
  })
  afterEach(async () => {
    await f?.close()
  })

  it.each(scenarios)('$name: the thread is completed in order and published once complete', async ({ faults, attempts }) => {
    const x = f.x!
    const texts = [1, 2, 3].map((i) => `Thread part ${i}/3 ${randomUUID().slice(0, 8)}`)
    const { sequenceId, stepIds } = await f.createSeries({ steps: 1, content: () => ({ parts: texts.map((text) => ({ text })) }) })
    for (const fault of faults) x.injectFault({ ...fault, method: 'POST', path: '/2/tweets' })
    const { deliveries: planned } = await f.plan({ sequenceId, items: [{ stepId: stepIds[0]!, accountId: f.accountId, dueAt: new Date(Date.now() - 10) }] })
    await f.startWorker()
    const row = await waitFor('the delivery settled', async () => {
      const [r] = await listDeliveries(f.db, { workspaceId: f.workspaceId, deliveryIds: [planned[0]!.id] })
      return r && (r.state === 'published' || r.state === 'failed') && r
    })

    // Exactly three posts at X, one per part, each replying to the one before.
    expect(x.posts.map((p) => p.text)).toEqual(texts)
    expect(x.counters.duplicatesRefused).toBe(0)
    const [first, second, third] = x.posts as [(typeof x.posts)[0], (typeof x.posts)[0], (typeof x.posts)[0]]
    expect(first.inReplyTo).toBeUndefined()
    expect(second.inReplyTo).toBe(first.id)
    expect(third.inReplyTo).toBe(second.id)
    expect(row).toMatchObject({
      state: 'published',
      attempts,
      remoteId: first.id,
      remoteUrl: `https://x.com/${x.user.username}/status/${first.id}`,
      remotePartIds: [first.id, second.id, third.id],
    })
  })
})

describe.each(kinds)('threads interrupted part-way on Bluesky (%s job store)', (kind) => {
  let f: PipelineFixture
  beforeEach(async () => {
    f = await openPipelineFixture(kind, { network: 'bluesky' })
  })
  afterEach(async () => {
    await f?.close()
  })

  // The same faults on com.atproto.repo.createRecord: the connector reads each part back by its record key.
  it.each(scenarios)('$name: the thread is completed in order, each part replying to part 1 and the one before', async ({ faults, attempts }) => {
    const pds = f.bluesky!
    const texts = [1, 2, 3].map((i) => `Thread part ${i}/3 ${randomUUID().slice(0, 8)}`)
    const { sequenceId, stepIds } = await f.createSeries({ steps: 1, content: () => ({ parts: texts.map((text) => ({ text })) }) })
    for (const fault of faults) pds.injectFault({ ...(fault as BlueskyFaultRule), method: 'com.atproto.repo.createRecord' })
    const { deliveries: planned } = await f.plan({ sequenceId, items: [{ stepId: stepIds[0]!, accountId: f.accountId, dueAt: new Date(Date.now() - 10) }] })
    await f.startWorker()
    const row = await waitFor('the delivery settled', async () => {
      const [r] = await listDeliveries(f.db, { workspaceId: f.workspaceId, deliveryIds: [planned[0]!.id] })
      return r && (r.state === 'published' || r.state === 'failed') && r
    })

    // Exactly three posts in the repository, one per part, no create refused as a resend.
    const posts = await pds.listPosts(pds.did)
    expect(posts.map((p) => p.text).sort()).toEqual([...texts].sort())
    expect(pds.counters.duplicatesRefused).toBe(0)
    const [first, second, third] = texts.map((text) => posts.find((p) => p.text === text)!) as [(typeof posts)[0], (typeof posts)[0], (typeof posts)[0]]
    expect(first.reply).toBeUndefined()
    expect(second.reply).toEqual({ root: first.uri, parent: first.uri })
    expect(third.reply).toEqual({ root: first.uri, parent: second.uri })
    expect(row).toMatchObject({ state: 'published', attempts, remoteId: first.uri, remotePartIds: [first.uri, second.uri, third.uri] })
  })
})
