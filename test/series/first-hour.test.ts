import { and, eq } from 'drizzle-orm'
import { deliveries, sequences, workspaces } from '../../db/schema'
import { fixedClock } from '../../domain/clock'
import { signUpAs, startTestApp, TestBrowser, type TestApp } from '../app-server'
import { connectTestAccount, createApiToken, workspaceIdOf } from './setup'

/**
 * Issue 20, "the first hour", over HTTP as the browser posts the forms: a start in the past is refused
 * with words a person reads (no `posts.0.parts.0.text:`), a finished series says "Finished", and times
 * show in the workspace's zone with UTC on hover. The sign-up form's hidden zone becomes the workspace's.
 */
const clock = fixedClock(new Date('2026-03-10T12:00:00Z'))
let app: TestApp
let browser: TestBrowser
let workspaceId: string
let accountId: string

beforeAll(async () => {
  app = await startTestApp({ clock })
  browser = await signUpAs(app, { email: 'first@hour.test' })
  workspaceId = await workspaceIdOf(app, await createApiToken(browser))
  accountId = await connectTestAccount(app, { workspaceId, clock })
})
afterAll(async () => {
  await app?.close()
})

const form = (fields: Record<string, string> = {}) => ({
  name: 'Spring tips',
  'post-1': 'Tip 1',
  'post-2': 'Tip 2',
  'post-3': 'Tip 3',
  [`account-${accountId}`]: 'on',
  rule: 'FREQ=WEEKLY;BYDAY=TU,TH;BYHOUR=9;BYMINUTE=0',
  start: '2026-03-17T09:00',
  timezone: 'Europe/Berlin',
  ...fields,
})
const text = async (response: Response) => (await response.text()).replaceAll('<!-- -->', '')
const seriesCount = async () => (await app.services.database.db.select().from(sequences).where(eq(sequences.workspaceId, workspaceId))).length

it('refuses a start in the past, saying when and how many, and writes nothing; the live check warns first', async () => {
  const before = await seriesCount()
  const response = await browser.submit('/app/series/new', form({ start: '2026-03-03T09:00' }))
  expect(response.status).toBe(400)
  const page = await text(response)
  expect(page).toContain('Start: posts 1–3 would be due before now (post 1 on 2026-03-03 09:00, Europe/Berlin), and nothing is published in the past.')
  expect(await seriesCount()).toBe(before)

  const html = await (await browser.get('/app/series/new')).text()
  const csrf = /name="csrf" value="([^"]*)"/.exec(html)![1]!
  const check = await (await browser.post('/app/series/check', { csrf, ...form({ start: '2026-03-10T09:00' }) })).json()
  expect(check.warnings).toContain('Start: post 1 would be due before now (post 1 on 2026-03-10 09:00, Europe/Berlin), and nothing is published in the past. Choose a start later than now.')
})

it('names fields the way the editor labels them, never by their paths', async () => {
  const response = await browser.submit('/app/series/new', form({ 'post-2': 'x'.repeat(600) }))
  expect(response.status).toBe(400)
  const page = await text(response)
  expect(page).toMatch(/Post 2: /)
  expect(page).not.toMatch(/posts\.\d+(\.parts\.\d+\.text)?: /)
})

it('lists a series whose posts have all gone out as Finished, with the next date in its zone and UTC on hover', async () => {
  const created = await browser.submit('/app/series/new', form())
  expect(created.status).toBe(302)
  const seriesId = new URL(created.headers.get('location')!, app.url).searchParams.get('series')!
  const list = await text(await browser.get('/app/series'))
  // Post 1: Tuesday 17 March, 09:00 in Berlin = 08:00 UTC.
  expect(list).toContain('<time dateTime="2026-03-17T08:00:00.000Z" title="2026-03-17 08:00 UTC">2026-03-17 09:00 (Europe/Berlin)</time>')
  expect(list).toContain('Active')

  await app.services.database.db
    .update(deliveries)
    .set({ state: 'published' })
    .where(and(eq(deliveries.workspaceId, workspaceId), eq(deliveries.sequenceId, seriesId)))
  const after = await text(await browser.get('/app/series'))
  expect(after).toMatch(/3\/3 published<\/td><td[^>]*>—<\/td><td[^>]*>Finished/)
  expect(await text(await browser.get(`/app/series/${seriesId}`))).toMatch(/>Finished</)
})

it('shows times in the workspace zone once it is set, e.g. an invitation expiry', async () => {
  await app.services.database.db.update(workspaces).set({ timezone: 'America/New_York' }).where(eq(workspaces.id, workspaceId))
  await browser.submit('/app/settings/invitations', { intent: 'create', role: 'editor' })
  const page = await text(await browser.get('/app/settings/invitations'))
  const time = /<time dateTime="([^"]+)" title="([^"]+) UTC">([^<]+)<\/time>/.exec(page)
  expect(time).not.toBeNull()
  const [, iso, utc, local] = time!
  expect(utc).toBe(`${iso!.slice(0, 10)} ${iso!.slice(11, 16)}`)
  // New York is 4 or 5 hours behind UTC.
  const hours = (Date.parse(`${utc!.replace(' ', 'T')}:00Z`) - Date.parse(`${local!.slice(0, 16).replace(' ', 'T')}:00Z`)) / 3_600_000
  expect([4, 5]).toContain(hours)
  expect(local).toContain('(America/New_York)')
  expect(page).not.toContain('Expires (UTC)')
})

it("gives a new workspace the sign-up browser's time zone (and ignores one it cannot read)", async () => {
  const visitor = new TestBrowser(app.url)
  expect((await visitor.submit('/signup', { name: 'Z', email: 'zoned@hour.test', password: 'correct horse battery staple', workspaceName: 'Zoned', timezone: 'Asia/Tokyo' })).status).toBe(302)
  const other = new TestBrowser(app.url)
  expect((await other.submit('/signup', { name: 'M', email: 'mars@hour.test', password: 'correct horse battery staple', workspaceName: 'Mars', timezone: 'Mars/Olympus' })).status).toBe(302)
  const zones = Object.fromEntries((await app.services.database.db.select().from(workspaces)).map((w) => [w.name, w.timezone]))
  expect(zones.Zoned).toBe('Asia/Tokyo')
  expect(zones.Mars).toBe('UTC')
  // The series form starts in that zone.
  expect(await (await visitor.get('/app/series/new')).text()).toMatch(/<option value="Asia\/Tokyo" selected="">/)
})
