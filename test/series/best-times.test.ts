import { createSequence } from '../../db/queries/sequences'
import { deliveries, linkClicks, postMetrics, shortLinks, workspaces } from '../../db/schema'
import { fixedClock } from '../../domain/clock'
import { getBestTimes } from '../../core/queue.server'
import { signUpAs, startTestApp, type TestApp, type TestBrowser } from '../app-server'
import { connectTestAccount, createApiToken, workspaceIdOf } from './setup'

/**
 * Best-time suggestions (issue 20, decision 101) on real PostgreSQL through the built app: published
 * deliveries with known 24 h metrics (and short-link clicks before and after 24 h) are ranked by
 * weekday × hour in the account's zone — a slot with two viral posts is not suggested, other accounts'
 * and other workspaces' posts and unread or 1 h-only metrics do not count — over the core query, the API
 * and the queue page, whose "Add as a posting time" form adds the slot; too little data answers how many
 * more posts are needed and suggests nothing. Needs `npx remix build`.
 */
const HOUR = 3_600_000
const WEEK = 7 * 24 * HOUR
const clock = fixedClock(new Date('2026-03-27T09:00:00Z'))
// Tuesday 6 January 2026, 09:00 in Berlin (CET): every seeded post is before the DST change.
const TUE_0900 = Date.parse('2026-01-06T08:00:00Z')

let app: TestApp
let browser: TestBrowser
let token: string
let workspaceId: string
let accountId: string
let quietAccountId: string
let foreignAccountId: string

type Seeded = { at: number; likes: number; clicks?: { before24h: number; after24h: number }; metric?: '24h' | '1h' | 'retry' }

/** One published post per entry (each its own step), with its metrics as the metrics job stores them. */
async function seed(args: { workspaceId: string; accountId: string; posts: Seeded[] }) {
  const db = app.services.database.db
  const { sequence, steps } = await createSequence(db, {
    workspaceId: args.workspaceId,
    kind: 'series',
    name: `Seeded ${args.accountId.slice(0, 8)} ${args.posts.length}`,
    steps: args.posts.map((_, i) => ({ parts: [{ text: `Post ${i + 1}`, images: [] }] })),
    clock,
  })
  for (const [i, post] of args.posts.entries()) {
    const at = new Date(post.at)
    const [row] = await db
      .insert(deliveries)
      .values({ workspaceId: args.workspaceId, sequenceId: sequence.id, stepId: steps[i]!.id, accountId: args.accountId, dueAt: at, state: 'published', publishedAt: at, remoteId: String(i), createdAt: at, updatedAt: at })
      .returning()
    const metric = post.metric ?? '24h'
    await db.insert(postMetrics).values({
      workspaceId: args.workspaceId,
      deliveryId: row!.id,
      age: metric === 'retry' ? '24h' : metric,
      state: metric === 'retry' ? 'retry' : 'done',
      fetchedAt: new Date(post.at + 24 * HOUR),
      likes: post.likes,
      reposts: 0,
      replies: 0,
    })
    if (post.clicks) {
      const [link] = await db
        .insert(shortLinks)
        .values({ workspaceId: args.workspaceId, code: `bt${row!.id.replace(/-/g, '').slice(0, 14)}`, deliveryId: row!.id, sequenceId: sequence.id, stepId: steps[i]!.id, network: 'mastodon', originalUrl: 'https://brand.test/', targetUrl: 'https://brand.test/?utm_source=mastodon' })
        .returning()
      const clicks = [...Array.from({ length: post.clicks.before24h }, () => post.at + HOUR), ...Array.from({ length: post.clicks.after24h }, () => post.at + 30 * HOUR)]
      await db.insert(linkClicks).values(clicks.map((c) => ({ workspaceId: args.workspaceId, shortLinkId: link!.id, clickedAt: new Date(c) })))
    }
  }
}

const weekly = (first: number, likes: number[]): Seeded[] => likes.map((l, i) => ({ at: first + i * WEEK, likes: l }))

beforeAll(async () => {
  app = await startTestApp({ clock })
  browser = await signUpAs(app, { email: 'owner@besttimes.test' })
  token = await createApiToken(browser)
  workspaceId = await workspaceIdOf(app, token)
  accountId = await connectTestAccount(app, { workspaceId, clock })
  quietAccountId = await connectTestAccount(app, { workspaceId, clock, handle: 'quiet@social.example' })
  const [rival] = await app.services.database.db.insert(workspaces).values({ name: 'Rival' }).returning()
  const otherWorkspaceId = rival!.id
  foreignAccountId = await connectTestAccount(app, { workspaceId: otherWorkspaceId, clock, handle: 'rival@social.example' })
  expect((await api('PUT', `/accounts/${accountId}/queue`, { timezone: 'Europe/Berlin', slots: [{ day: 'MO', time: '08:00' }] })).status).toBe(200)

  await seed({
    workspaceId,
    accountId,
    posts: [
      // Tue 09:00: 300, 340 (290 likes + 50 clicks in the first 24 h; the 100 later ones do not count), 360, 500 → median 350.
      { at: TUE_0900, likes: 300 },
      { at: TUE_0900 + WEEK, likes: 290, clicks: { before24h: 50, after24h: 100 } },
      { at: TUE_0900 + 2 * WEEK, likes: 360 },
      { at: TUE_0900 + 3 * WEEK, likes: 500 },
      ...weekly(TUE_0900 + 24 * HOUR + 4 * HOUR, [100, 120, 90]), // Wed 13:00 → 100
      ...weekly(TUE_0900 + 48 * HOUR, [5000, 4000]), // Thu 09:00: two viral posts, fewer than 3
      ...weekly(TUE_0900 + 72 * HOUR + 9 * HOUR, [200, 210, 190]), // Fri 18:00 → 200
      // Not counted: no 24 h reading yet (only 1 h), or a 24 h reading still to retry.
      { at: TUE_0900 + 48 * HOUR + WEEK * 2, likes: 9000, metric: '1h' },
      { at: TUE_0900 + 48 * HOUR + WEEK * 3, likes: 9000, metric: 'retry' },
    ],
  })
  // Another account's and another workspace's posts at Thu 09:00 do not lift this account's slot.
  await seed({ workspaceId, accountId: quietAccountId, posts: weekly(TUE_0900 + 48 * HOUR, [7000, 7000, 7000, 7000]) })
  await seed({ workspaceId: otherWorkspaceId, accountId: foreignAccountId, posts: weekly(TUE_0900 + 48 * HOUR, Array(12).fill(9000)) })
}, 60_000)
afterAll(async () => {
  await app?.close()
})

const api = (method: string, path: string, body?: unknown) =>
  fetch(`${app.url}/api/v1${path}`, { method, headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) })

it('ranks the account’s weekday × hour slots by median engagement at 24 h, in its queue’s zone', async () => {
  const result = await getBestTimes(app.services, { workspaceId, accountId })
  expect(result).toMatchObject({ status: 'ready', timezone: 'Europe/Berlin', posts: 12 })
  if (result.status !== 'ready') return
  expect(result.suggestions.map((s) => `${s.day} ${s.time}: ${s.posts} posts, median ${s.median}`)).toEqual([
    'TU 09:00: 4 posts, median 350',
    'FR 18:00: 3 posts, median 200',
    'WE 13:00: 3 posts, median 100',
  ])
  const response = await api('GET', `/accounts/${accountId}/best-times`)
  expect(response.status).toBe(200)
  expect(await response.json()).toEqual(JSON.parse(JSON.stringify(result)))
  expect((await api('GET', `/accounts/${foreignAccountId}/best-times`)).status).toBe(404)
  expect((await api('GET', '/accounts/nope/best-times')).status).toBe(404)
  const openapi = await (await fetch(`${app.url}/api/v1/openapi.json`)).json()
  expect(openapi.paths['/accounts/{accountId}/best-times'].get.operationId).toBe('getBestTimes')
})

it('says how many more posts are needed with too little data, and suggests nothing', async () => {
  const result = await getBestTimes(app.services, { workspaceId, accountId: quietAccountId })
  expect(result).toMatchObject({ status: 'not-enough-data', posts: 4, needed: 6 })
  expect(result).not.toHaveProperty('suggestions')
  const page = await (await browser.get(`/app/accounts/${quietAccountId}/queue`)).text()
  expect(page).toContain('this account has 4, so 6 more posts are needed')
  expect(page).not.toContain('Add as a posting time')
})

it('shows the suggestions on the queue page, whose button adds the slot through the page’s form', async () => {
  const html = await (await browser.get(`/app/accounts/${accountId}/queue`)).text()
  expect(html).toContain('Tue 09:00 — 4 posts, median 350 engagements')
  const form = /<form[^>]*aria-label="Add Tue 09:00 as a posting time"[^>]*>([\s\S]*?)<\/form>/.exec(html)?.[1]
  expect(form).toBeDefined()
  const fields = Object.fromEntries([...form!.matchAll(/<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"/g)].map((m) => [m[1]!, m[2]!]))
  expect(fields).toMatchObject({ timezone: 'Europe/Berlin', 'times-MO': '08:00', 'times-TU': '09:00' })
  expect(fields.csrf).toBeTruthy()
  expect((await browser.post(`/app/accounts/${accountId}/queue`, fields)).status).toBe(200)
  expect((await (await api('GET', `/accounts/${accountId}/queue`)).json()).slots).toEqual([
    { day: 'MO', time: '08:00' },
    { day: 'TU', time: '09:00' },
  ])
  const after = await (await browser.get(`/app/accounts/${accountId}/queue`)).text()
  expect(after).not.toContain('aria-label="Add Tue 09:00 as a posting time"')
  expect(after).toContain('Already a posting time')
})
