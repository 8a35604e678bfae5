import path from 'node:path'
import { type Browser, type BrowserContext, type Page } from 'playwright-core'
import { cspViolations, desktopContext, launchChromium } from './browser'
import { connectAccount } from '../../db/queries/accounts'
import { listDeliveries } from '../../db/queries/deliveries'
import { listSteps } from '../../db/queries/sequences'
import { fixedClock } from '../../domain/clock'
import { signUpAs, startTestApp, TestBrowser, type TestApp } from '../app-server'

/**
 * The series editor in Chromium against the built app (`npx remix build`), driven with the keyboard
 * where a person would: an editor writes a thread with an image and its alt text, imports two more posts
 * from Markdown through the preview, saves a draft and submits it for approval; the owner finds it on the
 * dashboard and approves it, and only then are its deliveries queued.
 */

const root = path.resolve(import.meta.dirname, '../..')
const clock = fixedClock(new Date('2026-03-10T12:00:00Z'))
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64')

let app: TestApp
let browser: Browser
let owner: TestBrowser
let editor: TestBrowser
let workspaceId: string

beforeAll(async () => {
  ;[app, browser] = await Promise.all([startTestApp({ clock }), launchChromium()])
  owner = await signUpAs(app, { email: 'olga@editor.test', name: 'Olga', workspaceName: 'Garden club' })
  const invitation = await owner.submit('/app/settings/invitations', { intent: 'create', role: 'editor' })
  const link = /https?:\/\/[^<"]+(\/invite\/[A-Za-z0-9_-]+)/.exec(await invitation.text())![1]!
  editor = await signUpAs(app, { email: 'eli@editor.test', name: 'Eli', workspaceName: 'Eli solo' })
  expect((await editor.submit(link, {})).status).toBe(302)
  const token = /trk_[A-Za-z0-9_-]+/.exec(await (await owner.submit('/app/settings/tokens', { intent: 'create', name: 't' })).text())![0]
  workspaceId = (await (await fetch(`${app.url}/api/v1/me`, { headers: { Authorization: `Bearer ${token}` } })).json()).workspace.id
  await connectAccount(app.services.database.db, {
    workspaceId,
    kind: 'mastodon',
    remoteAccountId: '11@social.example',
    handle: 'garden@social.example',
    credentials: { accessToken: 'secret', extra: { instanceUrl: 'https://social.example' } },
    keyring: app.services.keyring,
    clock,
  })
})
afterAll(async () => {
  await browser?.close()
  await app?.close()
})

/** A Chromium context signed in as the given HTTP session. */
async function contextOf(session: TestBrowser): Promise<{ context: BrowserContext; page: Page }> {
  const context = await desktopContext(browser)
  await context.addCookies([...session.cookies].map(([name, value]) => ({ name, value, url: app.url })))
  return { context, page: await context.newPage() }
}

/** Focus a control and activate it with the keyboard. */
async function press(page: Page, locator: ReturnType<Page['getByRole']>, key = 'Enter') {
  await locator.focus()
  await page.keyboard.press(key)
}

it('an editor writes a thread with an image, imports posts, submits for approval; the owner approves', { timeout: 120_000 }, async () => {
  const { context, page } = await contextOf(editor)
  await page.goto(`${app.url}/app/series/new`)
  await page.getByRole('heading', { level: 1, name: 'New series' }).waitFor()
  await page.waitForLoadState('networkidle')
  await page.getByText('nothing is published until you submit it and a workspace owner approves it').waitFor()

  await page.getByLabel('Name').focus()
  await page.keyboard.type('Spring garden')
  await page.getByLabel('Post 1', { exact: true }).focus()
  await page.keyboard.type('Seeds are in: our spring planting guide, a thread.')
  await press(page, page.getByRole('button', { name: 'Add a part to the thread of post 1' }))
  await page.getByLabel('Post 1, part 2', { exact: true }).waitFor()
  await expect.poll(() => page.evaluate(() => document.activeElement?.textContent)).toBe('Add to thread')
  await page.getByLabel('Post 1, part 2', { exact: true }).focus()
  await page.keyboard.type('Start with peas: they like the cold.')

  // An image for part 1, with its alt text. The upload shows a progress bar until the server answers
  // (the answer is held here until the bar is seen, so the check does not race a fast upload).
  let release!: () => void
  const held = new Promise<void>((resolve) => (release = resolve))
  let passed!: () => void
  const continued = new Promise<void>((resolve) => (passed = resolve))
  await page.route(`${app.url}/app/media`, async (route) => {
    await held
    await route.continue()
    passed()
  })
  await page.getByLabel('Add an image to post 1', { exact: true }).setInputFiles({ name: 'peas.png', mimeType: 'image/png', buffer: PNG })
  // (At 0% the filled section has no width: it is there, not visible.)
  await page.getByRole('progressbar', { name: /^Uploading peas\.png: \d+%$/ }).waitFor({ state: 'attached' })
  release()
  await continued
  await page.unroute(`${app.url}/app/media`)
  const alt = page.getByLabel('Alt text for image 1 of post 1', { exact: false })
  await alt.waitFor()
  await page.getByText('Image 1 needs alt text.').first().waitFor()
  await alt.focus()
  await page.keyboard.type('Pea seedlings in a wooden tray')
  await page.getByText(/Mastodon @garden@social\.example: 36\/500/).waitFor() // part 2's counter

  // Import two more posts from Markdown: preview first, then add.
  await page.getByLabel('Posts to import').fill('Week 2: radishes.\n---\nWeek 3: lettuce.')
  await press(page, page.getByRole('button', { name: 'Preview import' }))
  const table = page.getByRole('table', { name: 'Import preview' })
  await table.getByText('Week 3: lettuce.').waitFor()
  await page.getByText('2 posts found (Markdown), no problems.').waitFor()
  await press(page, page.getByRole('button', { name: 'Add 2 posts' }))
  await page.getByLabel('Post 3', { exact: true }).waitFor()
  expect(await page.getByLabel('Post 3', { exact: true }).inputValue()).toBe('Week 3: lettuce.')

  await page.getByLabel('Repeat').selectOption({ label: 'Every Tue/Thu at 9:00' })
  await page.getByLabel('Start').fill('2026-03-17T09:00')
  await page.getByLabel('Time zone').selectOption('Europe/Berlin')
  await page.getByTestId('recurrence-preview').getByText('Posts go out every Tuesday and Thursday at 9:00, 3 times.').waitFor()
  await page.screenshot({ path: path.join(root, 'docs/screenshots/series-editor-thread.png'), fullPage: true })
  // Evergreen (decision 107): the preview lists the rounds; turned off again, the series ends with post 3.
  await page.getByLabel('Evergreen: recycle the posts').check()
  await page.getByLabel('Minimum gap (days)').fill('7')
  await page.getByLabel('Evergreen until').fill('2026-04-30T00:00')
  await page.getByRole('list', { name: 'Rounds' }).getByText('Round 2: 2026-03-31 09:00 – 2026-04-07 09:00').waitFor()
  await page.getByLabel('Evergreen: recycle the posts').uncheck()
  await page.getByTestId('recurrence-preview').getByText('Posts go out every Tuesday and Thursday at 9:00, 3 times.').waitFor()

  await press(page, page.getByRole('button', { name: 'Save draft' }))
  await page.waitForURL(/\/app\/series\/[0-9a-f-]+\?created=1/)
  const seriesId = new URL(page.url()).pathname.split('/').at(-1)!
  await page.getByText('Draft', { exact: true }).waitFor()
  const steps = await listSteps(app.services.database.db, { workspaceId, sequenceId: seriesId })
  expect(steps.map((s) => s.content.parts.length)).toEqual([2, 1, 1])
  expect(steps[0]!.content.parts[0]!.images).toEqual([{ mediaId: expect.any(String), alt: 'Pea seedlings in a wooden tray' }])
  expect((await listDeliveries(app.services.database.db, { workspaceId, sequenceId: seriesId })).every((d) => d.state === 'planned')).toBe(true)

  await press(page, page.getByRole('button', { name: 'Submit for approval' }))
  await page.getByText('Needs approval', { exact: true }).waitFor()
  expect(await page.getByRole('button', { name: 'Approve' }).count()).toBe(0)
  await context.close()

  // The owner: dashboard → needs approval → approve.
  const ownerSide = await contextOf(owner)
  await ownerSide.page.goto(`${app.url}/app`)
  await press(ownerSide.page, ownerSide.page.getByRole('link', { name: '1 series needs approval' }))
  await ownerSide.page.getByRole('link', { name: 'Spring garden' }).waitFor()
  await press(ownerSide.page, ownerSide.page.getByRole('link', { name: 'Spring garden' }))
  await ownerSide.page.getByRole('heading', { level: 1, name: 'Spring garden' }).waitFor()
  await ownerSide.page.waitForLoadState('networkidle')
  await press(ownerSide.page, ownerSide.page.getByRole('button', { name: 'Approve' }))
  await ownerSide.page.getByText('Approved', { exact: true }).waitFor()
  const deliveries = await listDeliveries(app.services.database.db, { workspaceId, sequenceId: seriesId })
  expect(deliveries.map((d) => [d.state, d.dueAt.toISOString()])).toEqual([
    ['queued', '2026-03-17T08:00:00.000Z'],
    ['queued', '2026-03-19T08:00:00.000Z'],
    ['queued', '2026-03-24T08:00:00.000Z'],
  ])
  await ownerSide.context.close()
  // The CSP (nonce scripts, inline styles) lets every page of the journey run: no violation in the console.
  expect(cspViolations).toEqual([])
})
