import path from 'node:path'
import { desktopContext, signUpInBrowser, useAppAndBrowser } from './browser'
import { connectAccount } from '../../db/queries/accounts'
import { listDeliveries } from '../../db/queries/deliveries'
import { findUserByEmail } from '../../db/queries/users'
import { listWorkspacesOfUser } from '../../db/queries/workspaces'
import { fixedClock } from '../../domain/clock'
import { createHashtagGroup } from '../../core/hashtag-groups.server'
import type { Page } from 'playwright-core'

/**
 * Queue slots in Chromium against the built app (decision 091): set an account's posting times
 * (weekdays 09:00 and 13:00 in Berlin), then "Add to queue" twice from the series editor: the first
 * post takes Friday 13:00, the second skips it (taken) and the weekend, landing on Monday 09:00 — after
 * the change to summer time — and both show on the calendar at their slots. On the way, the preview shows
 * the post as Mastodon will, and a hashtag group is added with one click. The clock is fixed: no waiting.
 */

const root = path.resolve(import.meta.dirname, '../..')
// Friday 27 March 2026, 10:00 in Berlin; Sunday the 29th the zone moves to CEST.
const clock = fixedClock(new Date('2026-03-27T09:00:00Z'))
const t = useAppAndBrowser({ clock })

async function queuePost(page: Page, args: { name: string; text: string; expected: string; screenshot?: boolean; hashtags?: boolean }) {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Series', exact: true }).click()
  await page.getByRole('link', { name: 'New series' }).click()
  await page.getByRole('heading', { level: 1, name: 'New series' }).waitFor()
  await page.waitForLoadState('networkidle')
  await page.getByLabel('Name').fill(args.name)
  await page.getByLabel('Post 1', { exact: true }).fill(args.text)
  // The preview shows the post as Mastodon will, with Mastodon's count (a link weighs 23).
  const preview = page.getByRole('article', { name: 'Post 1 on Mastodon as @team@social.example' })
  await preview.getByText(args.text).waitFor()
  await preview.getByText(`${[...args.text.replace(/https?:\/\/\S+/g, '')].length + (/https?:\/\//.test(args.text) ? 23 : 0)}/500`).waitFor()
  if (args.screenshot) await page.getByRole('region', { name: 'Preview' }).screenshot({ path: path.join(root, 'docs/screenshots/network-preview.png') })
  if (args.hashtags) {
    await page.getByRole('button', { name: 'Add hashtag group Launch (#launch #news) to post 1' }).click()
    expect(await page.getByLabel('Post 1', { exact: true }).inputValue()).toBe(`${args.text}\n\n#launch #news`)
  }
  await page.getByLabel('Time zone').selectOption('Europe/Berlin')
  await page.getByRole('button', { name: 'Add to queue' }).click()
  await page.getByRole('status').filter({ hasText: `Added to the queue: ${args.expected} (Europe/Berlin).` }).waitFor()
  expect(await page.getByLabel('Start').inputValue()).toBe(args.expected.replace(' ', 'T'))
  expect(await page.getByLabel('Repeat').inputValue()).toBe('FREQ=DAILY;COUNT=1')
  await page.getByTestId('recurrence-preview').getByText(`Post 1: ${args.expected}`).waitFor()
  await page.getByRole('button', { name: 'Create series' }).click()
  await page.waitForURL(/\/app\/calendar\?series=/)
  await page.waitForLoadState('networkidle')
  return new URL(page.url()).searchParams.get('series')!
}

it('sets posting times on the account’s page and queues two posts into the next free slots, shown on the calendar', { timeout: 120_000 }, async () => {
  const { app, browser } = t
  const context = await desktopContext(browser, { timezoneId: 'Europe/Berlin', locale: 'en-GB' })
  const page = await context.newPage()
  await signUpInBrowser(page, app.url, { name: 'Quinn', email: 'quinn@queue.test', workspaceName: 'Queue team' })
  const user = await findUserByEmail(app.services.database.db, { email: 'quinn@queue.test' })
  const { workspaceId } = (await listWorkspacesOfUser(app.services.database.db, { userId: user!.id }))[0]!
  await connectAccount(app.services.database.db, {
    workspaceId,
    kind: 'mastodon',
    remoteAccountId: '42',
    handle: 'team@social.example',
    credentials: { accessToken: 'secret', extra: { instanceUrl: 'https://social.example' } },
    keyring: app.services.keyring,
    clock,
  })

  await createHashtagGroup(app.services, { workspaceId, input: { name: 'Launch', hashtags: ['#launch', '#news'] } })

  // The account's posting times.
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Accounts', exact: true }).click()
  await page.getByRole('link', { name: /^Posting times of @?team@social\.example/ }).click()
  await page.getByRole('heading', { level: 1, name: /Posting times of/ }).waitFor()
  await page.waitForLoadState('networkidle')
  await page.getByLabel('Time zone').selectOption('Europe/Berlin')
  await page.getByRole('button', { name: 'Weekdays at 09:00 and 13:00' }).click()
  expect(await page.getByLabel('Wednesday').inputValue()).toBe('09:00, 13:00')
  expect(await page.getByLabel('Saturday').inputValue()).toBe('')
  await page.getByRole('button', { name: 'Save posting times' }).click()
  await page.getByText('Posting times saved').waitFor()
  const next = page.getByRole('list', { name: 'Next slots' })
  await next.getByText('2026-03-27 13:00 (Europe/Berlin)').waitFor()
  await next.getByText('2026-03-30 09:00 (Europe/Berlin)').waitFor()
  await page.screenshot({ path: path.join(root, 'docs/screenshots/queue-slots.png'), fullPage: true })

  // Two posts into the queue: Friday 13:00, then (Friday taken, no weekend slots) Monday 09:00 CEST.
  const first = await queuePost(page, { name: 'Launch note', text: 'Queued launch note: https://example.com/launch/notes/2026', expected: '2026-03-27 13:00', screenshot: true, hashtags: true })
  const second = await queuePost(page, { name: 'Follow-up', text: 'Queued follow-up', expected: '2026-03-30 09:00' })
  const dueAt = async (seriesId: string) => (await listDeliveries(app.services.database.db, { workspaceId, sequenceId: seriesId })).map((d) => d.dueAt.toISOString())
  expect(await dueAt(first)).toEqual(['2026-03-27T12:00:00.000Z'])
  expect(await dueAt(second)).toEqual(['2026-03-30T07:00:00.000Z'])

  // Both on the calendar, on their days.
  await page.goto(`${app.url}/app/calendar`)
  const calendar = page.getByTestId('calendar')
  await calendar.locator('[data-date="2026-03-27"]').getByText(/Queued launch note/).first().waitFor()
  await calendar.locator('[data-date="2026-03-30"]').getByText(/Queued follow-up/).first().waitFor()
  await context.close()
})
