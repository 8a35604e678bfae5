import { createEmailConnector } from '../../connectors/email/index'
import { connectAccount } from '../../db/queries/accounts'
import { insertContact } from '../../db/queries/contacts'
import { createSequence } from '../../db/queries/sequences'
import { deliveries, linkClicks, postMetrics, shortLinks, workspaces } from '../../db/schema'
import { dripRunnerDeps, runDripPass } from '../../core/drips/runner.server'
import { startEmailApp, type EmailTestApp } from '../email/setup'

/**
 * The workspace funnel across channels (issue 18, decision 094): a drip and a series share the campaign
 * "Spring launch". The drip sends three emails through the real runner and SMTP; one bounces, one is
 * clicked through the real tracking route, one contact buys (a conversion). The series has one published
 * post with a metrics read of 500 impressions and three short-link clicks (as the metrics job and the
 * `/l/{code}` route store them). The API, the page and the CSV show reach 502, clicks 4, enrollments 3,
 * conversions 1. Needs `npx remix build`.
 */
let t: EmailTestApp
const email = createEmailConnector({ allowPrivateNetworkHosts: true })
const CAMPAIGN = 'Spring launch'
let dripId: string
let seriesId: string

beforeAll(async () => {
  t = await startEmailApp({ worker: false })
  const db = t.app.services.database.db
  const created = await t.api('POST', '/api/v1/drips', { name: 'Launch emails', campaign: `  ${CAMPAIGN} `, goals: ['purchase'], steps: [{ subject: 'Launch', markdown: 'See [the launch](https://brand.test/launch).' }] })
  expect(created.status).toBe(201)
  const drip = await created.json()
  expect(drip.campaign).toBe(CAMPAIGN)
  dripId = drip.id
  expect((await t.api('POST', `/api/v1/drips/${dripId}/activate`)).status).toBe(200)
  for (const name of ['ann', 'bob', 'cat']) {
    await insertContact(db, { workspaceId: t.workspaceId, email: `${name}@example.com`, at: t.clock.now() })
    expect((await t.api('POST', `/api/v1/drips/${dripId}/enrollments`, { email: `${name}@example.com` })).status).toBe(201)
  }
  expect((await runDripPass(dripRunnerDeps(t.app.services, { email }))).sent).toBe(3)
  const ann = t.smtp.messages.find((m) => m.envelope.to.includes('ann@example.com'))!.parsed.html as string
  const click = [...ann.matchAll(new RegExp(`${t.app.url}/t/c/[^"]+`, 'g'))][0]![0].replace(/&amp;/g, '&')
  expect((await fetch(click, { redirect: 'manual' })).status).toBe(302)
  expect((await t.api('POST', '/api/v1/dsn', { recipients: [{ recipient: 'cat@example.com', action: 'failed', status: '5.1.1' }] })).status).toBe(200)
  t.clock.advance(3_600_000)
  expect((await t.api('POST', '/api/v1/events', { email: 'ann@example.com', type: 'purchase', properties: { value: 30, currency: 'EUR' } })).status).toBe(201)

  // The series' side, as the publishing pipeline, the metrics job and /l/{code} leave it.
  const at = t.clock.now()
  const account = await connectAccount(db, { workspaceId: t.workspaceId, kind: 'mastodon', remoteAccountId: '1', handle: 'brand', credentials: { accessToken: 'token' }, keyring: t.app.services.keyring, clock: t.clock })
  const { sequence, steps } = await createSequence(db, { workspaceId: t.workspaceId, kind: 'series', name: 'Launch posts', campaign: CAMPAIGN, steps: [{ parts: [{ text: 'We launched', images: [] }] }], clock: t.clock })
  seriesId = sequence.id
  const [post] = await db
    .insert(deliveries)
    .values({ workspaceId: t.workspaceId, sequenceId: seriesId, stepId: steps[0]!.id, accountId: account.id, dueAt: at, state: 'published', publishedAt: at, remoteId: '9', createdAt: at, updatedAt: at })
    .returning()
  await db.insert(postMetrics).values({ workspaceId: t.workspaceId, deliveryId: post!.id, age: '1h', state: 'done', fetchedAt: at, impressions: 500, likes: 7, reposts: 1, replies: 0 })
  const [link] = await db
    .insert(shortLinks)
    .values({ workspaceId: t.workspaceId, code: 'AAAAAAAAAAAAAAAA', deliveryId: post!.id, sequenceId: seriesId, stepId: steps[0]!.id, network: 'mastodon', originalUrl: 'https://brand.test/launch', targetUrl: 'https://brand.test/launch?utm_source=mastodon' })
    .returning()
  for (let i = 0; i < 3; i++) await db.insert(linkClicks).values({ workspaceId: t.workspaceId, shortLinkId: link!.id, clickedAt: at })
  // Another workspace's sequence with the same tag is not counted; an untagged drip is not either.
  expect((await t.api('POST', '/api/v1/drips', { name: 'Untagged', steps: [{ subject: 's', markdown: 'm' }] })).status).toBe(201)
  const [rival] = await db.insert(workspaces).values({ name: 'Rival' }).returning()
  await createSequence(db, { workspaceId: rival!.id, kind: 'drip', name: 'Theirs', campaign: CAMPAIGN, steps: [{ parts: [{ text: 'x', images: [] }] }], clock: t.clock })
  t.clock.advance(60_000)
})
afterAll(async () => {
  email.close()
  await t?.close()
})

const STAGES = [
  ['reach', 500, 3 - 1, 502],
  ['clicks', 3, 1, 4],
  ['enrollments', null, null, 3],
  ['conversions', null, null, 1],
]

describe('the campaign funnel across channels', () => {
  it('GET /api/v1/analytics/campaigns/{campaign}: reach → clicks → enrollments → conversions, per channel', async () => {
    const response = await t.api('GET', `/api/v1/analytics/campaigns/${encodeURIComponent(CAMPAIGN)}?days=7`)
    expect(response.status).toBe(200)
    const a = await response.json()
    expect(a.campaign).toBe(CAMPAIGN)
    expect(a.funnel.map((s: { key: string; social: number | null; email: number | null; total: number }) => [s.key, s.social, s.email, s.total])).toEqual(STAGES)
    expect(a.funnel[1].rate).toBeCloseTo(4 / 502)
    expect(a.funnel[3].stepRate).toBeCloseTo(1 / 3)
    expect(a.revenue).toEqual([{ currency: 'EUR', amount: 30 }])
    expect(a.series).toEqual([{ id: seriesId, name: 'Launch posts', posts: 1, impressions: 500, clicks: 3 }])
    expect(a.drips).toEqual([{ id: dripId, name: 'Launch emails', delivered: 2, clicked: 1, enrolled: 3, conversions: 1 }])
    expect((await t.api('GET', '/api/v1/analytics/campaigns/Unknown')).status).toBe(404)
    expect((await t.api('GET', `/api/v1/analytics/campaigns/${encodeURIComponent(CAMPAIGN)}?days=3`)).status).toBe(400)
    const doc = await (await t.api('GET', '/api/v1/openapi.json')).json()
    expect(doc.paths['/analytics/campaigns/{campaign}'].get.operationId).toBe('getCampaignAnalytics')
  })

  it('the page shows the same numbers in the table beside the chart, and the CSV', async () => {
    const index = await (await t.browser.get('/app/analytics')).text()
    expect(index).toContain(`href="/app/analytics/campaigns/Spring%20launch"`)
    const page = await t.browser.get(`/app/analytics/campaigns/${encodeURIComponent(CAMPAIGN)}?days=7`)
    expect(page.status).toBe(200)
    const html = (await page.text()).replace(/<!-- -->/g, '')
    const cell = (stage: string, channel: string) => new RegExp(`data-stage="${stage}"[^]*?data-channel="${channel}"[^>]*>([^<]*)<`).exec(html)?.[1]
    expect(STAGES.map(([stage]) => ['social', 'email', 'total'].map((c) => cell(stage as string, c)))).toEqual(STAGES.map((s) => s.slice(1).map((n) => (n === null ? '—' : String(n)))))
    expect(/data-total="Conversions"[^>]*>([^<]*)</.exec(html)?.[1]).toBe('1 · 30 EUR')
    const csv = await t.browser.get(`/app/analytics/campaigns/${encodeURIComponent(CAMPAIGN)}.csv?days=7`)
    expect(csv.headers.get('content-type')).toContain('text/csv')
    expect(await csv.text()).toBe('stage,social,email,total\r\nreach,500,2,502\r\nclicks,3,1,4\r\nenrollments,,,3\r\nconversions,,,1\r\n')
    expect((await t.browser.get('/app/analytics/campaigns/Unknown')).status).toBe(404)
  })
})
