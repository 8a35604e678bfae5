import path from 'node:path'
import { type Browser } from 'playwright-core'
import { desktopContext, launchChromium, signUpInBrowser } from './browser'
import { listDeliveries } from '../../db/queries/deliveries'
import { findUserByEmail } from '../../db/queries/users'
import { listWorkspacesOfUser } from '../../db/queries/workspaces'
import { pipelineDeps } from '../../core/publishing/targets.server'
import { publishDelivery } from '../../core/publishing/publish.server'
import { fixedClock } from '../../domain/clock'
import { startTestApp, type TestApp } from '../app-server'
import { startTelegramApiServer, type TelegramApiServer } from '../servers/telegram-api'

/**
 * Telegram the way a person connects it, in Chromium against the built app (`npx remix build`) and the
 * loopback Bot API server: sign up → Accounts → the Telegram card's token form (a wrong token is named
 * under its field, and never shown back) → the channel is listed → a one-post series a few minutes ahead →
 * the publishing pipeline, run at the post's due instant, publishes it to the channel. Waiting for the wall
 * clock to reach a minute is publish-journey.test.ts's part; here it would only cost CI a minute or two.
 */

const root = path.resolve(import.meta.dirname, '../..')

let app: TestApp
let telegram: TelegramApiServer
let browser: Browser

beforeAll(async () => {
  telegram = await startTelegramApiServer()
  ;[app, browser] = await Promise.all([startTestApp({ env: { TELEGRAM_API_URL: telegram.url } }), launchChromium()])
})
afterAll(async () => {
  await browser?.close()
  await app?.close()
  await telegram?.close()
})

const pad = (n: number) => String(n).padStart(2, '0')
const utcDate = (d: Date) => `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`

it('connects a Telegram channel through its token form and publishes a post to it', { timeout: 90_000 }, async () => {
  const context = await desktopContext(browser, { width: 1200, height: 900 })
  const page = await context.newPage()
  await signUpInBrowser(page, app.url, { name: 'Tom', email: 'tom@channel.test', workspaceName: 'Channel team' })

  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Accounts', exact: true }).click()
  await page.getByRole('heading', { level: 1, name: 'Accounts' }).waitFor()
  await page.waitForLoadState('networkidle')
  const card = page.getByRole('region', { name: 'Telegram' })
  await card.getByText('Create a bot with @BotFather').waitFor()

  // A token Telegram refuses: named under the field, and the page never shows it back.
  const wrong = `${telegram.bot.id}:${'W'.repeat(35)}`
  await card.getByLabel('Bot token').fill(wrong)
  await card.getByLabel('Channel').fill('@trickle_news')
  await card.getByRole('button', { name: 'Connect Telegram' }).click()
  await page.getByText('Telegram refused this bot token').waitFor()
  expect(await page.content()).not.toContain(wrong)
  const again = page.getByRole('region', { name: 'Telegram' })
  expect(await again.getByLabel('Channel').inputValue()).toBe('@trickle_news')
  expect(await again.getByLabel('Bot token').getAttribute('aria-invalid')).toBe('true')

  // The right token: connected, listed with the channel's title.
  await again.getByLabel('Bot token').fill(telegram.bot.token)
  await again.getByRole('button', { name: 'Connect Telegram' }).click()
  await page.waitForURL(/\/app\/accounts\?connected=/)
  const row = page.getByRole('row', { name: /@trickle_news/ })
  await row.waitFor()
  expect(await row.textContent()).toMatch(/@trickle_newsTrickle NewsTelegramConnectedDoes not expire/)
  expect(await page.getByRole('status').textContent()).toContain('Telegram account @trickle_news is connected')
  await page.screenshot({ path: path.join(root, 'docs/screenshots/accounts-telegram.png'), fullPage: true })

  // A one-post series at a whole minute a few minutes ahead (UTC), published by the pipeline at that instant.
  const due = new Date(Math.ceil((Date.now() + 180_000) / 60_000) * 60_000)
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Series', exact: true }).click()
  await page.getByRole('heading', { level: 1, name: 'Series' }).waitFor()
  await page.getByRole('link', { name: 'New series' }).first().click()
  await page.getByRole('heading', { level: 1, name: 'New series' }).waitFor()
  await page.waitForLoadState('networkidle')
  await page.getByLabel('Name').fill('Channel news')
  const text = 'Our channel is live: news every morning.'
  await page.getByLabel('Post 1', { exact: true }).fill(text)
  expect(await page.getByLabel('@trickle_news (Telegram)').isChecked()).toBe(true)
  await page.getByLabel('Rule (RRULE)').fill(`FREQ=DAILY;BYHOUR=${due.getUTCHours()};BYMINUTE=${due.getUTCMinutes()}`)
  await page.getByLabel('Start').fill(`${utcDate(due)}T${pad(due.getUTCHours())}:${pad(due.getUTCMinutes())}`)
  await page.getByLabel('Time zone').selectOption('UTC')
  await page.getByTestId('recurrence-preview').getByText(`Post 1: ${utcDate(due)} ${pad(due.getUTCHours())}:${pad(due.getUTCMinutes())}`).waitFor()
  await page.getByRole('button', { name: 'Create series' }).click()
  await page.waitForURL(/\/app\/calendar\?series=/)
  const seriesId = new URL(page.url()).searchParams.get('series')!
  expect(telegram.messages).toHaveLength(0)

  const user = await findUserByEmail(app.services.database.db, { email: 'tom@channel.test' })
  const { workspaceId } = (await listWorkspacesOfUser(app.services.database.db, { userId: user!.id }))[0]!
  const [planned] = await listDeliveries(app.services.database.db, { workspaceId, sequenceId: seriesId })
  expect(planned).toMatchObject({ state: 'queued', dueAt: due })
  const deps = { ...pipelineDeps(app.services), clock: fixedClock(due) }
  expect(await publishDelivery(deps, { workspaceId, deliveryId: planned!.id })).toMatchObject({ result: 'published' })
  expect(telegram.messages.map((m) => m.text)).toEqual([text])
  const [delivery] = await listDeliveries(app.services.database.db, { workspaceId, sequenceId: seriesId })
  expect(delivery).toMatchObject({ state: 'published', remoteId: String(telegram.messages[0]!.message_id) })
  await context.close()
})
