import path from 'node:path'
import { type Browser } from 'playwright-core'
import { desktopContext, launchChromium, signUpInBrowser } from './browser'
import { connectAccount } from '../../db/queries/accounts'
import { listDeliveries } from '../../db/queries/deliveries'
import { findUserByEmail } from '../../db/queries/users'
import { listWorkspacesOfUser } from '../../db/queries/workspaces'
import { fixedClock } from '../../domain/clock'
import { startTestApp, type TestApp } from '../app-server'
import { startXApiServer, type XApiServer } from '../servers/x-api'

/**
 * The first user-facing slice in Chromium against the built app (`npx remix build`): sign up, an X
 * account is connected (seeded through connectAccount; the OAuth flow has its own test), write a 10-post
 * Tue/Thu series in the editor by pasting the posts, see it on the calendar, drag one occurrence to
 * another day, and the delivery's due time changed (only that one).
 */

const root = path.resolve(import.meta.dirname, '../..')
const clock = fixedClock(new Date('2026-03-10T12:00:00Z'))

let app: TestApp
let x: XApiServer
let browser: Browser

beforeAll(async () => {
  x = await startXApiServer({ user: { username: 'drip_team', name: 'Drip Team' } })
  ;[app, browser] = await Promise.all([
    startTestApp({
      clock,
      env: { X_CLIENT_ID: x.clientId, X_CLIENT_SECRET: x.clientSecret, X_API_BASE_URL: x.url, X_UPLOAD_BASE_URL: x.url, X_AUTHORIZE_URL: x.authorizeUrl },
    }),
    launchChromium(),
  ])
})
afterAll(async () => {
  await browser?.close()
  await app?.close()
  await x?.close()
})

it('creates a 10-post Tue/Thu series in the editor, shows it on the calendar, moves one post by dragging and another with the keyboard only', { timeout: 120_000 }, async () => {
  const context = await desktopContext(browser)
  const page = await context.newPage()
  await signUpInBrowser(page, app.url, { name: 'Maria', email: 'maria@series.test', workspaceName: 'Launch team' })

  const user = await findUserByEmail(app.services.database.db, { email: 'maria@series.test' })
  const { workspaceId } = (await listWorkspacesOfUser(app.services.database.db, { userId: user!.id }))[0]!
  await connectAccount(app.services.database.db, {
    workspaceId: workspaceId,
    kind: 'x',
    remoteAccountId: '1001',
    handle: 'drip_team',
    displayName: 'Drip Team',
    credentials: { accessToken: 'x-access', refreshToken: 'x-refresh', expiresAt: new Date('2026-03-10T14:00:00Z') },
    keyring: app.services.keyring,
    clock,
  })

  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Series', exact: true }).click()
  await page.getByRole('heading', { level: 1, name: 'Series' }).waitFor()
  await page.getByRole('link', { name: 'New series' }).click()
  await page.getByRole('heading', { level: 1, name: 'New series' }).waitFor()
  await page.waitForLoadState('networkidle')

  await page.getByLabel('Name').fill('Spring tips')
  const posts = Array.from({ length: 10 }, (_, i) => `Spring tip ${i + 1}: water early, weed often. #garden`)
  await page.getByLabel('Post 1', { exact: true }).fill(posts.join('\n---\n'))
  await page.getByLabel('Post 10', { exact: true }).waitFor()
  expect(await page.getByLabel('@drip_team (X)').isChecked()).toBe(true)
  await page.getByLabel('Repeat').selectOption({ label: 'Every Tue/Thu at 9:00' })
  await page.getByLabel('Start').fill('2026-03-17T09:00')
  await page.getByLabel('Time zone').selectOption('Europe/Berlin')
  const preview = page.getByTestId('recurrence-preview')
  await preview.getByText('Posts go out every Tuesday and Thursday at 9:00, 10 times.').waitFor()
  await preview.getByText('Post 5: 2026-03-31 09:00').waitFor()
  await page.getByText(/X @drip_team: \d+\/280/).first().waitFor()
  await page.screenshot({ path: path.join(root, 'docs/screenshots/series-editor.png'), fullPage: true })

  await page.getByRole('button', { name: 'Create series' }).click()
  await page.waitForURL(/\/app\/calendar\?series=/)
  await page.getByRole('heading', { level: 1, name: 'Calendar' }).waitFor()
  await page.waitForLoadState('networkidle')
  const seriesId = new URL(page.url()).searchParams.get('series')!
  const before = await listDeliveries(app.services.database.db, { workspaceId: workspaceId, sequenceId: seriesId })
  expect(before).toHaveLength(10)
  expect(before[0]!.dueAt.toISOString()).toBe('2026-03-17T08:00:00.000Z')
  expect(before[4]!.dueAt.toISOString()).toBe('2026-03-31T07:00:00.000Z')

  const calendar = page.getByTestId('calendar')
  const event = calendar.getByText(/Spring tip 3:/).first()
  await event.waitFor()
  await page.screenshot({ path: path.join(root, 'docs/screenshots/calendar.png'), fullPage: true })

  // Drag post 3 (Tue 24 March) to Wednesday 25 March.
  const target = calendar.locator('[data-date="2026-03-25"]').first()
  const from = (await event.boundingBox())!
  const to = (await target.boundingBox())!
  await page.mouse.move(from.x + from.width / 2, from.y + from.height / 2)
  await page.mouse.down()
  await page.mouse.move(from.x + from.width / 2 + 10, from.y + from.height / 2 + 5, { steps: 5 })
  await page.mouse.move(to.x + to.width / 2, to.y + to.height / 2, { steps: 15 })
  await page.mouse.up()
  await page.getByRole('status').filter({ hasText: 'The post was moved' }).waitFor()

  const after = await listDeliveries(app.services.database.db, { workspaceId: workspaceId, sequenceId: seriesId })
  const moved = after.find((d) => d.id === before[2]!.id)!
  expect(moved.dueAt.toISOString()).toBe('2026-03-25T08:00:00.000Z')
  expect(after.filter((d) => d.id !== moved.id).map((d) => d.dueAt.toISOString())).toEqual(before.filter((d) => d.id !== moved.id).map((d) => d.dueAt.toISOString()))

  // Keyboard instead of dragging: focus post 4, Enter opens it, a new time in the calendar's zone, Enter moves it.
  await calendar.getByText(/Spring tip 4:/).first().locator('xpath=ancestor-or-self::*[@tabindex="0"][1]').focus()
  await page.keyboard.press('Enter')
  const moveTo = page.getByRole('dialog').getByLabel('Move to (Europe/Berlin)')
  await moveTo.focus()
  await moveTo.fill('2026-03-27T10:30')
  await page.keyboard.press('Enter')
  const fourth = before[3]!.id
  for (let i = 0; i < 100; i++) {
    const row = (await listDeliveries(app.services.database.db, { workspaceId, deliveryIds: [fourth] }))[0]!
    if (row.dueAt.toISOString() === '2026-03-27T09:30:00.000Z') break
    if (i === 99) throw new Error(`post 4 was not moved by keyboard: ${row.dueAt.toISOString()}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }

  // Phone width: the calendar and the editor still render without horizontal scrolling of the page.
  await page.setViewportSize({ width: 390, height: 844 })
  await page.goto(`${app.url}/app/calendar?series=${seriesId}`)
  await calendar.getByText(/Spring tip 1:/).first().waitFor()
  expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1)).toBe(true)
  await context.close()
})
