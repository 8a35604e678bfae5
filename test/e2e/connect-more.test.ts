import { type Browser, type Page } from 'playwright-core'
import { desktopContext, launchChromium, signUpInBrowser } from './browser'
import { startTestApp, type TestApp } from '../app-server'
import { startBlueskyPds, type BlueskyPds, type BlueskyTestAccount } from '../servers/bluesky-pds'
import { startDiscordApiServer, type DiscordApiServer } from '../servers/discord-api'
import { startMastodonApiServer, type MastodonApiServer } from '../servers/mastodon-api'
import { startSlackApiServer, type SlackApiServer } from '../servers/slack-api'
import { startWebhookReceiver, type WebhookReceiver } from '../servers/webhook-receiver'

/**
 * The networks not connected in a browser elsewhere (X: connect-x; LinkedIn, Threads, Pinterest, Reddit,
 * Facebook, Instagram: connect-linkedin-threads; Telegram: connect-telegram), connected the way a person
 * does it, in Chromium against the built app (`npx remix build`) and their loopback servers:
 * Mastodon through OAuth on the user's own server, Slack through OAuth v2 (the channel picked on Slack's
 * page), Bluesky with an app password on a real PDS, Discord with a channel's webhook URL and a generic
 * webhook with its URL and signing secret. A bad value is named under its field; the secret is never
 * shown back.
 */

let app: TestApp
let mastodon: MastodonApiServer
let slack: SlackApiServer
let discord: DiscordApiServer
let receiver: WebhookReceiver
let pds: BlueskyPds
let alice: BlueskyTestAccount
let browser: Browser

beforeAll(async () => {
  ;[mastodon, slack, discord, receiver, pds] = await Promise.all([startMastodonApiServer(), startSlackApiServer(), startDiscordApiServer(), startWebhookReceiver(), startBlueskyPds()])
  alice = await pds.createAccount('alice')
  ;[app, browser] = await Promise.all([
    startTestApp({
      env: {
        MASTODON_ALLOW_HTTP: 'true',
        BLUESKY_ALLOW_HTTP: 'true',
        SLACK_CLIENT_ID: slack.clientId,
        SLACK_CLIENT_SECRET: slack.clientSecret,
        SLACK_API_URL: slack.apiUrl,
        SLACK_AUTHORIZE_URL: slack.authorizeUrl,
        DISCORD_API_URL: discord.apiBaseUrl,
      },
    }),
    launchChromium(),
  ])
}, 90_000)
afterAll(async () => {
  await browser?.close()
  await app?.close()
  await Promise.all([mastodon?.close(), slack?.close(), discord?.close(), receiver?.close(), pds?.close()])
})

const card = (page: Page, name: string) => page.getByRole('region', { name })

async function connected(page: Page, row: RegExp, says: string) {
  await page.waitForURL(/\/app\/accounts\?connected=/)
  await page.getByRole('row', { name: row }).waitFor()
  expect(await page.getByRole('status').textContent()).toContain(says)
  return (await page.getByRole('row', { name: row }).textContent()) ?? ''
}

it('connects Mastodon, Slack, Bluesky, Discord and a webhook from the Accounts page in the browser', { timeout: 120_000 }, async () => {
  const context = await desktopContext(browser, { width: 1200, height: 900 })
  const page = await context.newPage()
  await signUpInBrowser(page, app.url, { name: 'mo', email: 'mo@many.test', workspaceName: 'Many networks' })
  await page.goto(`${app.url}/app/accounts`)
  await page.getByRole('heading', { level: 1, name: 'Accounts' }).waitFor()

  // Mastodon: the user's own server, then its consent page (the loopback server consents at once).
  await card(page, 'Mastodon').getByLabel('Your Mastodon server').fill(mastodon.url)
  await card(page, 'Mastodon').getByRole('button', { name: 'Connect Mastodon' }).click()
  expect(await connected(page, /Mastodon/, 'Mastodon account')).toMatch(/@.*MastodonConnected/)
  expect(mastodon.counters.appsRegistered).toBe(1)

  // Slack: OAuth v2, the channel picked on Slack's page.
  await card(page, 'Slack').getByRole('button', { name: 'Connect Slack' }).click()
  expect(await connected(page, /#launches/, 'Slack account #launches is connected')).toMatch(/#launches.*SlackConnected/)

  // Bluesky: a wrong app password is named under its field and not shown back; the right one connects.
  const sky = card(page, 'Bluesky')
  await sky.getByLabel('Handle or DID').fill(alice.handle)
  await sky.getByLabel('App password').fill('wrong-pass-word-abcd')
  await sky.getByLabel('Your Bluesky server (optional)').fill(pds.url)
  await sky.getByRole('button', { name: 'Connect Bluesky' }).click()
  await card(page, 'Bluesky').getByLabel('App password').and(page.locator('[aria-invalid="true"]')).waitFor()
  expect(await page.content()).not.toContain('wrong-pass-word-abcd')
  await card(page, 'Bluesky').getByLabel('App password').fill(alice.appPassword)
  await card(page, 'Bluesky').getByLabel('Your Bluesky server (optional)').fill(pds.url)
  await card(page, 'Bluesky').getByRole('button', { name: 'Connect Bluesky' }).click()
  expect(await connected(page, /@alice\.test/, 'Bluesky account @alice.test is connected')).toMatch(/@alice\.test.*BlueskyConnected/)
  expect(await page.content()).not.toContain(alice.appPassword)

  // Discord: a URL that is no Discord webhook is named under its field; the channel's webhook URL connects.
  await card(page, 'Discord').getByLabel('Webhook URL').fill('https://example.com/not-a-webhook')
  await card(page, 'Discord').getByRole('button', { name: 'Connect Discord' }).click()
  await card(page, 'Discord').getByLabel('Webhook URL').and(page.locator('[aria-invalid="true"]')).waitFor()
  await card(page, 'Discord').getByLabel('Webhook URL').fill(discord.webhookUrl)
  await card(page, 'Discord').getByRole('button', { name: 'Connect Discord' }).click()
  expect(await connected(page, /Discord/, 'Discord account Trickle is connected')).toMatch(/^Trickle.*DiscordConnectedDoes not expire/)
  expect(await page.content()).not.toContain(discord.webhookUrl)

  // A generic webhook: URL and signing secret; a test event reaches the receiver, signed.
  await card(page, 'Webhook').getByLabel('Webhook URL').fill(receiver.url)
  await card(page, 'Webhook').getByLabel('Signing secret').fill(receiver.secret)
  await card(page, 'Webhook').getByRole('button', { name: 'Connect Webhook' }).click()
  expect(await connected(page, /hooks\/trickle/, 'is connected')).toMatch(/127\.0\.0\.1:\d+\/hooks\/trickle.*WebhookConnectedDoes not expire/)
  expect(await page.content()).not.toContain(receiver.secret)
  expect(receiver.events.length).toBeGreaterThan(0)

  expect(await page.getByRole('table', { name: 'Connected accounts' }).getByRole('row').count()).toBe(6)
  await context.close()
})
