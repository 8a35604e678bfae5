import { sql } from 'drizzle-orm'
import { createEmailConnector } from '../../connectors/email/index'
import { insertContact } from '../../db/queries/contacts'
import { workspaces } from '../../db/schema'
import { createDrip } from '../../core/drips.server'
import { dripRunnerDeps, runDripPass } from '../../core/drips/runner.server'
import { linkIn, startEmailApp, type EmailTestApp } from '../email/setup'
import { rollupsAndRaw } from './rollup-oracle'

/**
 * Counts equal the truth (issue 18, decision 080): known sends, a pixel open, clicks on two links (one
 * clicked twice), an unsubscribe, a hard bounce and two goal events (one with a value, one outside the
 * attribution window) go through the real tracking routes with an injected clock; every number of the
 * API and of the page must match. Needs `npx remix build`.
 */
let t: EmailTestApp
const email = createEmailConnector({ allowPrivateNetworkHosts: true })
const HOUR = 3_600_000
const run = () => runDripPass(dripRunnerDeps(t.app.services, { email }))
let dripId: string

beforeAll(async () => {
  t = await startEmailApp({ worker: false })
  const created = await t.api('POST', '/api/v1/drips', {
    name: 'Trial onboarding',
    goals: ['purchase'],
    steps: [
      { subject: 'Welcome', markdown: 'Read [the guide](https://docs.brand.test/guide) or [see pricing](https://brand.test/pricing).' },
      { subject: 'Day two', markdown: 'Any questions?', delay: 'P1D' },
      { subject: 'Day thirty', markdown: 'Still there?', delay: 'P30D' },
    ],
  })
  dripId = (await created.json()).id
  expect((await t.api('POST', `/api/v1/drips/${dripId}/activate`)).status).toBe(200)
  for (const name of ['ann', 'bob', 'cat', 'dan']) {
    await insertContact(t.app.services.database.db, { workspaceId: t.workspaceId, email: `${name}@example.com`, at: t.clock.now() })
    expect((await t.api('POST', `/api/v1/drips/${dripId}/enrollments`, { email: `${name}@example.com` })).status).toBe(201)
  }

  expect((await run()).sent).toBe(4)
  const mailTo = (who: string) => t.smtp.messages.filter((m) => m.envelope.to.includes(`${who}@example.com`)).at(-1)!.parsed
  const clicks = (html: string) => [...html.matchAll(new RegExp(`${t.app.url}/t/c/[^"]+`, 'g'))].map((m) => m[0].replace(/&amp;/g, '&'))
  const ann = mailTo('ann')
  const [guide, pricing] = clicks(ann.html as string)
  expect((await fetch(linkIn(ann.html as string, `${t.app.url}/t/o/`))).status).toBe(200)
  for (const link of [guide!, guide!, pricing!]) expect((await fetch(link, { redirect: 'manual' })).status).toBe(302)
  // Bob clicks without loading the pixel (the click implies the open), then unsubscribes.
  const bob = mailTo('bob')
  expect((await fetch(clicks(bob.html as string)[1]!, { redirect: 'manual' })).headers.get('location')).toBe('https://brand.test/pricing')
  const unsubscribe = await fetch(linkIn(bob.text!, `${t.app.url}/u/`), { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click' })
  expect(unsubscribe.status).toBe(200)
  expect((await t.api('POST', '/api/v1/dsn', { recipients: [{ recipient: 'cat@example.com', action: 'failed', status: '5.1.1' }] })).status).toBe(200)

  t.clock.advance(25 * HOUR) // 2026-11-03 10:00 UTC: step 2 to ann and dan only
  expect((await run()).sent).toBe(2)
  t.clock.advance(HOUR)
  expect((await t.api('POST', '/api/v1/events', { email: 'ann@example.com', type: 'purchase', properties: { value: 49.5, currency: 'EUR' } })).status).toBe(201)
  // 10 days after dan's step 2: a goal reached, outside the 7-day attribution window (the owner's
  // session, idle at most 7 days, is used halfway so the page is still signed in).
  t.clock.advance(5 * 24 * HOUR)
  expect((await t.browser.get('/app')).status).toBe(200)
  t.clock.advance(5 * 24 * HOUR)
  expect((await t.api('POST', '/api/v1/events', { email: 'dan@example.com', type: 'purchase', properties: { value: 20 } })).status).toBe(201)
  t.clock.advance(HOUR) // the period (up to now) includes Dan's purchase
})
afterAll(async () => {
  email.close()
  await t?.close()
})

const zero = { bounced: 0, hardBounced: 0, softBounced: 0, opened: 0, clicked: 0, unsubscribed: 0, complained: 0, conversions: 0 }

describe('per-drip analytics', () => {
  it('GET /api/v1/analytics/drips/{id}: every number equals what happened', async () => {
    const response = await t.api('GET', `/api/v1/analytics/drips/${dripId}?days=30`)
    expect(response.status).toBe(200)
    const a = await response.json()
    expect(a.drip).toMatchObject({ id: dripId, goals: ['purchase'], attributionDays: 7 })
    expect(a.enrolled).toBe(4)
    expect(a.goalReached).toBe(2)
    expect(a.funnel.map((s: { label: string; count: number }) => [s.label, s.count])).toEqual([
      ['Enrolled', 4],
      ['Step 1 sent', 4],
      ['Step 2 sent', 2],
      ['Step 3 sent', 0],
      ['Goal reached', 2],
    ])
    const [one, two, three] = a.steps
    expect(one.counts).toEqual({ sent: 4, delivered: 3, bounced: 1, hardBounced: 1, softBounced: 0, opened: 2, clicked: 2, unsubscribed: 1, complained: 0, conversions: 0 })
    expect(one.rates).toMatchObject({ delivered: 0.75, opened: 2 / 3, clicked: 2 / 3, clickToOpen: 1, unsubscribed: 1 / 3, bounced: 0.25 })
    expect(one.links).toEqual([
      { url: 'https://brand.test/pricing', clicks: 2 },
      { url: 'https://docs.brand.test/guide', clicks: 1 },
    ])
    expect(two.counts).toEqual({ ...zero, sent: 2, delivered: 2, conversions: 1 })
    expect(two.rates.conversion).toBe(0.5)
    expect(two.revenue).toEqual([{ currency: 'EUR', amount: 49.5 }])
    expect(three.counts).toEqual({ ...zero, sent: 0, delivered: 0 })
    expect(a.totals).toEqual({ sent: 6, delivered: 5, opened: 2, clicked: 2, unsubscribed: 1, bounced: 1, complained: 0, conversions: 1, revenue: [{ currency: 'EUR', amount: 49.5 }] })
    expect(a.daily).toHaveLength(31)
    const active = a.daily.filter((d: { sends: number; opens: number; clicks: number; conversions: number }) => d.sends + d.opens + d.clicks + d.conversions > 0)
    expect(active).toEqual([
      { day: '2026-11-02', sends: 4, opens: 2, clicks: 3, conversions: 0 },
      { day: '2026-11-03', sends: 2, opens: 0, clicks: 0, conversions: 1 },
    ])

    // from/to: no enrollment started on Nov 3, but that day's activity is in the daily rows.
    const day = await (await t.api('GET', `/api/v1/analytics/drips/${dripId}?from=2026-11-03&to=2026-11-04`)).json()
    expect(day).toMatchObject({ enrolled: 0, totals: { sent: 0, conversions: 0 }, daily: [{ day: '2026-11-03', sends: 2, opens: 0, clicks: 0, conversions: 1 }] })
    // The page's numbers come from the roll-ups; the raw query (the oracle) agrees.
    const oracle = await rollupsAndRaw(t.app.services.database.db, { workspaceId: t.workspaceId, dripId, timeZone: 'UTC', goals: ['purchase'], attributionDays: 7, period: { from: new Date(a.period.from), to: new Date(a.period.to) } })
    expect(oracle.rollups).toEqual(oracle.raw)
    const doc = await (await t.api('GET', '/api/v1/openapi.json')).json()
    expect(doc.paths['/analytics/drips/{dripId}'].get.operationId).toBe('getDripAnalytics')
  })

  it('the page shows the same numbers, and the CSV export the daily rows', async () => {
    const page = await t.browser.get(`/app/drips/${dripId}/analytics?days=30&a=0&b=1`)
    expect(page.status).toBe(200)
    const html = (await page.text()).replace(/<!-- -->/g, '')
    const cell = (row: string, attr: string) => new RegExp(`${row}[^]*?${attr}[^>]*>([^<]*)<`).exec(html)?.[1]
    expect([0, 1, 2, 3, 4].map((i) => cell(`data-stage="${['Enrolled', 'Step 1 sent', 'Step 2 sent', 'Step 3 sent', 'Goal reached'][i]}"`, 'data-count'))).toEqual(['4', '4', '2', '0', '2'])
    const step = (n: number, metric: string) => cell(`data-step="${n}"`, `data-metric="${metric}"`)
    expect(['sent', 'delivered', 'opened', 'clicked', 'unsubscribed', 'bounced', 'complained', 'conversions', 'revenue'].map((m) => step(0, m))).toEqual(['4', '3 (75%)', '2 (66.7%)', '2 (66.7%)', '1', '1 (1 / 0)', '0', '0', '—'])
    expect([step(1, 'sent'), step(1, 'conversions'), step(1, 'revenue')]).toEqual(['2', '1', '49.5 EUR'])
    expect([...html.matchAll(/data-link-clicks[^>]*>(\d+)</g)].map((m) => m[1])).toEqual(['2', '1'])
    expect(['sends', 'opens', 'clicks', 'conversions'].map((k) => cell('', `data-daily-total="${k}"`))).toEqual(['6', '2', '3', '1'])
    expect(html).toContain('Step 1 compared with step 2')

    const csv = await t.browser.get(`/app/drips/${dripId}/analytics.csv?days=7`)
    expect(csv.status).toBe(200)
    expect(csv.headers.get('content-type')).toContain('text/csv')
    expect(csv.headers.get('content-disposition')).toMatch(/^attachment; filename="trial-onboarding-2026-11-0\d-2026-11-13\.csv"$/)
    const lines = (await csv.text()).trim().split('\r\n')
    expect(lines[0]).toBe('date,sends,opens,clicks,conversions')
    expect(lines).toHaveLength(1 + 8)
    expect(lines.filter((l) => !l.endsWith(',0,0,0,0'))).toEqual(['date,sends,opens,clicks,conversions'])
    const month = await (await t.browser.get(`/app/drips/${dripId}/analytics.csv?from=2026-11-01&to=2026-11-05`)).text()
    expect(month).toBe('date,sends,opens,clicks,conversions\r\n2026-11-01,0,0,0,0\r\n2026-11-02,4,2,3,0\r\n2026-11-03,2,0,0,1\r\n2026-11-04,0,0,0,0\r\n')
  })

  it("another workspace's drip is a 404 everywhere; a bad period is a 400 naming the parameter", async () => {
    const [other] = await t.app.services.database.db.insert(workspaces).values({ name: 'Rival' }).returning()
    const theirs = await createDrip(t.app.services, { workspaceId: other!.id, input: { name: 'Theirs', steps: [{ subject: 's', markdown: 'm' }] } })
    expect((await t.api('GET', `/api/v1/analytics/drips/${theirs.id}`)).status).toBe(404)
    expect((await t.api('GET', '/api/v1/analytics/drips/not-a-uuid')).status).toBe(404)
    expect((await t.browser.get(`/app/drips/${theirs.id}/analytics`)).status).toBe(404)
    expect((await t.browser.get(`/app/drips/${theirs.id}/analytics.csv`)).status).toBe(404)
    for (const [query, field] of [
      ['days=5', 'days'],
      ['from=yesterday', 'from'],
      ['from=2026-11-05&to=2026-11-01', 'from'],
      ['days=7&from=2026-11-01', 'days'],
      ['color=red', 'color'],
    ]) {
      const r = await t.api('GET', `/api/v1/analytics/drips/${dripId}?${query}`)
      expect(r.status, query).toBe(400)
      expect((await r.json()).error.field, query).toBe(field)
    }
    expect((await t.browser.get(`/app/drips/${dripId}/analytics?days=5`)).status).toBe(400)
  })

  it("honours the drip's attribution window (attributionDays, validated at the edge) and sums revenue without a currency apart", async () => {
    const bad = await t.api('POST', '/api/v1/drips', { name: 'Bad window', attributionDays: 0, steps: [{ subject: 's', markdown: 'm' }] })
    expect(bad.status).toBe(400)
    expect((await bad.json()).error.field).toBe('attributionDays')
    await t.app.services.database.db.execute(sql`UPDATE sequences SET settings = settings || '{"attributionDays": 14}'::jsonb WHERE id = ${dripId}`)
    const a = await (await t.api('GET', `/api/v1/analytics/drips/${dripId}?days=30`)).json()
    expect(a.drip.attributionDays).toBe(14)
    // Dan's purchase, 10 days after his step 2, is now inside the window.
    expect(a.steps[1].counts.conversions).toBe(2)
    expect(a.totals.revenue).toEqual([
      { currency: 'EUR', amount: 49.5 },
      { currency: null, amount: 20 },
    ])
  })
})
