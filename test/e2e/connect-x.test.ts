import path from 'node:path'
import { type Browser, type BrowserContext, type Page } from 'playwright-core'
import { desktopContext, launchChromium, signUpInBrowser } from './browser'
import { startTestApp, type TestApp } from '../app-server'
import { startXApiServer, type XApiServer } from '../servers/x-api'

/**
 * The X connect flow the way a person does it, in Chromium against the built app (`npx remix build`)
 * and the loopback X server: sign up, open Accounts, press Connect X, come back through X's authorize
 * redirect to the callback, see the account listed and healthy. Then a replayed callback and one carrying
 * another browser's state are both refused.
 */

const root = path.resolve(import.meta.dirname, '../..')

let app: TestApp
let x: XApiServer
let browser: Browser

beforeAll(async () => {
  x = await startXApiServer({ user: { username: 'drip_team', name: 'Drip Team' } })
  ;[app, browser] = await Promise.all([
    startTestApp({
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

async function signUp(context: BrowserContext, email: string): Promise<Page> {
  const page = await context.newPage()
  await signUpInBrowser(page, app.url, { name: email.split('@')[0]!, email, workspaceName: 'Launch team' })
  return page
}

/**
 * Where X would send this browser back: start a connection with the context's own cookies (its request
 * API shares them) and play X's authorize step, without following the redirect to the callback.
 */
async function callbackFor(context: BrowserContext): Promise<string> {
  const page = await context.newPage()
  await page.goto(`${app.url}/app/accounts`)
  const csrf = await page.locator('input[name="csrf"]').first().inputValue()
  await page.close()
  const started = await context.request.post(`${app.url}/app/accounts`, { form: { csrf, intent: 'connect', kind: 'x' }, maxRedirects: 0 })
  expect(started.status()).toBe(302)
  const answer = await fetch(started.headers().location!, { redirect: 'manual' })
  return answer.headers.get('location')!
}

it('connects an X account through OAuth in the browser, and refuses replayed or foreign states', { timeout: 120_000 }, async () => {
  const context = await desktopContext(browser, { width: 1200, height: 800 })
  const page = await signUp(context, 'maria@launch.test')

  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Accounts', exact: true }).click()
  await page.getByRole('heading', { level: 1, name: 'Accounts' }).waitFor()
  await page.getByText('No accounts yet — connect X to start publishing.').waitFor()

  // Keyboard: the Connect X button is reachable and pressing Enter starts the flow.
  const callbackSeen = page.waitForRequest((request) => request.url().startsWith(`${app.url}/oauth/x/callback`))
  const connectButton = page.getByRole('button', { name: 'Connect X' })
  await connectButton.focus()
  await page.keyboard.press('Enter')
  const callbackUrl = (await callbackSeen).url()
  await page.waitForURL(/\/app\/accounts\?connected=/)
  expect(new URL(callbackUrl).searchParams.get('code')).toBeTruthy()

  const row = page.getByRole('row', { name: /@drip_team/ })
  await row.waitFor()
  expect(await row.textContent()).toMatch(/@drip_teamDrip TeamXConnectedExpires .* UTC; renewed automatically/)
  expect(await page.getByRole('status').textContent()).toContain('X account @drip_team is connected')
  await page.screenshot({ path: path.join(root, 'docs/screenshots/accounts.png'), fullPage: true })

  // The same callback URL again (same state, same code): refused, nothing new.
  const tokenRequests = x.counters.tokenRequests
  const replay = await page.goto(callbackUrl)
  expect(replay!.status()).toBe(400)
  await page.getByRole('heading', { level: 1, name: 'The account was not connected' }).waitFor()
  expect(await page.getByRole('alert').textContent()).toContain('already used')
  expect(x.counters.tokenRequests).toBe(tokenRequests)

  // A callback carrying the state of a flow started in another browser context: refused too.
  const other = await desktopContext(browser)
  await signUp(other, 'eve@elsewhere.test')
  const foreignCallback = await callbackFor(other)
  const pendingHere = await callbackFor(context)
  const foreign = await page.goto(foreignCallback)
  expect(foreign!.status()).toBe(400)
  expect(await page.getByRole('alert').textContent()).toContain('does not belong to the connection you started in this browser')
  // ...and that attempt ended this browser's own pending authorization as well.
  expect((await page.goto(pendingHere))!.status()).toBe(400)
  expect(x.counters.tokenRequests).toBe(tokenRequests)

  await page.goto(`${app.url}/app/accounts`)
  expect(await page.getByRole('row', { name: /@drip_team/ }).count()).toBe(1)
  await other.close()
  await context.close()
})
