import { fixedClock } from '../../domain/clock'
import { signUpAs, startTestApp, type TestApp, type TestBrowser } from '../app-server'
import { connectTestAccount, createApiToken, workspaceIdOf } from './setup'

/**
 * Queue slots (decision 091) through the built app: the account's schedule over the API (replace,
 * read, 400 naming the field, 404 for another workspace's account) and the account page's form; the
 * next free slot skips the instants the account's scheduled deliveries use (not a series' own when it
 * is being edited), in the account's zone across the spring-forward change.
 */
// Friday 27 March 2026, 10:00 in Berlin (CET): the zone changes to CEST on Sunday.
const clock = fixedClock(new Date('2026-03-27T09:00:00Z'))
let app: TestApp
let browser: TestBrowser
let token: string
let accountId: string
let otherAccountId: string

beforeAll(async () => {
  app = await startTestApp({ clock })
  browser = await signUpAs(app, { email: 'queue@slots.test' })
  token = await createApiToken(browser)
  accountId = await connectTestAccount(app, { workspaceId: await workspaceIdOf(app, token), clock })
  const other = await signUpAs(app, { email: 'other@slots.test' })
  otherAccountId = await connectTestAccount(app, { workspaceId: await workspaceIdOf(app, await createApiToken(other)), clock, handle: 'other@social.example' })
})
afterAll(async () => {
  await app?.close()
})

const api = (method: string, path: string, body?: unknown) =>
  fetch(`${app.url}/api/v1${path}`, { method, headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) })
const nextSlot = async (query = `accountIds=${accountId}`) => {
  const response = await api('GET', `/queue/next-slot?${query}`)
  return { status: response.status, body: await response.json() }
}

it('stores the schedule, refuses bad input naming the field and hides other workspaces’ accounts', async () => {
  expect(await (await api('GET', `/accounts/${accountId}/queue`)).json()).toMatchObject({ timezone: 'UTC', slots: [] })
  expect((await nextSlot()).body.error).toMatchObject({ code: 'conflict', field: 'accountIds' })

  const bad = await api('PUT', `/accounts/${accountId}/queue`, { timezone: 'Europe/Berlin', slots: [{ day: 'MO', time: '9am' }] })
  expect(bad.status).toBe(400)
  expect((await bad.json()).error).toMatchObject({ field: 'slots.0.time' })
  const foreign = await api('PUT', `/accounts/${otherAccountId}/queue`, { timezone: 'UTC', slots: [{ day: 'MO', time: '09:00' }] })
  expect(foreign.status).toBe(404)
  expect((await api('GET', `/accounts/${otherAccountId}/queue`)).status).toBe(404)

  const slots = (['FR', 'MO', 'TU', 'WE', 'TH'] as const).flatMap((day) => [{ day, time: '13:00' }, { day, time: '09:00' }])
  const saved = await api('PUT', `/accounts/${accountId}/queue`, { timezone: 'Europe/Berlin', slots })
  expect(saved.status).toBe(200)
  const schedule = await saved.json()
  expect(schedule.slots.slice(0, 3)).toEqual([{ day: 'MO', time: '09:00' }, { day: 'MO', time: '13:00' }, { day: 'TU', time: '09:00' }])
  expect(schedule.timesByDay).toMatchObject({ MO: ['09:00', '13:00'], SA: [] })
})

it('takes the next slot no scheduled post of the account uses, keeping the local time across DST', async () => {
  // Friday 13:00 CET is the first slot after 10:00.
  expect((await nextSlot()).body).toEqual({ at: '2026-03-27T12:00:00.000Z', local: '2026-03-27T13:00', timezone: 'Europe/Berlin' })
  const series = await api('POST', '/series', { name: 'Queued', posts: ['Queued post'], accountIds: [accountId], rule: 'FREQ=DAILY;COUNT=1', start: '2026-03-27T13:00', timezone: 'Europe/Berlin' })
  expect(series.status).toBe(201)
  const { id: seriesId } = await series.json()
  // Taken now: Monday 09:00 is CEST (07:00Z), shown in the zone asked for.
  expect((await nextSlot(`accountIds=${accountId}&timezone=America/New_York`)).body).toEqual({ at: '2026-03-30T07:00:00.000Z', local: '2026-03-30T03:00', timezone: 'America/New_York' })
  // The series being edited keeps its own slot.
  expect((await nextSlot(`accountIds=${accountId}&seriesId=${seriesId}`)).body.at).toBe('2026-03-27T12:00:00.000Z')
  // Another workspace's account names nothing here.
  expect((await nextSlot(`accountIds=${otherAccountId}`)).status).toBe(409)
  expect((await nextSlot('accountIds=nope')).body.error).toMatchObject({ code: 'invalid_request', field: 'accountIds.0' })
})

it('saves the schedule from the account page’s form, errors under the day', async () => {
  const page = await browser.get(`/app/accounts/${accountId}/queue`)
  expect(page.status).toBe(200)
  expect(await page.text()).toContain('Posting times of')
  const bad = await browser.submit(`/app/accounts/${accountId}/queue`, { timezone: 'Europe/Berlin', 'times-MO': '09:00, 25:00' })
  expect(bad.status).toBe(400)
  expect(await bad.text()).toContain('Use 24-hour times like 09:00, 13:00')
  const good = await browser.submit(`/app/accounts/${accountId}/queue`, { timezone: 'Europe/London', 'times-SA': '8:30', 'times-SU': '' })
  expect(good.status).toBe(200)
  expect(await (await api('GET', `/accounts/${accountId}/queue`)).json()).toMatchObject({ timezone: 'Europe/London', slots: [{ day: 'SA', time: '08:30' }] })
  expect((await browser.get(`/app/accounts/${otherAccountId}/queue`)).status).toBe(404)
})

describe('hashtag groups (same app: the composer’s helpers)', () => {
  it('adds, lists and removes groups over the API and the page; a taken name is a 409, bad hashtags a 400 naming the field', async () => {
    const created = await api('POST', '/hashtag-groups', { name: 'Garden', hashtags: 'garden, #spring #garden' })
    expect(created.status).toBe(201)
    const garden = await created.json()
    expect(garden).toMatchObject({ name: 'Garden', hashtags: ['#garden', '#spring'] })
    expect((await (await api('POST', '/hashtag-groups', { name: 'Garden', hashtags: ['#x'] })).json()).error).toMatchObject({ code: 'conflict', field: 'name' })
    expect((await (await api('POST', '/hashtag-groups', { name: 'Bad', hashtags: ['#no-dash'] })).json()).error).toMatchObject({ code: 'invalid_request', field: 'hashtags.0' })

    const bad = await browser.submit('/app/series/hashtags', { intent: 'create', name: 'Tips', hashtags: 'ok #not-ok' })
    expect(bad.status).toBe(400)
    expect(await bad.text()).toContain('is not a hashtag')
    expect((await browser.submit('/app/series/hashtags', { intent: 'create', name: 'Tips', hashtags: 'tips howto' })).status).toBe(302)
    const listed = (await (await api('GET', '/hashtag-groups')).json()).groups
    expect(listed.map((g: { name: string; hashtags: string[] }) => `${g.name}: ${g.hashtags.join(' ')}`)).toEqual(['Garden: #garden #spring', 'Tips: #tips #howto'])
    // The editor offers them.
    expect(await (await browser.get('/app/series/new')).text()).toContain('Add hashtag group Garden (#garden #spring) to post 1')

    expect((await api('DELETE', `/hashtag-groups/${garden.id}`)).status).toBe(204)
    expect((await api('DELETE', `/hashtag-groups/${garden.id}`)).status).toBe(404)
    expect((await (await api('GET', '/hashtag-groups')).json()).groups).toHaveLength(1)
  })
})
