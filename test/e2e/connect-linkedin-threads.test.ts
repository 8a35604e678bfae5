import { type Browser, type Page } from 'playwright-core'
import { desktopContext, launchChromium, signUpInBrowser } from './browser'
import { startTestApp, type TestApp } from '../app-server'
import { startLinkedInApiServer, type LinkedInApiServer } from '../servers/linkedin-api'
import { startMetaGraphApiServer, type MetaGraphApiServer } from '../servers/meta-graph-api'
import { startPinterestApiServer, type PinterestApiServer } from '../servers/pinterest-api'
import { startRedditApiServer, type RedditApiServer } from '../servers/reddit-api'
import { startThreadsApiServer, type ThreadsApiServer } from '../servers/threads-api'

/**
 * LinkedIn, Threads, Pinterest, Reddit, a Facebook Page and an Instagram account connected the way a person does it, in Chromium against the built app
 * (`npx remix build`) and their loopback servers: press Connect, pass the network's consent redirect
 * (state and PKCE checked), land on the Accounts page with the account listed (for LinkedIn, with the
 * page the member administers too). LinkedIn's app here gets
 * no refresh tokens (most apps do not), so the page asks to reconnect before the 60-day expiry; Threads'
 * long-lived token renews itself. Pinterest asks for the board and Reddit for the subreddit (with the post
 * flair that subreddit requires) before leaving for their consent pages; a reconnect keeps the subreddit.
 * Facebook asks for the Page and Instagram for the account (through the same Facebook Login), each
 * keeping the Page's own token, which does not expire.
 */

let app: TestApp
let linkedin: LinkedInApiServer
let threads: ThreadsApiServer
let pinterest: PinterestApiServer
let reddit: RedditApiServer
let meta: MetaGraphApiServer
let browser: Browser

beforeAll(async () => {
  ;[linkedin, threads, pinterest, reddit, meta] = await Promise.all([startLinkedInApiServer({ refreshTokens: false }), startThreadsApiServer(), startPinterestApiServer(), startRedditApiServer(), startMetaGraphApiServer()])
  ;[app, browser] = await Promise.all([
    startTestApp({
      env: {
        LINKEDIN_CLIENT_ID: linkedin.clientId,
        LINKEDIN_CLIENT_SECRET: linkedin.clientSecret,
        LINKEDIN_API_URL: linkedin.url,
        LINKEDIN_OAUTH_URL: `${linkedin.url}/oauth/v2`,
        LINKEDIN_ORGANIZATIONS: 'true',
        THREADS_APP_ID: threads.clientId,
        THREADS_APP_SECRET: threads.clientSecret,
        THREADS_API_URL: threads.url,
        THREADS_AUTHORIZE_URL: `${threads.url}/oauth/authorize`,
        PINTEREST_APP_ID: pinterest.clientId,
        PINTEREST_APP_SECRET: pinterest.clientSecret,
        PINTEREST_API_URL: pinterest.url,
        PINTEREST_AUTHORIZE_URL: `${pinterest.url}/oauth/`,
        REDDIT_CLIENT_ID: reddit.clientId,
        REDDIT_CLIENT_SECRET: reddit.clientSecret,
        REDDIT_API_URL: reddit.url,
        REDDIT_OAUTH_URL: `${reddit.url}/api/v1`,
        FACEBOOK_APP_ID: meta.appId,
        FACEBOOK_APP_SECRET: meta.appSecret,
        FACEBOOK_API_URL: meta.url,
        FACEBOOK_API_VERSION: meta.version,
        FACEBOOK_AUTHORIZE_URL: `${meta.url}/dialog/oauth`,
      },
    }),
    launchChromium(),
  ])
})
afterAll(async () => {
  await browser?.close()
  await app?.close()
  await Promise.all([linkedin?.close(), threads?.close(), pinterest?.close(), reddit?.close(), meta?.close()])
})

const pageOf = (p: Page) => p.getByRole('row', { name: /Analytical Engines Ltd/ })

it('connects LinkedIn, Threads, Pinterest, Reddit, a Facebook Page and an Instagram account through their OAuth flows in the browser', { timeout: 120_000 }, async () => {
  const context = await desktopContext(browser, { width: 1200, height: 800 })
  const page = await context.newPage()
  await signUpInBrowser(page, app.url, { name: 'lin', email: 'lin@launch.test', workspaceName: 'Launch team' })
  await page.goto(`${app.url}/app/accounts`)
  await page.getByRole('heading', { level: 1, name: 'Accounts' }).waitFor()

  await page.getByRole('button', { name: 'Connect LinkedIn' }).click()
  await page.waitForURL(/\/app\/accounts\?connected=/)
  const member = page.getByRole('row', { name: /Ada Lovelace/ })
  await member.waitFor()
  expect(await member.textContent()).toMatch(/LinkedInConnectedExpires .* UTC: reconnect before then/)
  expect(await page.getByRole('status').textContent()).toContain('LinkedIn account Ada Lovelace is connected')
  expect(linkedin.counters.tokenExchanges).toBe(1)
  expect(await pageOf(page).textContent()).toMatch(/Analytical Engines Ltd.*LinkedInConnectedExpires .* UTC: reconnect before then/)

  await page.getByRole('button', { name: 'Connect Threads' }).click()
  await page.waitForURL(/\/app\/accounts\?connected=/)
  const threadsRow = page.getByRole('row', { name: /@trickle\.threads/ })
  await threadsRow.waitFor()
  expect(await threadsRow.textContent()).toMatch(/ThreadsConnectedExpires .* UTC; renewed automatically/)
  expect(await page.getByRole('row').count()).toBe(4)

  // Pinterest: the board first, then Pinterest's consent page.
  const pinterestCard = page.getByRole('region', { name: 'Pinterest' })
  await pinterestCard.getByRole('button', { name: 'Connect Pinterest' }).click()
  await pinterestCard.getByText('Enter the Pinterest board to pin to, e.g. Recipes').waitFor()
  await page.getByRole('region', { name: 'Pinterest' }).getByLabel('Board').fill('Garden ideas')
  await page.getByRole('region', { name: 'Pinterest' }).getByRole('button', { name: 'Connect Pinterest' }).click()
  await page.waitForURL(/\/app\/accounts\?connected=/)
  const board = page.getByRole('row', { name: /Garden ideas/ })
  await board.waitFor()
  expect(await board.textContent()).toMatch(/Garden ideas@trickle_pinsPinterestConnectedExpires .* UTC; renewed automatically/)
  expect(pinterest.counters.tokenExchanges).toBe(1)

  // Reddit: the subreddit and the flair it requires.
  await page.getByRole('region', { name: 'Reddit' }).getByLabel('Subreddit').fill('r/AskTrickle: Question')
  await page.getByRole('region', { name: 'Reddit' }).getByRole('button', { name: 'Connect Reddit' }).click()
  await page.waitForURL(/\/app\/accounts\?connected=/)
  const subreddit = page.getByRole('row', { name: /r\/AskTrickle/ })
  await subreddit.waitFor()
  expect(await subreddit.textContent()).toMatch(/r\/AskTrickleu\/trickle_bot · QuestionRedditConnectedExpires .* UTC; renewed automatically/)
  // Reconnecting needs no form: the same subreddit and flair, the same account.
  await subreddit.getByRole('button', { name: /^Reconnect/ }).click()
  await page.waitForURL(/\/app\/accounts\?connected=/)
  expect(reddit.counters.tokenExchanges).toBe(2)
  expect(await page.getByRole('row').count()).toBe(6)

  // A Facebook Page by name, then the Instagram account linked to it, through the same Facebook Login.
  await page.getByRole('region', { name: 'Facebook' }).getByLabel('Facebook Page').fill('Acme Bakery')
  await page.getByRole('region', { name: 'Facebook' }).getByRole('button', { name: 'Connect Facebook' }).click()
  await page.waitForURL(/\/app\/accounts\?connected=/)
  const fbPage = page.getByRole('row', { name: /Grace Hopper/ })
  await fbPage.waitFor()
  expect(await fbPage.textContent()).toMatch(/Acme BakeryGrace HopperFacebookConnected/)
  await page.getByRole('region', { name: 'Instagram' }).getByLabel('Instagram account').fill('@acme.bakery')
  await page.getByRole('region', { name: 'Instagram' }).getByRole('button', { name: 'Connect Instagram' }).click()
  await page.waitForURL(/\/app\/accounts\?connected=/)
  const igAccount = page.getByRole('row', { name: /@acme\.bakery/ })
  await igAccount.waitFor()
  expect(await igAccount.textContent()).toMatch(/@acme\.bakeryAcme BakeryInstagramConnected/)
  expect(meta.counters.tokenExchanges).toBe(2)
  expect(await page.getByRole('row').count()).toBe(8)
  await context.close()
})
