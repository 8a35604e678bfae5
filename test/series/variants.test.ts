import { and, eq } from 'drizzle-orm'
import { listDeliveries } from '../../db/queries/deliveries'
import { deliveries as deliveriesTable } from '../../db/schema'
import { loadCalendarPage } from '../../core/calendar.server'
import { loadSeriesAnalytics } from '../../core/series/analytics.server'
import { listSteps } from '../../db/queries/sequences'
import { fixedClock } from '../../domain/clock'
import { publishDelivery } from '../../core/publishing/publish.server'
import { csrfTokenOf, signUpAs, startTestApp, type TestApp, type TestBrowser } from '../app-server'
import { openPipelineFixture, serverStores, type PipelineFixture } from '../pipeline/harness'
import { connectTestAccount, createApiToken, workspaceIdOf } from './setup'

/**
 * Per-network variants (decision 098): a post carries its own text per network of the series' accounts;
 * the API and the editor's form accept them, validation counts each variant with its network's own
 * measure and names it, export (GET) and import (POST/PUT) keep them, and publishing sends each network
 * its variant (proved at loopback X and Mastodon servers).
 */

const clock = fixedClock(new Date('2026-03-10T12:00:00Z'))
let app: TestApp
let browser: TestBrowser
let token: string
let workspaceId: string
let mastodonId: string
let xId: string

beforeAll(async () => {
  app = await startTestApp({ clock, env: { X_CLIENT_ID: 'client', X_CLIENT_SECRET: 'secret' } })
  browser = await signUpAs(app, { email: 'writer@variants.test' })
  token = await createApiToken(browser)
  workspaceId = await workspaceIdOf(app, token)
  mastodonId = await connectTestAccount(app, { workspaceId, clock })
  xId = await connectTestAccount(app, { workspaceId, clock, kind: 'x', handle: 'team_x' })
})
afterAll(async () => {
  await app?.close()
})

const api = (path: string, init: { method: string; body?: unknown }) =>
  fetch(`${app.url}/api/v1${path}`, { method: init.method, headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body: init.body === undefined ? undefined : JSON.stringify(init.body) })

const series = (posts: unknown[], accountIds = [mastodonId, xId]) => ({ name: 'Variants', posts, accountIds, rule: 'FREQ=WEEKLY;BYDAY=TU;BYHOUR=9;BYMINUTE=0', start: '2026-03-17T09:00', timezone: 'Europe/Berlin' })

describe('per-network variants through the API and the editor', () => {
  it('the API takes variants, exports them with the series and takes the export back unchanged', async () => {
    const long = `A longer take for Mastodon: ${'words '.repeat(50).trim()}`
    const created = await api('/series', { method: 'POST', body: series([{ parts: [{ text: 'Short for X' }], variants: { mastodon: long } }, 'A plain second post']) })
    expect(created.status, await created.clone().text()).toBe(201)
    const body = await created.json()
    expect(body.content[0]).toEqual({ parts: [{ text: 'Short for X', images: [] }], variants: { mastodon: { parts: [{ text: long, images: [] }] } } })
    expect(body.content[1]).toEqual({ parts: [{ text: 'A plain second post', images: [] }] })
    const steps = await listSteps(app.services.database.db, { workspaceId, sequenceId: body.id })
    expect(steps[0]!.content).toEqual({ parts: [{ text: 'Short for X' }], variants: { mastodon: { parts: [{ text: long }] } } })

    // Export → import: the exported content, posted as a new series, stores the same steps.
    const exported = await (await api(`/series/${body.id}`, { method: 'GET' })).json()
    const imported = await api('/series', { method: 'POST', body: series(exported.content) })
    expect(imported.status).toBe(201)
    expect((await imported.json()).content).toEqual(exported.content)
    // And PUT with the exported content changes nothing.
    const put = await api(`/series/${body.id}`, { method: 'PUT', body: series(exported.content) })
    expect(put.status).toBe(200)
    expect((await put.json()).content).toEqual(exported.content)
  })

  it('counts a variant with its own network’s measure and names post, network and length; a variant without an account on its network is refused', async () => {
    // 300 characters are fine on Mastodon (500) but not in X's variant (280).
    const tooLong = await api('/series', { method: 'POST', body: series(['Main text', { parts: [{ text: 'Main' }], variants: { x: 'x'.repeat(300) } }]) })
    expect(tooLong.status).toBe(400)
    const error = await tooLong.json()
    expect(JSON.stringify(error)).toContain('Post 2, X variant: 300 characters, X allows 280')
    expect(JSON.stringify(error)).toContain('posts.1.variants.x.parts.0.text')
    // The main text is only checked where it is published: 300 characters main text with a short X variant is fine.
    const ok = await api('/series', { method: 'POST', body: series([{ parts: [{ text: 'm'.repeat(300) }], variants: { x: 'Short for X' } }]) })
    expect(ok.status, await ok.clone().text()).toBe(201)

    const orphan = await api('/series', { method: 'POST', body: series([{ parts: [{ text: 'Main' }], variants: { x: 'For X' } }], [mastodonId]) })
    expect(orphan.status).toBe(400)
    expect(JSON.stringify(await orphan.json())).toContain('posts.0.variants.x')
    const badKey = await api('/series', { method: 'POST', body: series([{ parts: [{ text: 'Main' }], variants: { 'Not A Network': 'x' } }]) })
    expect(badKey.status).toBe(400)
    expect(JSON.stringify(await badKey.json())).toContain('variants')
  })

  it('the editor’s form saves a variant, and the live check counts it apart from the main text', async () => {
    const csrf = csrfTokenOf(await (await browser.get('/app/series/new')).text())
    const fields = {
      name: 'Editor variants',
      [`account-${mastodonId}`]: 'on',
      [`account-${xId}`]: 'on',
      rule: 'FREQ=WEEKLY;BYDAY=TU;BYHOUR=9;BYMINUTE=0',
      start: '2026-03-17T09:00',
      timezone: 'Europe/Berlin',
      'post-1': 'The main text, long enough for Mastodon',
      'post-1-variant-x': 'Short for X',
    }
    const check = await (await browser.post('/app/series/check', { csrf, ...fields, 'post-1-variant-x': 'y'.repeat(281) })).json()
    // Main counters: Mastodon only; X counts its variant.
    expect(check.counters[0][0].map((c: { accountId: string }) => c.accountId)).toEqual([mastodonId])
    expect(check.variantCounters[0].x[0]).toEqual([expect.objectContaining({ accountId: xId, length: 281, max: 280 })])
    expect(check.variantCounters[0].x[0][0].problems).toHaveLength(1)

    const saved = await browser.submit('/app/series/new', fields)
    expect(saved.status, await saved.clone().text()).toBe(302)
    const seriesId = new URL(saved.headers.get('location')!, app.url).searchParams.get('series')!
    const steps = await listSteps(app.services.database.db, { workspaceId, sequenceId: seriesId })
    expect(steps.map((s) => s.content)).toEqual([{ parts: [{ text: 'The main text, long enough for Mastodon' }], variants: { x: { parts: [{ text: 'Short for X' }] } } }])

    const refused = await browser.submit('/app/series/new', { ...fields, 'post-1-variant-x': 'z'.repeat(290) })
    expect(refused.status).toBe(400)
    expect(await refused.text()).toContain('Post 1, X variant: 290 characters, X allows 280')
  })
})

describe('variants where posts are shown (issue 20, decision 101)', () => {
  it('the calendar and the series analytics show each network’s own text', async () => {
    const created = await api('/series', { method: 'POST', body: { ...series([{ parts: [{ text: 'Main text' }], variants: { mastodon: 'Mastodon’s own words #fediverse' } }]), name: 'Shown variants' } })
    expect(created.status, await created.clone().text()).toBe(201)
    const { id: seriesId } = await created.json()
    const page = await loadCalendarPage(app.services, { workspaceId, params: new URLSearchParams({ series: seriesId }) })
    const byNetwork = Object.fromEntries(page.items.filter((i) => i.post === 1).map((i) => [i.kind, { title: i.title, text: i.text }]))
    expect(byNetwork.mastodon!.text).toBe('Mastodon’s own words #fediverse')
    expect(byNetwork.mastodon!.title).toMatch(/^Mastodon’s own words/)
    expect(byNetwork.x).toEqual({ title: 'Main text', text: 'Main text' })

    // Published an hour ago: the analytics rows show what each network published.
    const db = app.services.database.db
    const publishedAt = new Date(clock.now().getTime() - 3_600_000)
    await db.update(deliveriesTable).set({ state: 'published', publishedAt }).where(and(eq(deliveriesTable.workspaceId, workspaceId), eq(deliveriesTable.sequenceId, seriesId)))
    const analytics = await loadSeriesAnalytics(app.services, { workspaceId, seriesId })
    expect(Object.fromEntries(analytics.posts.map((p) => [p.network, p.text]))).toEqual({ mastodon: 'Mastodon’s own words #fediverse', x: 'Main text' })
  })
})

describe('per-network variants in a CSV import', () => {
  async function preview(text: string, accountIds: string[]) {
    const body = new FormData()
    body.set('csrf', csrfTokenOf(await (await browser.get('/app/series/new')).text()))
    for (const id of accountIds) body.set(`account-${id}`, 'on')
    body.set('text', text)
    const response = await browser.request('/app/series/import', { method: 'POST', body })
    return { status: response.status, body: await response.json() }
  }

  it('reads variant_<network> columns into variants and checks each account against its own network’s text', async () => {
    const csv = ['text,variant_x', `${'m'.repeat(300)},Short for X`, `Fine on both,${'y'.repeat(281)}`, 'No variant here,'].join('\n')
    const { status, body } = await preview(csv, [mastodonId, xId])
    expect(status).toBe(200)
    expect(body.rows.map((r: { post: unknown }) => r.post)).toEqual([
      { parts: [{ text: 'm'.repeat(300), images: [] }], variants: { x: { parts: [{ text: 'Short for X', images: [] }] } } },
      { parts: [{ text: 'Fine on both', images: [] }], variants: { x: { parts: [{ text: 'y'.repeat(281), images: [] }] } } },
      { parts: [{ text: 'No variant here', images: [] }] },
    ])
    // Row 2's main text is 300 characters: fine, since X publishes its variant; row 3's X variant is too long.
    expect(body.rows.map((r: { errors: string[] }) => r.errors.length)).toEqual([0, 1, 0])
    expect(body.rows[1].errors[0]).toMatch(/^@team_x \(X variant\): /)
    // A variant for a network none of the chosen accounts is on is a row problem.
    const orphan = await preview('text,variant_x\nMain,For X', [mastodonId])
    expect(orphan.body.rows[0].errors).toEqual(['variant_x: none of the chosen accounts is on X'])
  })
})

describe.each(serverStores.slice(0, 1))('publishing a variant (%s job store)', (kind) => {
  let f: PipelineFixture
  beforeAll(async () => {
    f = await openPipelineFixture(kind, { network: 'x', alsoNetworks: ['mastodon'] })
  })
  afterAll(async () => {
    await f?.close()
  })

  it('each network receives its own variant; a network without one receives the main text', async () => {
    const { sequenceId, stepIds } = await f.createSeries({
      steps: 1,
      content: () => ({ parts: [{ text: 'Main text for X' }, { text: 'The link is in this reply' }], firstComment: true, variants: { mastodon: { parts: [{ text: 'Mastodon gets the longer version #fediverse' }] } } }),
    })
    const due = new Date(Date.now() - 1000)
    const { deliveries } = await f.plan({ sequenceId, items: [f.accountIds.x!, f.accountIds.mastodon!].map((accountId) => ({ stepId: stepIds[0]!, accountId, dueAt: due })) })
    const deps = f.deps()
    for (const d of deliveries) expect(await publishDelivery(deps, { workspaceId: f.workspaceId, deliveryId: d.id })).toEqual({ result: 'published' })

    expect(f.x!.posts.map((p) => p.text)).toEqual(['Main text for X', 'The link is in this reply'])
    expect(f.mastodon!.statuses.map((s) => s.text)).toEqual(['Mastodon gets the longer version #fediverse', 'The link is in this reply'])
    // The first comment replies to the variant's post.
    expect(f.mastodon!.statuses[1]!.inReplyTo).toBe(f.mastodon!.statuses[0]!.id)
    const rows = await listDeliveries(f.db, { workspaceId: f.workspaceId, deliveryIds: deliveries.map((d) => d.id) })
    expect(rows.every((r) => r.state === 'published')).toBe(true)
  })
})
