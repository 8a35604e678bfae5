import ICAL from 'ical.js'
import { listDeliveries } from '../../db/queries/deliveries'
import { fixedClock } from '../../domain/clock'
import { signUpAs, startTestApp, type TestApp, type TestBrowser } from '../app-server'
import { connectTestAccount, createApiToken, workspaceIdOf } from './setup'

/**
 * The workspace's ICS feed: a secret URL shown on the calendar page, parsed here with a real iCalendar
 * parser (ical.js): one VEVENT per post with a stable UID and UTC start; another workspace's feed shows
 * only its own posts; a tampered, regenerated or revoked URL is a 404; viewers cannot manage the feed.
 */

const clock = fixedClock(new Date('2026-03-10T12:00:00Z'))
let app: TestApp
let browser: TestBrowser
let workspaceId: string

beforeAll(async () => {
  app = await startTestApp({ clock })
  browser = await signUpAs(app, { email: 'planner@ics.test' })
  workspaceId = await workspaceIdOf(app, await createApiToken(browser))
  const accountId = await connectTestAccount(app, { workspaceId, clock })
  const posts = Object.fromEntries(Array.from({ length: 4 }, (_, i) => [`post-${i + 1}`, `Tip ${i + 1}: commas, semicolons; and a long line ${'x'.repeat(90)}`]))
  const created = await browser.submit('/app/series/new', {
    name: 'Spring tips',
    ...posts,
    [`account-${accountId}`]: 'on',
    rule: 'FREQ=WEEKLY;BYDAY=TU,TH;BYHOUR=9;BYMINUTE=0',
    start: '2026-03-17T09:00',
    timezone: 'Europe/Berlin',
  })
  expect(created.status, await created.clone().text()).toBe(302)
})
afterAll(async () => {
  await app?.close()
})

const feedUrlOn = async (as: TestBrowser) => /https?:\/\/[^"<\s]+\/ics\/[^"<\s]+\.ics/.exec(await (await as.get('/app/calendar')).text())?.[0] ?? null
const feedPath = (url: string) => new URL(url).pathname

function parse(text: string) {
  const calendar = new ICAL.Component(ICAL.parse(text))
  return calendar.getAllSubcomponents('vevent').map((vevent) => {
    const event = new ICAL.Event(vevent)
    return { uid: event.uid, start: event.startDate.toJSDate().toISOString(), utc: event.startDate.zone?.tzid === 'UTC', summary: event.summary, url: vevent.getFirstPropertyValue('url') }
  })
}

describe('ICS feed', () => {
  it('serves every post as a VEVENT with a stable UID and UTC start, folded and escaped', async () => {
    expect(await feedUrlOn(browser)).toBeNull()
    expect((await browser.submit('/app/calendar', { intent: 'regenerate' }, { action: '/app/calendar/feed' })).status).toBe(302)
    const url = (await feedUrlOn(browser))!
    expect(url).toMatch(/\/ics\/[0-9a-f-]{36}\.[A-Za-z0-9_-]{43}\.ics$/)

    const response = await fetch(`${app.url}${feedPath(url)}`) // no session: the URL is the credential
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toMatch(/^text\/calendar/)
    const text = await response.text()
    expect(text.split('\r\n').every((line) => Buffer.byteLength(line) <= 75)).toBe(true)
    const events = parse(text)
    const rows = await listDeliveries(app.services.database.db, { workspaceId })
    expect(events.map((e) => e.uid).sort()).toEqual(rows.map((r) => `${r.id}@trickle`).sort())
    expect(events.map((e) => e.start).sort()).toEqual(['2026-03-17T08:00:00.000Z', '2026-03-19T08:00:00.000Z', '2026-03-24T08:00:00.000Z', '2026-03-26T08:00:00.000Z'])
    expect(events.every((e) => e.utc)).toBe(true)
    expect(events[0]!.summary).toContain('commas, semicolons; and')
    expect(String(events[0]!.url)).toContain('/app/series/')
    // Same posts, same UIDs on the next fetch: calendar apps update events instead of duplicating them.
    expect(parse(await (await fetch(`${app.url}${feedPath(url)}`)).text()).map((e) => e.uid).sort()).toEqual(events.map((e) => e.uid).sort())
  })

  it('is a 404 when tampered with, regenerated or revoked, and shows another workspace only its own posts', async () => {
    const first = (await feedUrlOn(browser))!
    const tampered = feedPath(first).replace(/\.([A-Za-z0-9_-])([A-Za-z0-9_-]{42})\.ics$/, (_, c: string, rest: string) => `.${c === 'A' ? 'B' : 'A'}${rest}.ics`)
    expect((await fetch(`${app.url}${tampered}`)).status).toBe(404)
    expect((await fetch(`${app.url}/ics/not-a-feed.ics`)).status).toBe(404)

    await browser.submit('/app/calendar', { intent: 'regenerate' }, { action: '/app/calendar/feed' })
    const second = (await feedUrlOn(browser))!
    expect(second).not.toBe(first)
    expect((await fetch(`${app.url}${feedPath(first)}`)).status).toBe(404)
    expect((await fetch(`${app.url}${feedPath(second)}`)).status).toBe(200)

    const other = await signUpAs(app, { email: 'other@ics.test' })
    await other.submit('/app/calendar', { intent: 'regenerate' }, { action: '/app/calendar/feed' })
    const otherUrl = (await feedUrlOn(other))!
    expect(parse(await (await fetch(`${app.url}${feedPath(otherUrl)}`)).text())).toEqual([])

    await browser.submit('/app/calendar', { intent: 'revoke' }, { action: '/app/calendar/feed' })
    expect(await feedUrlOn(browser)).toBeNull()
    expect((await fetch(`${app.url}${feedPath(second)}`)).status).toBe(404)
  })

  it('refuses a missing CSRF token and an unknown intent', async () => {
    expect((await browser.submit('/app/calendar', { intent: 'regenerate' }, { action: '/app/calendar/feed', csrf: null })).status).toBe(403)
    const bad = await browser.submit('/app/calendar', { intent: 'delete-everything' }, { action: '/app/calendar/feed' })
    expect(bad.status).toBe(400)
    expect(await bad.text()).toContain('intent')
  })
})
