import { eq } from 'drizzle-orm'
import { reconcileDeliveries } from '../../core/publishing/reconcile.server'
import { publishDelivery } from '../../core/publishing/publish.server'
import { pipelineDeps } from '../../core/publishing/targets.server'
import { connectAccount } from '../../db/queries/accounts'
import { planDeliveries } from '../../db/queries/deliveries'
import { createSequence } from '../../db/queries/sequences'
import { deliveries, workspaces } from '../../db/schema'
import { deliveryScheduler } from '../../jobs/enqueue'
import { startTestApp, type TestApp } from '../app-server'
import { startRedditApiServer, type RedditApiServer } from '../servers/reddit-api'

/**
 * A network whose listings are cached (Reddit, `lookupSettleMs`): Reddit applied a submit and answered
 * 503, and its submitted listing is still the cached one from before the post. A lookup at the usual
 * minute would find nothing and let the pipeline submit the post again (decision 097's double post). The
 * reconciler does not ask before the attempt is old enough to show in the listing; then it finds the
 * post and records it: one post, no resend.
 */

let now = Date.now()
const clock = { now: () => new Date(now) }
let app: TestApp
let reddit: RedditApiServer

beforeAll(async () => {
  reddit = await startRedditApiServer()
  app = await startTestApp({
    clock,
    env: { REDDIT_CLIENT_ID: reddit.clientId, REDDIT_CLIENT_SECRET: reddit.clientSecret, REDDIT_API_URL: reddit.url, REDDIT_OAUTH_URL: `${reddit.url}/api/v1` },
  })
})
afterAll(async () => {
  await app?.close()
  await reddit?.close()
})

it('looks a Reddit post of unknown outcome up only once the listing can show it, and records it without a second submit', async () => {
  const { db } = app.services.database
  const [workspace] = await db.insert(workspaces).values({ name: 'Cached listings' }).returning()
  const workspaceId = workspace!.id
  const tokens = reddit.issueTokens()
  const account = await connectAccount(db, {
    workspaceId,
    kind: 'reddit',
    remoteAccountId: `${reddit.user.id}/trickletest`,
    handle: 'r/trickletest',
    credentials: { accessToken: tokens.accessToken, refreshToken: tokens.refreshToken, expiresAt: new Date(now + tokens.expiresIn * 1000), extra: { username: reddit.user.name, subreddit: 'trickletest' } },
    keyring: app.services.keyring,
    clock,
  })
  const title = `Release notes ${now}`
  const { sequence, steps } = await createSequence(db, { workspaceId, kind: 'series', name: 'Notes', steps: [{ parts: [{ text: `${title}\n\nWhat changed this week.` }] }], clock })
  const planned = await planDeliveries(db, {
    workspaceId,
    sequenceId: sequence.id,
    items: [{ stepId: steps[0]!.id, accountId: account.id, dueAt: clock.now() }],
    clock,
    scheduler: deliveryScheduler(app.services.jobs.agenda),
  })
  const deliveryId = planned.deliveries[0]!.id
  const deps = pipelineDeps(app.services)
  const row = async () => (await db.select().from(deliveries).where(eq(deliveries.id, deliveryId)))[0]!

  // The listing is the cached one from before the post; the submit applies and answers 503.
  reddit.staleListing = true
  reddit.injectFault({ kind: 'unavailable', apply: true })
  expect(await publishDelivery(deps, { workspaceId, deliveryId })).toEqual({ result: 'needs_review' })
  expect(reddit.posts.filter((p) => p.title === title)).toHaveLength(1)
  const sentAt = (await row()).sendingAt!

  // The pipeline's lookup minute has passed, but not Reddit's: no lookup, no resend, asked again later.
  now += 61_000
  const early = await reconcileDeliveries(deps)
  expect(early).toMatchObject({ lookedUp: 0, requeued: 0, foundPublished: 0 })
  expect(reddit.counters.listingReads).toBe(0)
  expect(await row()).toMatchObject({ state: 'needs_review', nextAttemptAt: new Date(sentAt.getTime() + 10 * 60_000) })
  expect(await row()).toMatchObject({ lastError: expect.stringContaining('Reddit is asked once its listing shows posts this recent') })
  expect(await publishDelivery(deps, { workspaceId, deliveryId })).toEqual({ result: 'ignored' })

  // Ten minutes on, the listing shows it: found and recorded, still one post.
  reddit.staleListing = false
  now = sentAt.getTime() + 10 * 60_000 + 1_000
  const late = await reconcileDeliveries(deps)
  expect(late).toMatchObject({ lookedUp: 1, foundPublished: 1 })
  const post = reddit.posts.find((p) => p.title === title)!
  expect(await row()).toMatchObject({ state: 'published', remoteId: post.name })
  expect(reddit.posts.filter((p) => p.title === title)).toHaveLength(1)
  expect(reddit.counters.postsCreated).toBe(1)
})
