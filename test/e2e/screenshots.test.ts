import path from 'node:path'
import { and, eq } from 'drizzle-orm'
import { type Browser } from 'playwright-core'
import { desktopContext, launchChromium, signUpInBrowser } from './browser'
import { connectAccount } from '../../db/queries/accounts'
import { ensureContact } from '../../db/queries/contacts'
import { listDeliveries } from '../../db/queries/deliveries'
import { findUserByEmail } from '../../db/queries/users'
import { listWorkspacesOfUser } from '../../db/queries/workspaces'
import { deliveries, linkClicks, postMetrics, shortLinks } from '../../db/schema'
import { fixedClock } from '../../domain/clock'
import { startTestApp, type TestApp } from '../app-server'

/**
 * Screenshots of the main pages for the README (docs/screenshots/), taken in Chromium against the built
 * app with a small, realistic workspace: two accounts, a 10-post series (one post published, one
 * failed, one needing review) and a few contacts. It also checks what the pictures show: the
 * dashboard's checklist, the calendar's three views and the problem labels.
 */

const root = path.resolve(import.meta.dirname, '../..')
const shots = path.join(root, 'docs/screenshots')
const clock = fixedClock(new Date('2026-03-10T12:00:00Z'))

let app: TestApp
let browser: Browser

beforeAll(async () => {
  ;[app, browser] = await Promise.all([startTestApp({ clock }), launchChromium()])
})
afterAll(async () => {
  await browser?.close()
  await app?.close()
})

it('takes screenshots of the dashboard, calendar (month, week, list), series, contacts and settings', { timeout: 120_000 }, async () => {
  const context = await desktopContext(browser, { width: 1280, height: 860 })
  const page = await context.newPage()
  await signUpInBrowser(page, app.url, { name: 'Maria', email: 'maria@screens.test', workspaceName: 'Green Thumb Co.' })

  // A new workspace: the checklist shows nothing done yet.
  const checklist = page.getByRole('list', { name: 'Getting started checklist' })
  await checklist.waitFor()
  expect(await page.getByText('0 of 4 done').count()).toBe(1)

  const db = app.services.database.db
  const user = await findUserByEmail(db, { email: 'maria@screens.test' })
  const { workspaceId } = (await listWorkspacesOfUser(db, { userId: user!.id }))[0]!
  const expiresAt = new Date('2026-03-10T14:00:00Z')
  const x = await connectAccount(db, { workspaceId, kind: 'x', remoteAccountId: '1001', handle: 'greenthumb', displayName: 'Green Thumb', credentials: { accessToken: 'a', refreshToken: 'r', expiresAt }, keyring: app.services.keyring, clock })
  const mastodon = await connectAccount(db, { workspaceId, kind: 'mastodon', remoteAccountId: '7@garden.social', handle: 'greenthumb@garden.social', displayName: 'Green Thumb', credentials: { accessToken: 'm', extra: { instanceUrl: 'https://garden.social' } }, keyring: app.services.keyring, clock })
  for (const [email, name, tags] of [
    ['ana@example.org', 'Ana Lima', ['customer']],
    ['ben@example.org', 'Ben Okafor', ['newsletter']],
    ['chloe@example.org', 'Chloé Martin', ['customer', 'newsletter']],
    ['dev@example.org', 'Dev Patel', []],
  ] as const) {
    await ensureContact(db, { workspaceId, email, name, tags: [...tags], at: clock.now() })
  }

  // A series written in the editor.
  await page.goto(`${app.url}/app/series/new`)
  await page.waitForLoadState('networkidle')
  await page.getByLabel('Name').fill('Spring tips')
  const posts = Array.from({ length: 10 }, (_, i) => `Spring tip ${i + 1}: water early, weed often. #garden`)
  await page.getByLabel('Post 1', { exact: true }).fill(posts.join('\n---\n'))
  await page.getByLabel('Post 10', { exact: true }).waitFor()
  await page.getByLabel('Repeat').selectOption({ label: 'Every Tue/Thu at 9:00' })
  // Thursday: the clock says Tuesday 10 March 13:00 in Berlin, and a start in the past is refused (decision 083).
  await page.getByLabel('Start').fill('2026-03-12T09:00')
  await page.getByLabel('Time zone').selectOption('Europe/Berlin')
  if (!(await page.getByLabel('@greenthumb@garden.social (Mastodon)').isChecked())) await page.getByLabel('@greenthumb@garden.social (Mastodon)').check()
  if (!(await page.getByLabel('@greenthumb (X)').isChecked())) await page.getByLabel('@greenthumb (X)').check()
  await page.getByTestId('recurrence-preview').getByText('10 times', { exact: false }).waitFor()
  await page.getByRole('button', { name: 'Create series' }).click()
  await page.waitForURL(/\/app\/calendar\?series=/)
  const seriesId = new URL(page.url()).searchParams.get('series')!

  // History for the pictures: the first posts of each account went out, one failed, one needs review.
  const rows = await listDeliveries(db, { workspaceId, sequenceId: seriesId })
  const onX = rows.filter((r) => r.accountId === x.id)
  const onMastodon = rows.filter((r) => r.accountId === mastodon.id)
  expect([onX.length, onMastodon.length]).toEqual([10, 10])
  const history = [
    { row: onX[0]!, dueAt: '2026-03-03T08:00:00Z', state: 'published' as const, remoteUrl: 'https://x.com/greenthumb/status/1900000000000000001' },
    { row: onMastodon[0]!, dueAt: '2026-03-03T08:00:00Z', state: 'published' as const, remoteUrl: 'https://garden.social/@greenthumb/112000000000000001' },
    { row: onX[1]!, dueAt: '2026-03-05T08:00:00Z', state: 'failed' as const, lastError: 'X refused the post: duplicate content' },
    { row: onMastodon[1]!, dueAt: '2026-03-05T08:00:00Z', state: 'needs_review' as const, lastError: 'The connection dropped after sending; check the account' },
  ]
  for (const h of history) {
    await db
      .update(deliveries)
      .set({ dueAt: new Date(h.dueAt), state: h.state, remoteUrl: h.remoteUrl ?? null, lastError: h.lastError ?? null })
      .where(and(eq(deliveries.workspaceId, workspaceId), eq(deliveries.id, h.row.id)))
  }

  await page.goto(`${app.url}/app`)
  await page.waitForLoadState('networkidle')
  await page.getByText('2 of 4 done').waitFor()
  await page.getByRole('heading', { name: 'Needs attention' }).waitFor()
  await page.screenshot({ path: path.join(shots, 'dashboard.png'), fullPage: true })

  const calendar = page.getByTestId('calendar')
  await page.goto(`${app.url}/app/calendar?tz=Europe/Berlin&date=2026-03-10`)
  await page.waitForLoadState('networkidle')
  await calendar.getByRole('button', { name: /Failed on X @greenthumb:/ }).first().waitFor()
  await calendar.getByRole('button', { name: /Needs review on Mastodon @greenthumb@garden\.social:/ }).first().waitFor()
  await page.screenshot({ path: path.join(shots, 'calendar-month.png'), fullPage: true })

  // Filters: channel, status and the display zone, through the filter form.
  const filters = page.getByRole('form', { name: 'Calendar filters' })
  await filters.getByLabel('Channel').selectOption({ label: 'Mastodon' })
  await filters.getByRole('button', { name: 'Apply' }).click()
  await page.waitForURL(/channel=mastodon/)
  await calendar.getByRole('button', { name: /Needs review on Mastodon @greenthumb@garden\.social:/ }).first().waitFor()
  // FullCalendar redraws its events a frame after the new data arrives.
  // Both polled: between the redraws the calendar may show no event at all.
  await expect.poll(() => calendar.getByRole('button', { name: /on X @greenthumb:/ }).count()).toBe(0)
  await expect.poll(() => calendar.getByRole('button', { name: /on Mastodon @greenthumb@garden\.social:/ }).count()).toBeGreaterThan(3)
  await filters.getByLabel('Channel').selectOption({ label: 'All channels' })
  await filters.getByLabel('Status').selectOption({ label: 'Failed' })
  await filters.getByLabel('Time zone').selectOption('UTC')
  await filters.getByRole('button', { name: 'Apply' }).click()
  await page.waitForURL(/status=failed/)
  await calendar.getByRole('button', { name: /Failed on X @greenthumb:/ }).first().waitFor()
  await expect.poll(() => calendar.locator('[class*="delivery-"]').count()).toBe(1)
  expect(await calendar.locator('[class*="delivery-"]').first().textContent()).toContain('8:00 AM')

  await page.goto(`${app.url}/app/calendar?tz=Europe/Berlin&date=2026-03-17`)
  await page.waitForLoadState('networkidle')
  await calendar.getByText('Week', { exact: true }).click()
  await calendar.getByText(/Spring tip 3:/).first().waitFor()
  await page.screenshot({ path: path.join(shots, 'calendar-week.png'), fullPage: true })

  await calendar.getByText('List', { exact: true }).click()
  await calendar.getByText(/Spring tip 5:/).first().waitFor()
  await page.screenshot({ path: path.join(shots, 'calendar-list.png'), fullPage: true })

  // A post's details: status, error and a link to the series.
  await page.goto(`${app.url}/app/calendar?tz=Europe/Berlin&date=2026-03-05`)
  await page.waitForLoadState('networkidle')
  await calendar.getByRole('button', { name: /Failed on X @greenthumb:/ }).first().click()
  const dialog = page.getByRole('dialog')
  await dialog.getByText('X refused the post: duplicate content').waitFor()
  await dialog.getByRole('link', { name: 'Edit the series' }).waitFor()
  await page.screenshot({ path: path.join(shots, 'calendar-post.png') })
  await page.keyboard.press('Escape')

  // A result shown as a toast after a redirect (the flash cookie), once: the ICS feed is created.
  await page.getByRole('button', { name: 'Create feed URL' }).click()
  await page.getByRole('status').filter({ hasText: 'Feed URL ready' }).waitFor()
  expect(await page.getByLabel('ICS feed URL').inputValue()).toMatch(/\/ics\/.+\.ics$/)
  await page.reload()
  await page.waitForLoadState('networkidle')
  expect(await page.getByRole('status').filter({ hasText: 'Feed URL ready' }).count()).toBe(0)

  await page.goto(`${app.url}/app/series/${seriesId}`)
  await page.waitForLoadState('networkidle')
  await page.screenshot({ path: path.join(shots, 'series-edit.png'), fullPage: true })

  // The series' analytics: the two published posts with their networks' metrics and short-link clicks.
  const published = [
    { row: onX[0]!, metrics: { impressions: 1840, likes: 32, reposts: 6, replies: 4, quotes: 1, bookmarks: 9 }, clicks: 12 },
    { row: onMastodon[0]!, metrics: { likes: 18, reposts: 7, replies: 3 }, clicks: 9 },
  ]
  for (const [i, p] of published.entries()) {
    await db
      .update(deliveries)
      .set({ publishedAt: new Date('2026-03-03T08:00:05Z'), remoteId: String(1000 + i) })
      .where(and(eq(deliveries.workspaceId, workspaceId), eq(deliveries.id, p.row.id)))
    await db.insert(postMetrics).values({ workspaceId, deliveryId: p.row.id, age: '7d', state: 'done', fetchedAt: clock.now(), ...p.metrics })
    const [link] = await db
      .insert(shortLinks)
      .values({ workspaceId, code: `shot${i}shot${i}shot${i}sh`, deliveryId: p.row.id, sequenceId: seriesId, stepId: p.row.stepId, network: i ? 'mastodon' : 'x', originalUrl: 'https://greenthumb.example/tips', targetUrl: 'https://greenthumb.example/tips?utm_source=x' })
      .returning()
    await db.insert(linkClicks).values(Array.from({ length: p.clicks }, () => ({ workspaceId, shortLinkId: link!.id, clickedAt: new Date('2026-03-04T10:00:00Z') })))
  }
  await page.goto(`${app.url}/app/series/${seriesId}/analytics`)
  await page.waitForLoadState('networkidle')
  await page.getByRole('table', { name: 'Per network' }).waitFor()
  expect(await page.locator('[data-total="Link clicks"]').textContent()).toBe('21')
  await page.screenshot({ path: path.join(shots, 'series-analytics.png'), fullPage: true })

  await page.goto(`${app.url}/app/contacts`)
  await page.waitForLoadState('networkidle')
  await page.getByText('Chloé Martin').waitFor()
  await page.screenshot({ path: path.join(shots, 'contacts.png'), fullPage: true })

  await page.goto(`${app.url}/app/settings/workspace`)
  await page.waitForLoadState('networkidle')
  await page.screenshot({ path: path.join(shots, 'settings.png'), fullPage: true })

  // Phone width: the calendar, and the menu opened from the header.
  await page.setViewportSize({ width: 390, height: 844 })
  await page.goto(`${app.url}/app/calendar?tz=Europe/Berlin&date=2026-03-10`)
  await page.waitForLoadState('networkidle')
  await page.screenshot({ path: path.join(shots, 'phone-calendar.png') })
  await page.getByRole('button', { name: 'Open the menu' }).click()
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Series', exact: true }).waitFor({ state: 'visible' })
  await page.screenshot({ path: path.join(shots, 'phone-menu.png') })
  await context.close()
})
