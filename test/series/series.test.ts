import { eq } from 'drizzle-orm'
import { listDeliveries } from '../../db/queries/deliveries'
import { sequences } from '../../db/schema'
import { fixedClock } from '../../domain/clock'
import { csrfTokenOf, logInAgain, signUpAs, startTestApp, type TestApp, type TestBrowser } from '../app-server'
import { connectTestAccount, createApiToken, workspaceIdOf } from './setup'

/**
 * The series editor and calendar over HTTP, as a browser posts them: create a Tue/Thu 09:00
 * Europe/Berlin series across the March DST change, edit its rule mid-series, move and skip occurrences
 * from the calendar, pause and resume with both policies, bad input, and the API.
 */

const clock = fixedClock(new Date('2026-03-10T12:00:00Z'))
let app: TestApp
let browser: TestBrowser
let workspaceId: string
let accountId: string
let token: string

beforeAll(async () => {
  app = await startTestApp({ clock })
  browser = await signUpAs(app, { email: 'editor@series.test' })
  token = await createApiToken(browser)
  workspaceId = await workspaceIdOf(app, token)
  accountId = await connectTestAccount(app, { workspaceId, clock })
})
afterAll(async () => {
  await app?.close()
})

const posts = (n: number, prefix = 'Tip') => Object.fromEntries(Array.from({ length: n }, (_, i) => [`post-${i + 1}`, `${prefix} ${i + 1}`]))

function seriesForm(fields: Record<string, string> = {}): Record<string, string> {
  return {
    name: 'Spring tips',
    ...posts(10),
    [`account-${accountId}`]: 'on',
    rule: 'FREQ=WEEKLY;BYDAY=TU,TH;BYHOUR=9;BYMINUTE=0',
    start: '2026-03-17T09:00',
    timezone: 'Europe/Berlin',
    ...fields,
  }
}

async function createSeries(fields: Record<string, string> = {}): Promise<string> {
  const response = await browser.submit('/app/series/new', seriesForm(fields))
  expect(response.status, await response.clone().text()).toBe(302)
  return new URL(response.headers.get('location')!, app.url).searchParams.get('series')!
}

async function dues(seriesId: string) {
  const rows = await listDeliveries(app.services.database.db, { workspaceId, sequenceId: seriesId })
  return rows.map((d) => ({ at: d.dueAt.toISOString(), state: d.state, id: d.id }))
}

const BERLIN_TU_TH = [
  '2026-03-17T08:00:00.000Z',
  '2026-03-19T08:00:00.000Z',
  '2026-03-24T08:00:00.000Z',
  '2026-03-26T08:00:00.000Z',
  // Summer time from 29 March: 09:00 in Berlin is 07:00 UTC.
  '2026-03-31T07:00:00.000Z',
  '2026-04-02T07:00:00.000Z',
  '2026-04-07T07:00:00.000Z',
  '2026-04-09T07:00:00.000Z',
  '2026-04-14T07:00:00.000Z',
  '2026-04-16T07:00:00.000Z',
]

async function calendarAction(fields: Record<string, string>): Promise<Response> {
  const html = await (await browser.get('/app/calendar')).text()
  return browser.request('/app/calendar?_data=routes%2Fapp.calendar', { method: 'POST', body: new URLSearchParams({ csrf: csrfTokenOf(html), ...fields }) })
}

describe('series', () => {
  beforeEach(() => clock.set(new Date('2026-03-10T12:00:00Z')))

  it('plans 10 posts on Tue/Thu 09:00 Europe/Berlin at the right UTC instants across DST, and enqueues them', async () => {
    const id = await createSeries()
    const rows = await dues(id)
    expect(rows.map((r) => r.at)).toEqual(BERLIN_TU_TH)
    expect(rows.every((r) => r.state === 'queued')).toBe(true)
    const jobs = await app.services.jobs.agenda.queryJobs({ name: 'publish-delivery' })
    const keys = new Set(jobs.jobs.map((j) => (j.data as { key: string }).key))
    expect(rows.every((r) => keys.has(r.id))).toBe(true)

    const calendar = await (await browser.get(`/app/calendar?series=${id}&tz=Europe/Berlin`)).text()
    expect(calendar).toContain('Tip 1')
    const page = await (await browser.get(`/app/series/${id}`)).text()
    expect(page).toContain('every Tuesday and Thursday at 9:00, 10 times')
  })

  it('pastes many posts separated by --- into one box', async () => {
    const id = await createSeries({ ...Object.fromEntries(Object.keys(posts(10)).map((k) => [k, ''])), 'post-1': 'One\n---\nTwo\n---\nThree' })
    expect((await dues(id)).map((r) => r.at)).toEqual(BERLIN_TU_TH.slice(0, 3))
  })

  it('changes the rule mid-series: published posts keep their times, the rest follow the new rule', async () => {
    const id = await createSeries()
    const before = await dues(id)
    // The first two went out.
    const { deliveries } = await import('../../db/schema')
    for (const row of before.slice(0, 2)) {
      await app.services.database.db.update(deliveries).set({ state: 'published', publishedAt: new Date(row.at) }).where(eq(deliveries.id, row.id))
    }
    clock.set(new Date('2026-03-20T12:00:00Z'))
    await logInAgain(browser, 'editor@series.test') // ten days idle: the session ended
    const response = await browser.submit(`/app/series/${id}`, seriesForm({ rule: 'FREQ=WEEKLY;BYDAY=MO,WE,FR;BYHOUR=10;BYMINUTE=30' }))
    expect(response.status).toBe(302)
    const after = await dues(id)
    expect(after.slice(0, 2)).toEqual(before.slice(0, 2).map((r) => ({ ...r, state: 'published' })))
    expect(after.slice(2).map((r) => r.at)).toEqual([
      '2026-03-23T09:30:00.000Z',
      '2026-03-25T09:30:00.000Z',
      '2026-03-27T09:30:00.000Z',
      '2026-03-30T08:30:00.000Z',
      '2026-04-01T08:30:00.000Z',
      '2026-04-03T08:30:00.000Z',
      '2026-04-06T08:30:00.000Z',
      '2026-04-08T08:30:00.000Z',
    ])
    // Moved, not recreated: the same delivery rows.
    expect(after.map((r) => r.id)).toEqual(before.map((r) => r.id))
  })

  it('moves one occurrence from the calendar (an override, not a rule change) and skips others', async () => {
    const id = await createSeries()
    const before = await dues(id)
    const moved = await calendarAction({ intent: 'move', seriesId: id, deliveryId: before[2]!.id, to: '2026-03-25T15:00:00.000Z' })
    expect(moved.status, await moved.clone().text()).toBe(200)
    const afterMove = await dues(id)
    expect(afterMove.find((r) => r.id === before[2]!.id)!.at).toBe('2026-03-25T15:00:00.000Z')
    expect(afterMove.filter((r) => r.id !== before[2]!.id).map((r) => r.at)).toEqual(BERLIN_TU_TH.filter((_, i) => i !== 2))
    expect((await (await browser.get(`/app/series/${id}`)).text())).toContain('FREQ=WEEKLY;BYDAY=TU,TH;BYHOUR=9;BYMINUTE=0')

    // Skip one post: only it is skipped.
    expect((await calendarAction({ intent: 'skip-post', seriesId: id, deliveryId: before[0]!.id })).status).toBe(200)
    // Skip a date: post 5 and later take the following dates.
    expect((await calendarAction({ intent: 'skip-date', seriesId: id, deliveryId: before[4]!.id })).status).toBe(200)
    const after = await dues(id)
    const byId = new Map(after.map((r) => [r.id, r]))
    expect(byId.get(before[0]!.id)!.state).toBe('skipped')
    expect(before.slice(4).map((r) => byId.get(r.id)!.at)).toEqual([...BERLIN_TU_TH.slice(5), '2026-04-21T07:00:00.000Z'])

    // A settled post cannot be moved.
    const refused = await calendarAction({ intent: 'move', seriesId: id, deliveryId: before[0]!.id, to: '2026-04-25T15:00:00.000Z' })
    expect(refused.status).toBe(409)
  })

  it.each([
    ['shift', ['2026-03-31T07:00:00.000Z', '2026-04-02T07:00:00.000Z', '2026-04-07T07:00:00.000Z'], 'queued'],
    ['skip', BERLIN_TU_TH.slice(2, 5), 'skipped'],
  ] as const)('pauses and resumes with %s, without a burst', async (policy, expected, stateInPause) => {
    const id = await createSeries()
    clock.set(new Date('2026-03-20T12:00:00Z'))
    await logInAgain(browser, 'editor@series.test') // ten days idle: the session ended
    expect((await browser.submit(`/app/series/${id}`, { intent: 'pause' })).status).toBe(302)
    const [sequence] = await app.services.database.db.select().from(sequences).where(eq(sequences.id, id))
    expect(sequence!.status).toBe('paused')
    clock.set(new Date('2026-03-30T12:00:00Z')) // posts 3 and 4 fell inside the pause
    await logInAgain(browser, 'editor@series.test')
    expect((await browser.submit(`/app/series/${id}`, { intent: 'resume', policy })).status).toBe(302)
    const after = await listDeliveries(app.services.database.db, { workspaceId, sequenceId: id })
    const steps = await import('../../db/queries/sequences').then((m) => m.listSteps(app.services.database.db, { workspaceId, sequenceId: id }))
    const of = (k: number) => after.find((d) => d.stepId === steps[k - 1]!.id)!
    expect([1, 2].map((k) => of(k).dueAt.toISOString())).toEqual(BERLIN_TU_TH.slice(0, 2))
    expect([3, 4, 5].map((k) => of(k).dueAt.toISOString())).toEqual(expected)
    expect(of(3).state).toBe(stateInPause)
    // Nothing that came due during the pause is left to burst out now.
    const fromPost3 = steps.slice(2).map((s) => after.find((d) => d.stepId === s.id)!)
    expect(fromPost3.filter((d) => d.state === 'queued').every((d) => d.dueAt > clock.now())).toBe(true)
  })

  it('refuses bad input with a 400 naming the field, and writes nothing', async () => {
    const count = async () => (await app.services.database.db.select().from(sequences)).length
    const before = await count()
    const cases: Array<[Record<string, string>, string]> = [
      [{ rule: 'FREQ=SECONDLY' }, 'rule'],
      [{ timezone: 'Mars/Olympus' }, 'timezone'],
      [{ start: 'tomorrow' }, 'start'],
      [{ name: '' }, 'name'],
      [{ [`account-${accountId}`]: '' , 'account-x': '' }, 'accountIds'],
      [{ 'post-3': 'x'.repeat(600) }, 'posts.2'],
    ]
    for (const [fields, field] of cases) {
      const form = seriesForm(fields)
      if (field === 'accountIds') for (const key of Object.keys(form)) if (key.startsWith('account-')) delete form[key]
      const response = await browser.submit('/app/series/new', form)
      expect(response.status, field).toBe(400)
      expect(await response.text(), field).toContain(field === 'posts.2' ? 'post 3 on @team@social.example' : field)
    }
    expect(await count()).toBe(before)
  })

  it('creates and reads a series through the API', async () => {
    const auth = { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }
    const body = { name: 'API series', posts: ['a', 'b'], accountIds: [accountId], rule: 'FREQ=WEEKLY;BYDAY=TU,TH;BYHOUR=9;BYMINUTE=0', start: '2026-03-17T09:00', timezone: 'Europe/Berlin' }
    const bad = await fetch(`${app.url}/api/v1/series`, { method: 'POST', headers: auth, body: JSON.stringify({ ...body, timezone: 'Nowhere/Land' }) })
    expect(bad.status).toBe(400)
    expect((await bad.json()).error.field).toBe('timezone')
    const created = await fetch(`${app.url}/api/v1/series`, { method: 'POST', headers: auth, body: JSON.stringify(body) })
    expect(created.status).toBe(201)
    const series = await created.json()
    expect(series.deliveries.map((d: { dueAt: string }) => d.dueAt)).toEqual(BERLIN_TU_TH.slice(0, 2))
    const read = await fetch(`${app.url}/api/v1/series/${series.id}`, { headers: auth })
    expect((await read.json()).text).toBe('every Tuesday and Thursday at 9:00, 2 times')
    const list = await (await fetch(`${app.url}/api/v1/series`, { headers: auth })).json()
    expect(list.series.some((s: { id: string }) => s.id === series.id)).toBe(true)
  })
})
