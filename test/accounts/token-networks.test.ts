import { eq } from 'drizzle-orm'
import { accounts } from '../../db/schema'
import { openCredentials } from '../../db/vault'
import { accountTestHelpers } from './account-helpers'
import { signUpAs, startTestApp, type TestApp, type TestBrowser } from '../app-server'
import { startDiscordApiServer, type DiscordApiServer } from '../servers/discord-api'
import { startTelegramApiServer, type TelegramApiServer } from '../servers/telegram-api'
import { startWebhookReceiver, type WebhookReceiver } from '../servers/webhook-receiver'

/**
 * Discord (a webhook URL) and a generic webhook (URL + signing secret) connected through the Accounts
 * page's token forms in the real app, then published to by the pipeline; and each token-form network's
 * limits refused by the series API (the editor's validation), by the same code that publishes.
 */

let app: TestApp
let discord: DiscordApiServer
let telegram: TelegramApiServer
let receiver: WebhookReceiver

beforeAll(async () => {
  ;[discord, telegram, receiver] = await Promise.all([startDiscordApiServer(), startTelegramApiServer(), startWebhookReceiver()])
  app = await startTestApp({ env: { DISCORD_API_URL: discord.apiBaseUrl, TELEGRAM_API_URL: telegram.url } })
})
afterAll(async () => {
  await app?.close()
  await Promise.all([discord?.close(), telegram?.close(), receiver?.close()])
})

function connect(browser: TestBrowser, kind: string, fields: Record<string, string>) {
  return browser.submit('/app/accounts', { intent: 'token', kind, ...fields }, { action: '/app/accounts' })
}

const { workspaceOf, publishNow } = accountTestHelpers(() => app)

async function publishOnce(workspaceId: string, accountId: string, text: string) {
  const { outcome, delivery } = await publishNow(workspaceId, accountId, [{ text }])
  expect(outcome).toEqual({ result: 'published' })
  return delivery
}

describe('token-form networks', () => {
  it('connects Discord with its webhook URL, keeps the URL’s token sealed, publishes, and names a bad URL', async () => {
    const browser = await signUpAs(app, { email: 'dc@acme.test' })
    const workspaceId = await workspaceOf('dc@acme.test')
    const html = await (await browser.get('/app/accounts')).text()
    expect(html).toContain('Connect Discord')
    expect(html).toContain('Copy Webhook URL')

    const bad = await connect(browser, 'discord', { secret_webhookUrl: `${discord.url}/api/webhooks/${discord.webhook.id}/${'z'.repeat(60)}` })
    expect(bad.status).toBe(400)
    const badHtml = await bad.text()
    expect(badHtml).toContain('Discord knows no webhook with this URL')
    expect(badHtml).not.toContain('z'.repeat(60))

    const done = await connect(browser, 'discord', { secret_webhookUrl: discord.webhookUrl })
    expect(done.status).toBe(302)
    const [row] = await app.services.database.db.select().from(accounts).where(eq(accounts.workspaceId, workspaceId))
    expect(row).toMatchObject({ kind: 'discord', handle: 'Trickle', remoteAccountId: discord.webhook.id })
    expect(openCredentials({ keyring: app.services.keyring, accountId: row!.id, ciphertext: row!.credentialsCiphertext }).accessToken).toBe(discord.webhook.token)

    const delivery = await publishOnce(workspaceId, row!.id, 'Hello Discord')
    const message = discord.messages.at(-1)!
    expect(message.content).toBe('Hello Discord')
    expect(delivery).toMatchObject({ state: 'published', remoteId: message.id, remoteUrl: `https://discord.com/channels/${discord.webhook.guildId}/${discord.webhook.channelId}/${message.id}` })
  })

  it('connects a webhook after its signed test event, publishes a signed post, and never echoes the secret', async () => {
    const browser = await signUpAs(app, { email: 'hook@acme.test' })
    const workspaceId = await workspaceOf('hook@acme.test')
    const wrong = 'a secret the receiver does not know'
    const refused = await connect(browser, 'webhook', { field_url: receiver.url, secret_secret: wrong })
    expect(refused.status).toBe(400)
    const refusedHtml = await refused.text()
    expect(refusedHtml).toContain('the receiver refused the test event')
    expect(refusedHtml).not.toContain(wrong)
    expect(refusedHtml).toContain(`value="${receiver.url}"`)
    const missing = await connect(browser, 'webhook', { field_url: '', secret_secret: receiver.secret })
    expect(await missing.text()).toContain('Enter the webhook url.')

    expect((await connect(browser, 'webhook', { field_url: receiver.url, secret_secret: receiver.secret })).status).toBe(302)
    const [row] = await app.services.database.db.select().from(accounts).where(eq(accounts.workspaceId, workspaceId))
    expect(row).toMatchObject({ kind: 'webhook', handle: `${new URL(receiver.url).host}/hooks/trickle` })
    const delivery = await publishOnce(workspaceId, row!.id, 'Hello webhook')
    const event = receiver.events.at(-1)!
    expect(event).toMatchObject({ type: 'post.published', webhookId: `${delivery.id}:0`, data: { text: 'Hello webhook', deliveryId: delivery.id } })
    expect(delivery).toMatchObject({ state: 'published', remoteId: event.postId })
  })

  it('the series API refuses a post over a network’s limit, naming the field and the account', async () => {
    const browser = await signUpAs(app, { email: 'limits@acme.test' })
    const workspaceId = await workspaceOf('limits@acme.test')
    expect((await connect(browser, 'telegram', { secret_botToken: telegram.bot.token, field_channel: '@trickle_news' })).status).toBe(302)
    expect((await connect(browser, 'discord', { secret_webhookUrl: discord.webhookUrl })).status).toBe(302)
    const rows = await app.services.database.db.select().from(accounts).where(eq(accounts.workspaceId, workspaceId))
    const id = (kind: string) => rows.find((r) => r.kind === kind)!.id
    const page = await browser.submit('/app/settings/tokens', { intent: 'create', name: 'limits' })
    const token = /trk_[A-Za-z0-9_-]+/.exec(await page.text())![0]
    const create = (accountId: string, text: string) =>
      fetch(`${app.url}/api/v1/series`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ name: 'Limits', posts: [text], accountIds: [accountId], rule: 'FREQ=WEEKLY;BYDAY=TU;BYHOUR=9;BYMINUTE=0', start: '2027-03-16T09:00', timezone: 'UTC' }),
      })
    const discordLong = await create(id('discord'), 'd'.repeat(2001))
    expect(discordLong.status).toBe(400)
    expect((await discordLong.json()).error).toMatchObject({ field: 'posts.0.parts.0.text', message: expect.stringContaining('on @Trickle: Too long for Discord: 2001 characters, at most 2000.') })
    const telegramLong = await create(id('telegram'), 't'.repeat(4097))
    expect(telegramLong.status).toBe(400)
    expect((await telegramLong.json()).error.message).toContain('on @trickle_news: Too long for Telegram: 4097 characters, at most 4096.')
    expect((await create(id('telegram'), 't'.repeat(2001))).status).toBe(201)
  })
})
