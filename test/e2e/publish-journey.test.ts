import path from 'node:path'
import { type Browser } from 'playwright-core'
import { desktopContext, launchChromium, signUpInBrowser } from './browser'
import { listDeliveries } from '../../db/queries/deliveries'
import { findUserByEmail } from '../../db/queries/users'
import { listWorkspacesOfUser } from '../../db/queries/workspaces'
import { startWorker, type Worker } from '../../jobs/worker'
import { startTestApp, type TestApp } from '../app-server'
import { startXApiServer, type XApiServer } from '../servers/x-api'

/**
 * The whole journey in Chromium against the built app (`npx remix build`), on the real clock, with the
 * app's own worker running in the same process (as `npm start` does with RUN_WORKER): sign up → connect
 * X through OAuth at the loopback X server → write a 10-post Tue/Thu series → see it on the calendar →
 * drag the first post to today, a minute or so ahead → the worker publishes it at that time to the
 * loopback X server → the calendar shows it published with the post's URL.
 *
 * The series' time of day is the next whole minute at least ~50 s away (UTC), so dragging post 1 in
 * the month view to that minute's date makes it due then (a month-view drop keeps the time of day).
 */

const root = path.resolve(import.meta.dirname, '../..')

let app: TestApp
let x: XApiServer
let browser: Browser
let worker: Worker | undefined

beforeAll(async () => {
  x = await startXApiServer({ user: { username: 'drip_team', name: 'Drip Team' } })
  ;[app, browser] = await Promise.all([
    startTestApp({
      env: { X_CLIENT_ID: x.clientId, X_CLIENT_SECRET: x.clientSecret, X_API_BASE_URL: x.url, X_UPLOAD_BASE_URL: x.url, X_AUTHORIZE_URL: x.authorizeUrl },
    }),
    launchChromium(),
  ])
  worker = await startWorker(app.services)
})
afterAll(async () => {
  await browser?.close()
  await worker?.stop({ drainMs: 2000 })
  await app?.close()
  await x?.close()
})

const pad = (n: number) => String(n).padStart(2, '0')
const utcDate = (d: Date) => `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`

it('signs up, connects X, writes a Tue/Thu series, drags a post to a minute ahead and sees it published at the X server', { timeout: 240_000 }, async () => {
  const context = await desktopContext(browser)
  const page = await context.newPage()

  // Sign up.
  await signUpInBrowser(page, app.url, { name: 'Maria', email: 'maria@journey.test', workspaceName: 'Launch team' })

  // Connect X through OAuth (the loopback server plays X's authorize step and redirects back).
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Accounts', exact: true }).click()
  await page.getByRole('heading', { level: 1, name: 'Accounts' }).waitFor()
  await page.waitForLoadState('networkidle')
  await page.getByRole('button', { name: 'Connect X' }).click()
  await page.waitForURL(/\/app\/accounts\?connected=/)
  await page.getByRole('row', { name: /@drip_team/ }).waitFor()

  // A 10-post series every Tuesday and Thursday at a time of day a minute or so from now (UTC).
  const due = new Date(Math.ceil((Date.now() + 50_000) / 60_000) * 60_000)
  let first = new Date(Date.UTC(due.getUTCFullYear(), due.getUTCMonth(), due.getUTCDate() + 1))
  while (![2, 4].includes(first.getUTCDay())) first = new Date(first.getTime() + 86_400_000)
  const rule = `FREQ=WEEKLY;BYDAY=TU,TH;BYHOUR=${due.getUTCHours()};BYMINUTE=${due.getUTCMinutes()}`

  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Series', exact: true }).click()
  await page.getByRole('heading', { level: 1, name: 'Series' }).waitFor()
  await page.getByRole('link', { name: 'New series' }).first().click()
  await page.getByRole('heading', { level: 1, name: 'New series' }).waitFor()
  await page.waitForLoadState('networkidle')
  await page.getByLabel('Name').fill('Launch week')
  const posts = Array.from({ length: 10 }, (_, i) => `Launch tip ${i + 1}: ship small, ship often. #buildinpublic`)
  await page.getByLabel('Post 1', { exact: true }).fill(posts.join('\n---\n'))
  await page.getByLabel('Post 10', { exact: true }).waitFor()
  expect(await page.getByLabel('@drip_team (X)').isChecked()).toBe(true)
  await page.getByLabel('Rule (RRULE)').fill(rule)
  await page.getByLabel('Start').fill(`${utcDate(first)}T${pad(due.getUTCHours())}:${pad(due.getUTCMinutes())}`)
  await page.getByLabel('Time zone').selectOption('UTC')
  const preview = page.getByTestId('recurrence-preview')
  await preview.getByText('10 times', { exact: false }).waitFor()
  await preview.getByText(`Post 1: ${utcDate(first)} ${pad(due.getUTCHours())}:${pad(due.getUTCMinutes())}`).waitFor()
  await page.getByRole('button', { name: 'Create series' }).click()

  // On the calendar: all ten posts are scheduled; post 1 is on the first Tue/Thu after today.
  await page.waitForURL(/\/app\/calendar\?series=/)
  const seriesId = new URL(page.url()).searchParams.get('series')!
  const user = await findUserByEmail(app.services.database.db, { email: 'maria@journey.test' })
  const { workspaceId } = (await listWorkspacesOfUser(app.services.database.db, { userId: user!.id }))[0]!
  const before = await listDeliveries(app.services.database.db, { workspaceId, sequenceId: seriesId })
  expect(before).toHaveLength(10)
  expect(before.every((d) => d.state === 'queued')).toBe(true)
  expect(before[0]!.dueAt.toISOString().slice(0, 10)).toBe(utcDate(first))

  // Show a month holding both dates (today's and post 1's), then drag post 1 to today's date.
  const calendar = page.getByTestId('calendar')
  const target = calendar.locator(`[data-date="${utcDate(due)}"]`).first()
  await page.goto(`${app.url}/app/calendar?series=${seriesId}&tz=UTC&date=${utcDate(first)}`)
  await page.waitForLoadState('networkidle')
  if ((await target.count()) === 0) {
    await page.goto(`${app.url}/app/calendar?series=${seriesId}&tz=UTC&date=${utcDate(due)}`)
    await page.waitForLoadState('networkidle')
  }
  const event = calendar.getByText(/Launch tip 1:/).first()
  await event.waitFor()
  const from = (await event.boundingBox())!
  const to = (await target.boundingBox())!
  // Grab the post by its start: after 23:00 a post's bar runs past midnight into the next day's cell, and
  // a grab at the bar's middle would be on that day, landing the post a day earlier than aimed (the past).
  const grab = { x: from.x + Math.min(12, from.width / 4), y: from.y + from.height / 2 }
  await page.mouse.move(grab.x, grab.y)
  await page.mouse.down()
  await page.mouse.move(grab.x + 10, grab.y + 5, { steps: 5 })
  await page.mouse.move(to.x + to.width / 2, to.y + to.height / 2, { steps: 15 })
  await page.mouse.up()
  await page.getByRole('status').filter({ hasText: 'The post was moved' }).waitFor()

  const moved = (await listDeliveries(app.services.database.db, { workspaceId, deliveryIds: [before[0]!.id] }))[0]!
  expect(moved.dueAt.toISOString()).toBe(due.toISOString())
  expect(x.posts).toHaveLength(0)

  // The worker publishes it at its time, to the loopback X server; nothing else goes out.
  const deadline = due.getTime() + 60_000
  while (x.posts.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 250))
  expect(x.posts.map((p) => p.text)).toEqual([posts[0]])
  const tweet = x.posts[0]!
  expect(tweet.createdAt.getTime()).toBeGreaterThanOrEqual(due.getTime())
  let published = moved
  for (let i = 0; i < 40 && published.state !== 'published'; i++) {
    await new Promise((resolve) => setTimeout(resolve, 250))
    published = (await listDeliveries(app.services.database.db, { workspaceId, deliveryIds: [moved.id] }))[0]!
  }
  expect(published.state).toBe('published')
  const url = `https://x.com/drip_team/status/${tweet.id}`

  // The calendar shows it published, and its dialog links to the post on X.
  await page.goto(`${app.url}/app/calendar?series=${seriesId}&tz=UTC&date=${utcDate(due)}`)
  await page.waitForLoadState('networkidle')
  const done = calendar.getByRole('button', { name: /Published on X @drip_team: Launch tip 1:/ }).first()
  await done.waitFor()
  await done.click()
  const dialog = page.getByRole('dialog')
  await dialog.getByText('✓ Published', { exact: true }).waitFor()
  expect(await dialog.getByRole('link', { name: 'View the published post' }).getAttribute('href')).toBe(url)
  await page.screenshot({ path: path.join(root, 'docs/screenshots/calendar-published.png'), fullPage: true })
  const rest = await listDeliveries(app.services.database.db, { workspaceId, sequenceId: seriesId })
  expect(rest.filter((d) => d.state === 'queued')).toHaveLength(9)
  await context.close()
})
