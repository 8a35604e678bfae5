import { type Browser } from 'playwright-core'
import { desktopContext, launchChromium, signUpInBrowser } from './browser'
import { connectAccount } from '../../db/queries/accounts'
import { eq } from 'drizzle-orm'
import { listDeliveries } from '../../db/queries/deliveries'
import { deliveries } from '../../db/schema'
import { findUserByEmail } from '../../db/queries/users'
import { listWorkspacesOfUser } from '../../db/queries/workspaces'
import { startTestApp, type TestApp } from '../app-server'

/**
 * Issue 20, "the first hour", in Chromium as a new user meets it (built app: `npx remix build`): sign-up
 * takes the browser's zone and the series form starts in it; a required field the browser points at is
 * not hidden under the fixed header; a rule error goes away once the rule is fixed; a long unbroken string
 * in the import preview does not widen the page; on the calendar a post shows whole on hover, and a drag
 * of a published post says why it cannot move. No page error or console error on the way (browser.ts).
 */
let app: TestApp
let browser: Browser
beforeAll(async () => {
  ;[app, browser] = await Promise.all([startTestApp(), launchChromium()])
})
afterAll(async () => {
  await browser?.close()
  await app?.close()
})

it('a new user in Berlin writes a first series', { timeout: 120_000 }, async () => {
  const context = await desktopContext(browser, { timezoneId: 'Europe/Berlin', height: 700 })
  const page = await context.newPage()
  await signUpInBrowser(page, app.url, { name: 'Nina', email: 'nina@first.test', workspaceName: 'Bakery' })
  const user = await findUserByEmail(app.services.database.db, { email: 'nina@first.test' })
  const [workspace] = await listWorkspacesOfUser(app.services.database.db, { userId: user!.id })
  await connectAccount(app.services.database.db, {
    workspaceId: workspace!.workspaceId,
    kind: 'mastodon',
    remoteAccountId: '1@social.example',
    handle: 'bakery@social.example',
    credentials: { accessToken: 'secret', extra: { instanceUrl: 'https://social.example' } },
    keyring: app.services.keyring,
    clock: app.services.clock,
  })

  await page.goto(`${app.url}/app/series/new`)
  await page.getByRole('heading', { level: 1, name: 'New series' }).waitFor()
  await page.waitForLoadState('networkidle')
  // The zone the browser runs in became the workspace's, and the form starts in it.
  expect(await page.getByLabel('Time zone').inputValue()).toBe('Europe/Berlin')

  // Submit with the name empty, from the bottom of the page: the browser scrolls to the name field, and
  // the field is below the fixed header, not under it.
  await page.getByLabel('Post 1', { exact: true }).fill('Fresh bread every morning.')
  await page.getByRole('button', { name: 'Create series' }).scrollIntoViewIfNeeded()
  await page.getByRole('button', { name: 'Create series' }).click()
  const header = (await page.locator('header').first().boundingBox())!
  await expect.poll(async () => (await page.getByLabel('Name').boundingBox())!.y).toBeGreaterThanOrEqual(header.y + header.height)
  expect(await page.getByLabel('Name').evaluate((input) => input === document.activeElement)).toBe(true)

  // A rule the server refuses shows its error; fixing the rule takes the error away before saving again.
  await page.getByLabel('Name').fill('Bread')
  await page.getByLabel('Rule (RRULE)').fill('FREQ=SECONDLY')
  // Fix the rule only once the server has answered the save: the live check names the bad rule sooner,
  // and a fix typed before the answer would meet the answer's (older) error after it.
  const refused = page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname.startsWith('/app/series/new'))
  await page.getByRole('button', { name: 'Create series' }).click()
  expect((await refused).status()).toBe(400)
  const ruleError = page.getByText(/FREQ=SECONDLY|too often|not allowed|every second/i).first()
  await ruleError.waitFor()
  await page.getByLabel('Rule (RRULE)').fill('FREQ=WEEKLY;BYDAY=TU,TH;BYHOUR=9;BYMINUTE=0')
  await page.getByTestId('recurrence-preview').getByText('Posts go out every Tuesday and Thursday at 9:00').waitFor()
  await expect.poll(() => page.getByRole('alert').filter({ hasText: /rule/i }).count()).toBe(0)
  // The field's own error follows the live check (debounced): it goes too, without saving again.
  await expect.poll(() => page.locator('[aria-invalid="true"]').count()).toBe(0)

  // The import preview wraps a long unbroken string instead of widening the page.
  const long = `https://example.com/${'a'.repeat(2500)}`
  await page.getByLabel('Posts to import').fill(`Week 2: ${long}\n---\nWeek 3: rye.`)
  await page.getByRole('button', { name: 'Preview import' }).click()
  await page.getByRole('table', { name: 'Import preview' }).getByText('Week 3: rye.').waitFor()
  const widths = await page.evaluate(() => ({ page: document.documentElement.scrollWidth, viewport: window.innerWidth }))
  expect(widths.page).toBeLessThanOrEqual(widths.viewport)

  // Save it; once its post is published, the calendar shows the whole post on hover, and a drag of it
  // says why it cannot move (it used to select text across the grid).
  await page.getByRole('button', { name: 'Create series' }).click()
  await page.waitForURL(/\/app\/calendar\?series=/)
  const seriesId = new URL(page.url()).searchParams.get('series')!
  const [delivery] = await listDeliveries(app.services.database.db, { workspaceId: workspace!.workspaceId, sequenceId: seriesId })
  await app.services.database.db.update(deliveries).set({ state: 'published' }).where(eq(deliveries.id, delivery!.id))
  await page.goto(`${app.url}/app/calendar?series=${seriesId}&date=${delivery!.dueAt.toISOString().slice(0, 10)}`)
  await page.waitForLoadState('networkidle')
  const chip = page.getByTestId('calendar').getByRole('button', { name: /Published on Mastodon @bakery@social\.example: Fresh bread/ }).first()
  await chip.hover()
  expect(await page.getByRole('tooltip').textContent()).toBe('Fresh bread every morning.')
  const box = (await chip.boundingBox())!
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2)
  await page.mouse.down()
  await page.mouse.move(box.x + box.width / 2 + 60, box.y + box.height / 2 + 80, { steps: 6 })
  await page.mouse.up()
  await page.getByRole('status').filter({ hasText: 'This post is already published: a published post stays where it went out.' }).waitFor()
  expect(await page.evaluate(() => window.getSelection()?.toString() ?? '')).toBe('')
  await context.close()
})
