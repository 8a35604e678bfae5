import { eq } from 'drizzle-orm'
import { pipelineDeps } from '../../core/publishing/targets.server'
import { publishDelivery } from '../../core/publishing/publish.server'
import { reconcileDeliveries } from '../../core/publishing/reconcile.server'
import { planDeliveries } from '../../db/queries/deliveries'
import { createSequence } from '../../db/queries/sequences'
import { auditEvents, deliveries } from '../../db/schema'
import { openCredentials } from '../../db/vault'
import { deliveryScheduler } from '../../jobs/enqueue'
import { accountTestHelpers, inputNamed as inputIn } from './account-helpers'
import { signUpAs, startTestApp, type TestApp, type TestBrowser } from '../app-server'
import { startTelegramApiServer, type TelegramApiServer } from '../servers/telegram-api'

/**
 * Connecting a Telegram channel on the Accounts page with a bot token and the channel, through the real
 * app (CSRF and all) against the loopback Bot API server: no server configuration but TELEGRAM_API_URL
 * pointing at it. Then the publishing pipeline posts with the stored credentials.
 */

let app: TestApp
let telegram: TelegramApiServer

beforeAll(async () => {
  telegram = await startTelegramApiServer()
  app = await startTestApp({ env: { TELEGRAM_API_URL: telegram.url } })
})
afterAll(async () => {
  await app?.close()
  await telegram?.close()
})

function connect(browser: TestBrowser, fields: Record<string, string>) {
  return browser.submit('/app/accounts', { intent: 'token', kind: 'telegram', ...fields }, { action: '/app/accounts' })
}

const { workspaceOf, rows, rowsHolding, publishNow } = accountTestHelpers(() => app)
const inputNamed = (html: string, name: string) => inputIn(html, 'telegram', name)

describe('connecting Telegram with a bot token', () => {
  it('offers the form, keeps the token only sealed, and publishes to the channel through the pipeline', async () => {
    const browser = await signUpAs(app, { email: 'tg@acme.test' })
    const workspaceId = await workspaceOf('tg@acme.test')
    const html = await (await browser.get('/app/accounts')).text()
    expect(html).toContain('Connect Telegram')
    expect(html).toContain('@BotFather')
    expect(inputNamed(html, 'secret_botToken')).toContain('type="password"')
    inputNamed(html, 'field_channel')

    const noCsrf = await browser.post('/app/accounts', { intent: 'token', kind: 'telegram', secret_botToken: telegram.bot.token, field_channel: '@trickle_news' })
    expect(noCsrf.status).toBe(403)

    const done = await connect(browser, { secret_botToken: telegram.bot.token, field_channel: '@trickle_news' })
    expect(done.status).toBe(302)
    const page = (await (await browser.get(done.headers.get('location')!)).text()).replaceAll('<!-- -->', '')
    expect(page).toContain('Telegram account @trickle_news is connected')
    const [row] = await rows(workspaceId)
    expect(row).toMatchObject({ kind: 'telegram', handle: 'trickle_news', displayName: 'Trickle News', remoteAccountId: String(telegram.channel.id), status: 'connected' })
    const credentials = openCredentials({ keyring: app.services.keyring, accountId: row!.id, ciphertext: row!.credentialsCiphertext })
    expect(credentials).toMatchObject({ accessToken: telegram.bot.token, extra: { chatId: String(telegram.channel.id) } })
    expect(await rowsHolding(telegram.bot.token)).toBe(0)
    const audit = await app.services.database.db.select().from(auditEvents).where(eq(auditEvents.workspaceId, workspaceId))
    expect(audit.filter((e) => e.kind.startsWith('account.')).map((e) => e.kind)).toEqual(['account.connected'])

    // The same channel again (another bot token would do too): the same account, no second row.
    expect((await connect(browser, { secret_botToken: telegram.bot.token, field_channel: String(telegram.channel.id) })).status).toBe(302)
    expect(await rows(workspaceId)).toHaveLength(1)

    const { db } = app.services.database
    const now = app.services.clock.now()
    const parts = [{ text: `Hello channel ${now.getTime()}` }, { text: 'and a reply' }]
    const { outcome, delivery } = await publishNow(workspaceId, row!.id, parts, 'News')
    expect(outcome).toEqual({ result: 'published' })
    const sent = telegram.messages.slice(-2)
    expect(sent.map((m) => m.text)).toEqual(parts.map((p) => p.text))
    expect(sent[1]!.replyTo).toBe(sent[0]!.message_id)
    expect(delivery).toMatchObject({ state: 'published', remoteId: String(sent[0]!.message_id), remoteUrl: `https://t.me/trickle_news/${sent[0]!.message_id}` })

    // The answer lost after Telegram sent the message: the outcome is unknown and Telegram cannot be asked
    // (no lookup), so the delivery waits for a person; neither the pipeline nor the reconciler sends it again.
    const lost = await createSequence(db, { workspaceId, kind: 'series', name: 'Lost', steps: [{ parts: [{ text: `Lost answer ${now.getTime()}` }] }], clock: app.services.clock })
    const lostPlan = await planDeliveries(db, {
      workspaceId,
      sequenceId: lost.sequence.id,
      items: [{ stepId: lost.steps[0]!.id, accountId: row!.id, dueAt: app.services.clock.now() }],
      clock: app.services.clock,
      scheduler: deliveryScheduler(app.services.jobs.agenda),
    })
    const lostId = lostPlan.deliveries[0]!.id
    const before = telegram.counters.postsCreated
    telegram.injectFault({ kind: 'reset', apply: true })
    expect(await publishDelivery(pipelineDeps(app.services), { workspaceId, deliveryId: lostId })).toEqual({ result: 'needs_review' })
    await reconcileDeliveries(pipelineDeps(app.services))
    expect(await publishDelivery(pipelineDeps(app.services), { workspaceId, deliveryId: lostId })).toEqual({ result: 'ignored' })
    const [review] = await db.select().from(deliveries).where(eq(deliveries.id, lostId))
    expect(review).toMatchObject({ state: 'needs_review', nextAttemptAt: null })
    expect(telegram.counters.postsCreated).toBe(before + 1)
  })

  it('names the field at fault and never echoes the token', async () => {
    const browser = await signUpAs(app, { email: 'tg-typo@acme.test' })
    const workspaceId = await workspaceOf('tg-typo@acme.test')
    const wrongToken = `${telegram.bot.id}:${'Q'.repeat(35)}`
    const cases: Array<{ fields: Record<string, string>; field: string; message: string }> = [
      { fields: { secret_botToken: '', field_channel: '@trickle_news' }, field: 'secret_botToken', message: 'Enter the bot token.' },
      { fields: { secret_botToken: 'abc', field_channel: '@trickle_news' }, field: 'secret_botToken', message: 'a bot token looks like 123456789:AA' },
      { fields: { secret_botToken: wrongToken, field_channel: '@trickle_news' }, field: 'secret_botToken', message: 'Telegram refused this bot token' },
      { fields: { secret_botToken: telegram.bot.token, field_channel: '' }, field: 'field_channel', message: 'Enter the channel.' },
      { fields: { secret_botToken: telegram.bot.token, field_channel: '@elsewhere' }, field: 'field_channel', message: 'cannot see @elsewhere' },
    ]
    for (const { fields, field, message } of cases) {
      const answer = await connect(browser, fields)
      expect(answer.status, message).toBe(400)
      const html = await answer.text()
      expect(html, message).toContain(message)
      expect(inputNamed(html, field), message).toContain('aria-invalid="true"')
      expect(html).not.toContain(wrongToken)
      expect(html).not.toContain(telegram.bot.token)
    }
    expect(await rows(workspaceId)).toHaveLength(0)
  })
})
