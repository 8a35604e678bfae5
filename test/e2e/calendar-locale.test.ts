import { type BrowserContext, type Page } from 'playwright-core'
import { eq } from 'drizzle-orm'
import { desktopContext, signUpInBrowser, useAppAndBrowser } from './browser'
import { connectAccount } from '../../db/queries/accounts'
import { listDeliveries } from '../../db/queries/deliveries'
import { findUserByEmail } from '../../db/queries/users'
import { listWorkspacesOfUser } from '../../db/queries/workspaces'
import { deliveries } from '../../db/schema'
import { fixedClock } from '../../domain/clock'
import { createDrip } from '../../core/drips.server'
import { runBulkEnrollment, startBulkEnrollment } from '../../core/drips/bulk-enroll.server'
import { runCalendarAction } from '../../core/series/calendar-actions.server'
import { createSeries } from '../../core/series/editing.server'
import { SeriesInputSchema } from '../../core/series/schemas'

/**
 * Issue 20's calendar items in Chromium (built app: `npx remix build`), for a person in New York whose
 * browser says en-US: a chip names its network and account and shows the post's first words, the whole
 * post on hover and on keyboard focus; the 12-hour clock and Sunday-first weeks of en-US everywhere until
 * the person chooses en-GB (24-hour, Monday) under Settings → Your preferences; the series page shows a
 * moved and a skipped post where they stand; the overdue banner, the drip timeline and enrollment runs
 * in the workspace's zone with UTC on hover.
 */
const clock = fixedClock(new Date('2026-03-10T12:00:00Z'))
const handles = useAppAndBrowser({ clock })
const LONG = 'Fresh bread every morning: sourdough, rye and spelt from our wood oven, baked before dawn and sold until it runs out.'

let context: BrowserContext
let page: Page
let workspaceId: string
let seriesId: string
let posts: Awaited<ReturnType<typeof listDeliveries>>

beforeAll(async () => {
  const { app, browser } = handles
  context = await desktopContext(browser, { locale: 'en-US', timezoneId: 'America/New_York' })
  page = await context.newPage()
  await signUpInBrowser(page, app.url, { name: 'Ana', email: 'ana@calendar.test', workspaceName: 'Bakery' })
  const user = await findUserByEmail(app.services.database.db, { email: 'ana@calendar.test' })
  workspaceId = (await listWorkspacesOfUser(app.services.database.db, { userId: user!.id }))[0]!.workspaceId
  const account = await connectAccount(app.services.database.db, {
    workspaceId,
    kind: 'mastodon',
    remoteAccountId: '1@social.example',
    handle: 'bakery@social.example',
    credentials: { accessToken: 'secret', extra: { instanceUrl: 'https://social.example' } },
    keyring: app.services.keyring,
    clock,
  })
  ;({ seriesId } = await createSeries(app.services, {
    workspaceId,
    input: SeriesInputSchema.parse({ name: 'Bakery week', posts: [LONG, 'Croissants on Thursday.', 'Rye on Tuesday.'], accountIds: [account.id], rule: 'FREQ=WEEKLY;BYDAY=TU,TH;BYHOUR=9;BYMINUTE=0', start: '2026-03-17T09:00', timezone: 'America/New_York' }),
  }))
  posts = await listDeliveries(app.services.database.db, { workspaceId, sequenceId: seriesId })
}, 60_000)
afterAll(async () => {
  await context?.close()
})

async function openCalendar(view: 'month' | 'week') {
  await page.goto(`${handles.app.url}/app/calendar?series=${seriesId}&date=2026-03-17`)
  await page.waitForLoadState('networkidle')
  if (view === 'week') await page.getByTestId('calendar').getByRole('tab', { name: 'Week view' }).click()
  return page.getByTestId('calendar')
}

it('a chip shows the network, the account and the first words, and the whole post on hover and focus', { timeout: 60_000 }, async () => {
  const calendar = await openCalendar('month')
  const chip = calendar.getByRole('button', { name: /^9:00 AM Scheduled on Mastodon @bakery@social\.example: Fresh bread every morning: sourdough, rye and spelt from…$/ })
  await chip.waitFor()
  expect(await chip.locator('[data-network="mastodon"]').count()).toBe(1)
  expect(await chip.textContent()).toContain('Fresh bread every morning')
  expect(await chip.textContent()).not.toContain('@bakery')

  // Keyboard: focusing the chip shows the whole post in a tooltip that describes it; Escape closes it.
  await chip.focus()
  const tooltip = page.getByRole('tooltip')
  await tooltip.waitFor()
  expect(await tooltip.textContent()).toBe(LONG)
  expect(await chip.getAttribute('aria-describedby')).toBe(await tooltip.getAttribute('id'))
  await page.keyboard.press('Escape')
  await tooltip.waitFor({ state: 'detached' })

  // Pointer: hovering another post shows that one; moving away hides it.
  await calendar.getByRole('button', { name: /Croissants on Thursday\.$/ }).hover()
  await page.getByRole('tooltip').filter({ hasText: 'Croissants on Thursday.' }).waitFor()
  await page.mouse.move(5, 5)
  await page.getByRole('tooltip').waitFor({ state: 'detached' })
})

it('follows the browser locale (12-hour, Sunday first), then the locale chosen in the preferences (24-hour, Monday first)', { timeout: 60_000 }, async () => {
  let calendar = await openCalendar('week')
  const firstDay = () => calendar.locator('[data-date]').first().getAttribute('data-date')
  await calendar.getByText('8:00 PM', { exact: true }).first().waitFor()
  expect(await calendar.getByText('8pm', { exact: true }).count()).toBe(0)
  expect(await firstDay()).toBe('2026-03-15')
  await calendar.getByRole('button', { name: /^9:00 AM Scheduled on Mastodon @bakery@social\.example: Fresh bread/ }).click()
  await page.getByRole('dialog').getByText('2026-03-17 9:00 AM (America/New_York)').waitFor()

  await page.goto(`${handles.app.url}/app/settings/preferences`)
  await page.waitForLoadState('networkidle')
  await page.getByLabel('Language and region for times and weeks').selectOption('en-GB')
  await page.getByRole('button', { name: 'Save' }).click()
  await page.getByText('Times and weeks now follow your choice.').waitFor()

  calendar = await openCalendar('week')
  await calendar.getByText('20:00', { exact: true }).first().waitFor()
  expect(await calendar.getByText('8:00 PM', { exact: true }).count()).toBe(0)
  expect(await firstDay()).toBe('2026-03-16')
  await calendar.getByRole('button', { name: /^09:00 Scheduled on Mastodon @bakery@social\.example: Fresh bread/ }).click()
  await page.getByRole('dialog').getByText('2026-03-17 09:00 (America/New_York)').waitFor()
})

it('the series page shows a moved post at its new time and a skipped one as skipped', { timeout: 60_000 }, async () => {
  const { app } = handles
  const target = { workspaceId, action: { seriesId, deliveryId: posts[1]!.id } }
  expect(await runCalendarAction(app.services, { ...target, action: { ...target.action, intent: 'move', to: '2026-03-20T18:30:00.000Z' } })).toMatchObject({ ok: true })
  expect(await runCalendarAction(app.services, { workspaceId, action: { seriesId, deliveryId: posts[2]!.id, intent: 'skip-post' } })).toMatchObject({ ok: true })

  await page.goto(`${app.url}/app/series/${seriesId}`)
  const schedule = page.getByRole('table', { name: 'Schedule' })
  await schedule.waitFor()
  const moved = schedule.locator('tr[data-post="2"]')
  expect(await moved.textContent()).toContain('2026-03-20 14:30')
  expect(await moved.textContent()).toContain('Moved from 2026-03-19 09:00')
  expect(await schedule.locator('tr[data-post="3"]').textContent()).toContain('Skipped')
  expect(await schedule.locator('tr[data-post="1"]').textContent()).not.toContain('Moved')
})

it('the overdue banner, the drip timeline and enrollment runs show the workspace zone, UTC on hover', { timeout: 60_000 }, async () => {
  const { app } = handles
  const db = app.services.database.db
  // Post 1 came due ten minutes ago and no worker took it.
  await db.update(deliveries).set({ nextAttemptAt: new Date('2026-03-10T11:50:00Z') }).where(eq(deliveries.id, posts[0]!.id))
  await page.goto(`${app.url}/app`)
  const banner = page.getByRole('alert').filter({ hasText: 'Posts are not going out' })
  await banner.waitFor()
  const due = banner.locator('time')
  expect(await due.textContent()).toBe('2026-03-10 07:50 (America/New_York)')
  expect(await due.getAttribute('title')).toBe('2026-03-10 11:50 UTC')
  await db.update(deliveries).set({ nextAttemptAt: posts[0]!.nextAttemptAt }).where(eq(deliveries.id, posts[0]!.id))

  const drip = await createDrip(app.services, { workspaceId, input: { name: 'Welcome', timezone: 'America/New_York', steps: [{ subject: 'Hello', markdown: 'Hi there.' }] } })
  const run = await startBulkEnrollment(app.services, { workspaceId, dripId: drip.id, input: { from: 'csv', file: 'email\nnobody@calendar.test\n' } })
  await runBulkEnrollment(app.services, { workspaceId, runId: run.id })
  await page.goto(`${app.url}/app/drips/${drip.id}/enroll`)
  const started = page.getByRole('link', { name: /2026-03-10 08:00 \(America\/New_York\)/ })
  await started.waitFor()
  expect(await started.locator('time').getAttribute('title')).toBe('2026-03-10 12:00 UTC')

  await page.goto(`${app.url}/app/drips/${drip.id}`)
  const timeline = page.getByTestId('drip-timeline')
  await timeline.getByText('Step 1 at').waitFor()
  const step = timeline.locator('li time').first()
  expect(await step.textContent()).toMatch(/^2026-03-10 \d\d:\d\d \(America\/New_York\)$/)
  expect(await step.getAttribute('title')).toMatch(/^2026-03-10 \d\d:\d\d UTC$/)
})
