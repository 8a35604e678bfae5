import { listDeliveries, type Delivery } from '../../db/queries/deliveries'
import { insertSeriesTiming } from '../../db/queries/series'
import type { StoredTiming } from '../../db/schema'
import { fixedClock } from '../../domain/clock'
import { publishDelivery } from '../../core/publishing/publish.server'
import { reconcileDeliveries } from '../../core/publishing/reconcile.server'
import { replanInTx } from '../../core/series/planning.server'
import { csrfTokenOf, signUpAs, startTestApp, type TestApp, type TestBrowser } from '../app-server'
import { openPipelineFixture, serverStores, type PipelineFixture } from '../pipeline/harness'
import { connectTestAccount, createApiToken, workspaceIdOf } from './setup'

/**
 * Evergreen series (decision 107): every round is planned as its own deliveries (the cycle is part of a
 * delivery's key), each round's posts are published once, the next round only after the minimum gap; a
 * lookup after an unknown outcome in round 2 does not take round 1's post (the same text) for it; X's
 * refusal of the same text is reported as invalid content; the editor's form and the API take the
 * setting and refuse bad values naming `evergreen.minGap` / `evergreen.until`.
 */

describe.each(serverStores.slice(0, 1))('evergreen rounds at a loopback X API (%s job store)', (kind) => {
  let f: PipelineFixture
  afterEach(async () => {
    await f?.close()
  })

  /** A series of `texts` on `timing` planned through the one re-plan path, at `now`. */
  async function planEvergreen(args: { texts: string[]; timing: StoredTiming; now: Date }): Promise<Delivery[]> {
    const { sequenceId } = await f.createSeries({ steps: args.texts.length, maxLatenessSeconds: 3600, text: (i) => args.texts[i]! })
    await f.db.transaction(async (tx) => {
      await insertSeriesTiming(tx, { workspaceId: f.workspaceId, sequenceId, timing: args.timing, accountIds: [f.accountId], now: args.now })
      await replanInTx(tx, { workspaceId: f.workspaceId, sequenceId, now: args.now })
    })
    const rows = await listDeliveries(f.db, { workspaceId: f.workspaceId, sequenceId })
    return rows.sort((a, b) => a.dueAt.getTime() - b.dueAt.getTime())
  }

  /** X's clock is the test's: the post just created carries the test clock's time (lookups filter by it). */
  const stampLastPost = (at: Date) => {
    f.x!.posts.at(-1)!.createdAt = at
  }

  it('plans both rounds, publishes each post once per round, the second round after the gap', async () => {
    f = await openPipelineFixture(kind, { network: 'x', xOptions: { rejectDuplicates: false } })
    const clock = fixedClock(new Date('2026-01-01T00:00:00Z'))
    const rows = await planEvergreen({
      texts: ['Evergreen tip 1', 'Evergreen tip 2'],
      timing: { rule: 'FREQ=DAILY;BYHOUR=10;BYMINUTE=0', start: '2026-01-05T10:00', timezone: 'UTC', exdates: [], rdates: [], evergreen: { minGap: 'P3D', until: '2026-01-13T00:00' } },
      now: clock.now(),
    })
    // Round 1 on 5 and 6 January; round 2 on the first date at least 3 days after the 6th; round 3 would start after the end.
    expect(rows.map((r) => `${r.cycle} ${r.dueAt.toISOString().slice(0, 10)}`)).toEqual(['0 2026-01-05', '0 2026-01-06', '1 2026-01-09', '1 2026-01-10'])
    const deps = f.deps({ clock })
    for (const [i, row] of rows.entries()) {
      // Nothing goes out before its date: the later rows wait.
      for (const later of rows.slice(i)) expect((await publishDelivery(deps, { workspaceId: f.workspaceId, deliveryId: later.id })).result).toBe('waiting')
      clock.set(new Date(row.dueAt.getTime() + 1000))
      expect(await publishDelivery(deps, { workspaceId: f.workspaceId, deliveryId: row.id })).toEqual({ result: 'published' })
      stampLastPost(clock.now())
    }
    // Once more each: nothing is published twice.
    for (const row of rows) expect((await publishDelivery(deps, { workspaceId: f.workspaceId, deliveryId: row.id })).result).toBe('ignored')
    expect(Object.fromEntries(f.x!.countsByText())).toEqual({ 'Evergreen tip 1': 2, 'Evergreen tip 2': 2 })
    const after = await listDeliveries(f.db, { workspaceId: f.workspaceId, deliveryIds: rows.map((r) => r.id) })
    expect(after.every((d) => d.state === 'published')).toBe(true)
    expect(new Set(after.map((d) => d.remoteId)).size).toBe(4)
    const published = (cycle: number) => after.filter((d) => d.cycle === cycle).map((d) => d.publishedAt!.getTime())
    expect(Math.min(...published(1)) - Math.max(...published(0))).toBeGreaterThanOrEqual(3 * 86_400_000 - 2000)

    // Planning again (an edit that changes nothing) adds no row and moves none.
    const again = await f.db.transaction((tx) => replanInTx(tx, { workspaceId: f.workspaceId, sequenceId: rows[0]!.sequenceId, now: clock.now() }))
    expect(again).toEqual({ schedule: [], cancel: [] })
  })

  it("an unknown outcome in round 2 is looked up after round 1's post, not mistaken for it", async () => {
    f = await openPipelineFixture(kind, { network: 'x', xOptions: { rejectDuplicates: false } })
    const clock = fixedClock(new Date('2026-01-01T00:00:00Z'))
    // Rounds 15 minutes apart, and round 1 went out late (12 minutes): its post is inside the lookup's
    // 5-minute skew window before round 2's claim.
    const rows = await planEvergreen({
      texts: ['Same text every round'],
      timing: { rule: 'FREQ=MINUTELY;INTERVAL=15', start: '2026-01-05T10:00', timezone: 'UTC', exdates: [], rdates: [], evergreen: { minGap: 'PT15M', until: '2026-01-05T10:20' } },
      now: clock.now(),
    })
    expect(rows.map((r) => `${r.cycle} ${r.dueAt.toISOString().slice(11, 16)}`)).toEqual(['0 10:00', '1 10:15'])
    const deps = f.deps({ clock })
    clock.set(new Date('2026-01-05T10:12:00Z'))
    expect(await publishDelivery(deps, { workspaceId: f.workspaceId, deliveryId: rows[0]!.id })).toEqual({ result: 'published' })
    stampLastPost(clock.now())

    // Round 2's create fails with a 503 that X did not apply: the outcome is unknown.
    clock.set(new Date('2026-01-05T10:15:01Z'))
    f.x!.injectFault({ kind: 'unavailable', path: '/2/tweets' })
    expect(await publishDelivery(deps, { workspaceId: f.workspaceId, deliveryId: rows[1]!.id })).toEqual({ result: 'needs_review' })
    clock.advance(60_000)
    await reconcileDeliveries(deps)
    const [looked] = await listDeliveries(f.db, { workspaceId: f.workspaceId, deliveryIds: [rows[1]!.id] })
    // Round 1's post (same text, 3 minutes earlier) is not taken for round 2's.
    expect(looked).toMatchObject({ state: 'queued', lastError: 'lookup found no post: publishing again' })
    expect(await publishDelivery(deps, { workspaceId: f.workspaceId, deliveryId: rows[1]!.id })).toEqual({ result: 'published' })
    expect(f.x!.countsByText().get('Same text every round')).toBe(2)
    const after = await listDeliveries(f.db, { workspaceId: f.workspaceId, deliveryIds: rows.map((r) => r.id) })
    expect(after[0]!.remoteId).not.toBe(after[1]!.remoteId)
  })

  it("X's refusal of round 2's identical text fails it as invalid content with a clear message", async () => {
    f = await openPipelineFixture(kind, { network: 'x' }) // duplicate detection on, as on X
    const clock = fixedClock(new Date('2026-01-01T00:00:00Z'))
    const rows = await planEvergreen({
      texts: ['Unchanged every round'],
      timing: { rule: 'FREQ=DAILY', start: '2026-01-05T10:00', timezone: 'UTC', exdates: [], rdates: [], evergreen: { minGap: 'P7D', until: '2026-01-13T00:00' } },
      now: clock.now(),
    })
    expect(rows.map((r) => r.cycle)).toEqual([0, 1])
    const deps = f.deps({ clock })
    clock.set(new Date(rows[0]!.dueAt.getTime() + 1000))
    expect(await publishDelivery(deps, { workspaceId: f.workspaceId, deliveryId: rows[0]!.id })).toEqual({ result: 'published' })
    clock.set(new Date(rows[1]!.dueAt.getTime() + 1000))
    expect(await publishDelivery(deps, { workspaceId: f.workspaceId, deliveryId: rows[1]!.id })).toEqual({ result: 'failed' })
    const [failed] = await listDeliveries(f.db, { workspaceId: f.workspaceId, deliveryIds: [rows[1]!.id] })
    expect(failed!.lastErrorKind).toBe('invalid-content')
    expect(failed!.lastError).toMatch(/^The network refused the text as a duplicate of a post this account already has .*Change the post's text\./)
    expect(f.x!.counters.duplicatesRefused).toBe(1)
    expect(f.x!.posts).toHaveLength(1)
  })
})

describe('evergreen in the editor and the API', () => {
  const clock = fixedClock(new Date('2026-03-10T12:00:00Z'))
  let app: TestApp
  let browser: TestBrowser
  let token: string
  let workspaceId: string
  let accountId: string

  beforeAll(async () => {
    app = await startTestApp({ clock })
    browser = await signUpAs(app, { email: 'editor@evergreen.test' })
    token = await createApiToken(browser)
    workspaceId = await workspaceIdOf(app, token)
    accountId = await connectTestAccount(app, { workspaceId, clock })
  })
  afterAll(async () => {
    await app?.close()
  })

  const form = (fields: Record<string, string> = {}): Record<string, string> => ({
    name: 'Evergreen tips',
    'post-1': 'Tip one',
    'post-2': 'Tip two',
    [`account-${accountId}`]: 'on',
    rule: 'FREQ=WEEKLY;BYDAY=TU;BYHOUR=9;BYMINUTE=0',
    start: '2026-03-17T09:00',
    timezone: 'Europe/Berlin',
    evergreenShown: '1',
    evergreen: 'on',
    evergreenMinGap: '14',
    evergreenUntil: '2026-05-31T00:00',
    ...fields,
  })
  const rounds = async (seriesId: string) =>
    (await listDeliveries(app.services.database.db, { workspaceId, sequenceId: seriesId }))
      .sort((a, b) => a.dueAt.getTime() - b.dueAt.getTime())
      .map((d) => `${d.cycle + 1}:${d.dueAt.toISOString().slice(0, 10)}:${d.state}`)

  it('saves the setting from the form, plans every round, shows it back, and turning it off cancels the later rounds', async () => {
    const created = await browser.submit('/app/series/new', form())
    expect(created.status, await created.clone().text()).toBe(302)
    const id = new URL(created.headers.get('location')!, app.url).searchParams.get('series')!
    // Tuesdays: round 1 on 17 and 24 March; round 2 from the first Tuesday at least 14 days after the 24th, and so on.
    expect(await rounds(id)).toEqual([
      '1:2026-03-17:queued', '1:2026-03-24:queued',
      '2:2026-04-07:queued', '2:2026-04-14:queued',
      '3:2026-04-28:queued', '3:2026-05-05:queued',
      '4:2026-05-19:queued', '4:2026-05-26:queued',
    ])
    const page = await (await browser.get(`/app/series/${id}`)).text()
    expect(page).toMatch(/name="evergreen"[^>]*checked|checked[^>]*name="evergreen"/)
    expect(page).toMatch(/name="evergreenMinGap"[^>]*value="14"|value="14"[^>]*name="evergreenMinGap"/)
    expect(page).toContain('2026-05-31T00:00')
    expect(page).toContain('Round 2, post 1')
    const api = await (await fetch(`${app.url}/api/v1/series/${id}`, { headers: { Authorization: `Bearer ${token}` } })).json()
    expect(api.evergreen).toEqual({ minGap: 'P14D', until: '2026-05-31T00:00' })
    expect(api.text).toBe('every Tuesday at 9:00, then again from post 1 at least 14 days after the last post, until 2026-05-31 00:00')
    expect(api.deliveries.map((d: { round: number }) => d.round)).toEqual([1, 1, 2, 2, 3, 3, 4, 4])

    // The live check previews the rounds.
    const check = await browser.request('/app/series/check', { method: 'POST', body: new URLSearchParams({ csrf: csrfTokenOf(page), ...form(), seriesId: id }) })
    const preview = (await check.json()).preview
    expect(preview.rounds.map((r: { round: number; first: string }) => `${r.round} ${r.first}`)).toEqual(['1 2026-03-17 09:00', '2 2026-04-07 09:00', '3 2026-04-28 09:00', '4 2026-05-19 09:00'])

    const off = await browser.submit(`/app/series/${id}`, form({ evergreen: '' }))
    expect(off.status, await off.clone().text()).toBe(302)
    expect(await rounds(id)).toEqual([
      '1:2026-03-17:queued', '1:2026-03-24:queued',
      '2:2026-04-07:canceled', '2:2026-04-14:canceled',
      '3:2026-04-28:canceled', '3:2026-05-05:canceled',
      '4:2026-05-19:canceled', '4:2026-05-26:canceled',
    ])
  })

  it('refuses a bad gap or end with a 400 naming evergreen.minGap or evergreen.until', async () => {
    const cases: Array<[Record<string, string>, string, RegExp]> = [
      [{ evergreenMinGap: 'soon' }, 'evergreen.minGap', /not an ISO 8601 duration/],
      [{ evergreenMinGap: '0' }, 'evergreen.minGap', /longer than zero/],
      [{ evergreenUntil: '2026-03-01T00:00' }, 'evergreen.until', /before start/],
      [{ evergreenUntil: '' }, 'evergreen.until', /Evergreen until/],
      [{ evergreenUntil: '2029-01-01T00:00' }, 'evergreen.until', /at most 2 years/],
    ]
    for (const [fields, field, message] of cases) {
      const response = await browser.submit('/app/series/new', form(fields))
      const html = await response.text()
      expect(response.status, `${field}: ${JSON.stringify(fields)}`).toBe(400)
      // The action's fieldErrors (serialized into the page) key the message by the field's path; the alert says it in people's words.
      const fieldErrors = html.slice(html.lastIndexOf('fieldErrors')).replace(/\\+"/g, '"')
      expect(fieldErrors).toContain(`"${field}","`)
      expect(html).toContain(field === 'evergreen.minGap' ? 'Evergreen minimum gap' : 'Evergreen until')
      expect(html.replace(/&#x27;|&#39;/g, "'")).toMatch(message)
    }
    const auth = { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }
    const body = { name: 'API evergreen', posts: ['a'], accountIds: [accountId], rule: 'FREQ=WEEKLY;BYDAY=TU;BYHOUR=9;BYMINUTE=0', start: '2026-03-17T09:00', timezone: 'Europe/Berlin' }
    const bad = await fetch(`${app.url}/api/v1/series`, { method: 'POST', headers: auth, body: JSON.stringify({ ...body, evergreen: { minGap: '7 days', until: '2026-04-30T00:00' } }) })
    expect(bad.status).toBe(400)
    expect((await bad.json()).error.field).toBe('evergreen.minGap')
    const good = await fetch(`${app.url}/api/v1/series`, { method: 'POST', headers: auth, body: JSON.stringify({ ...body, evergreen: { minGap: 'P7D', until: '2026-04-30T00:00' } }) })
    expect(good.status).toBe(201)
    const series = await good.json()
    // One post weekly and a gap of exactly a week: each Tuesday is a new round (a date exactly minGap later qualifies).
    expect(series.deliveries.map((d: { round: number; dueAt: string }) => `${d.round} ${d.dueAt.slice(0, 10)}`)).toEqual(['1 2026-03-17', '2 2026-03-24', '3 2026-03-31', '4 2026-04-07', '5 2026-04-14', '6 2026-04-21', '7 2026-04-28'])
    // PUT without `evergreen` keeps it.
    const put = await fetch(`${app.url}/api/v1/series/${series.id}`, { method: 'PUT', headers: auth, body: JSON.stringify({ ...body, name: 'Renamed' }) })
    expect(put.status).toBe(200)
    expect((await put.json()).evergreen).toEqual({ minGap: 'P7D', until: '2026-04-30T00:00' })
  })
})
