import { openCredentials } from '../../db/vault'
import { accountTestHelpers } from './account-helpers'
import { signUpAs, startTestApp, type TestApp, type TestBrowser } from '../app-server'
import { startLinkedInApiServer, type LinkedInApiServer } from '../servers/linkedin-api'
import { startThreadsApiServer, type ThreadsApiServer } from '../servers/threads-api'

/**
 * LinkedIn and Threads connected through the app's OAuth flow (state cookie, PKCE, callback) against
 * their loopback servers, published to by the pipeline with the sealed credentials, their limits refused
 * by the series API (the editor's validation). Hidden while their variables are unset: connect.test.ts.
 */

let app: TestApp
let linkedin: LinkedInApiServer
let threads: ThreadsApiServer

beforeAll(async () => {
  ;[linkedin, threads] = await Promise.all([startLinkedInApiServer(), startThreadsApiServer()])
  app = await startTestApp({
    env: {
      LINKEDIN_CLIENT_ID: linkedin.clientId,
      LINKEDIN_CLIENT_SECRET: linkedin.clientSecret,
      LINKEDIN_API_URL: linkedin.url,
      LINKEDIN_OAUTH_URL: `${linkedin.url}/oauth/v2`,
      THREADS_APP_ID: threads.clientId,
      THREADS_APP_SECRET: threads.clientSecret,
      THREADS_API_URL: threads.url,
      THREADS_AUTHORIZE_URL: `${threads.url}/oauth/authorize`,
    },
  })
})
afterAll(async () => {
  await app?.close()
  await Promise.all([linkedin?.close(), threads?.close()])
})

const { workspaceOf, rows, rowsHolding, publishNow } = accountTestHelpers(() => app)

/** Press Connect, pass the network's consent page, follow the callback: the page the user lands on. */
async function connectThroughOAuth(browser: TestBrowser, kind: string): Promise<string> {
  const started = await browser.submit('/app/accounts', { intent: 'connect', kind })
  expect(started.status).toBe(302)
  const back = new URL((await fetch(started.headers.get('location')!, { redirect: 'manual' })).headers.get('location')!)
  expect(back.pathname).toBe(`/oauth/${kind}/callback`)
  const done = await browser.get(`${back.pathname}${back.search}`)
  expect(done.status).toBe(302)
  return (await (await browser.get(done.headers.get('location')!)).text()).replaceAll('<!-- -->', '')
}

async function publishOnce(workspaceId: string, accountId: string, parts: Array<{ text: string }>) {
  const { outcome, delivery } = await publishNow(workspaceId, accountId, parts)
  expect(outcome).toEqual({ result: 'published' })
  return delivery
}

it('connects LinkedIn and Threads through OAuth, keeps their tokens sealed, publishes through the pipeline, and refuses posts over their limits', async () => {
  const browser = await signUpAs(app, { email: 'li@acme.test' })
  const workspaceId = await workspaceOf('li@acme.test')
  const html = await (await browser.get('/app/accounts')).text()
  expect(html).toContain('Connect LinkedIn')
  expect(html).toContain('Connect Threads')

  expect(await connectThroughOAuth(browser, 'linkedin')).toContain('LinkedIn account Ada Lovelace is connected')
  expect(await connectThroughOAuth(browser, 'threads')).toContain('Threads account @trickle.threads is connected')
  const stored = await rows(workspaceId)
  const row = (kind: string) => stored.find((r) => r.kind === kind)!
  expect(row('linkedin')).toMatchObject({ handle: 'Ada Lovelace', remoteAccountId: linkedin.member.urn, status: 'connected' })
  expect(row('threads')).toMatchObject({ handle: 'trickle.threads', remoteAccountId: threads.user.id, status: 'connected' })
  for (const kind of ['linkedin', 'threads']) {
    const credentials = openCredentials({ keyring: app.services.keyring, accountId: row(kind).id, ciphertext: row(kind).credentialsCiphertext })
    expect(credentials.refreshToken).toMatch(/\S/)
    expect(await rowsHolding(credentials.accessToken)).toBe(0)
  }

  const now = app.services.clock.now().getTime()
  const onLinkedIn = await publishOnce(workspaceId, row('linkedin').id, [{ text: `Hello LinkedIn (${now})` }, { text: 'a first comment' }])
  expect(linkedin.posts.find((p) => p.id === onLinkedIn.remoteId)).toMatchObject({ author: linkedin.member.urn, commentary: `Hello LinkedIn \\(${now}\\)` })
  expect(onLinkedIn.remoteUrl).toBe(`https://www.linkedin.com/feed/update/${onLinkedIn.remoteId}/`)
  const onThreads = await publishOnce(workspaceId, row('threads').id, [{ text: `Hello Threads ${now}` }, { text: 'and a reply' }])
  const [first, second] = threads.posts.slice(-2)
  expect(onThreads.remoteId).toBe(first!.id)
  expect(second).toMatchObject({ text: 'and a reply', replyTo: first!.id })

  const page = await browser.submit('/app/settings/tokens', { intent: 'create', name: 'limits' })
  const token = /trk_[A-Za-z0-9_-]+/.exec(await page.text())![0]
  const create = (accountId: string, text: string) =>
    fetch(`${app.url}/api/v1/series`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: 'Limits', posts: [text], accountIds: [accountId], rule: 'FREQ=WEEKLY;BYDAY=TU;BYHOUR=9;BYMINUTE=0', start: '2027-03-16T09:00', timezone: 'UTC' }),
    })
  const linkedinLong = await create(row('linkedin').id, 'l'.repeat(3001))
  expect(linkedinLong.status).toBe(400)
  expect((await linkedinLong.json()).error).toMatchObject({ field: 'posts.0.parts.0.text', message: expect.stringContaining('Too long for LinkedIn: 3001 characters, at most 3000.') })
  const threadsLong = await create(row('threads').id, 't'.repeat(501))
  expect(threadsLong.status).toBe(400)
  expect((await threadsLong.json()).error.message).toContain('on @trickle.threads: Too long for Threads: 501 characters, at most 500.')
  expect((await create(row('linkedin').id, 'l'.repeat(3000))).status).toBe(201)
})
