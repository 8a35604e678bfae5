import { eq } from 'drizzle-orm'
import { findUserByEmail } from '../../db/queries/users'
import { listWorkspacesOfUser } from '../../db/queries/workspaces'
import { accounts } from '../../db/schema'
import { openCredentials } from '../../db/vault'
import { signUpAs, startTestApp, type TestApp } from '../app-server'
import { startSlackApiServer, type SlackApiServer } from '../servers/slack-api'

/**
 * Slack connected through the app's OAuth flow (state cookie, callback) against the loopback Slack
 * server; and hidden, with the owner told how to enable it, while SLACK_CLIENT_ID/SECRET are unset.
 */

let app: TestApp
let slack: SlackApiServer

beforeAll(async () => {
  slack = await startSlackApiServer()
  app = await startTestApp({
    env: { SLACK_CLIENT_ID: slack.clientId, SLACK_CLIENT_SECRET: slack.clientSecret, SLACK_API_URL: slack.apiUrl, SLACK_AUTHORIZE_URL: slack.authorizeUrl },
  })
})
afterAll(async () => {
  await app?.close()
  await slack?.close()
})

function pathOf(url: string): string {
  const parsed = new URL(url)
  return `${parsed.pathname}${parsed.search}`
}

it('installs the Slack app through OAuth v2 and lists the channel picked on Slack’s page', async () => {
  const browser = await signUpAs(app, { email: 'slack@acme.test' })
  const user = await findUserByEmail(app.services.database.db, { email: 'slack@acme.test' })
  const { workspaceId } = (await listWorkspacesOfUser(app.services.database.db, { userId: user!.id }))[0]!
  expect(await (await browser.get('/app/accounts')).text()).toContain('Connect Slack')
  const started = await browser.submit('/app/accounts', { intent: 'connect', kind: 'slack' })
  expect(started.status).toBe(302)
  const consent = started.headers.get('location')!
  expect(consent.startsWith(slack.authorizeUrl)).toBe(true)
  const back = (await fetch(consent, { redirect: 'manual' })).headers.get('location')!
  expect(pathOf(back).startsWith('/oauth/slack/callback?')).toBe(true)
  const done = await browser.get(pathOf(back))
  expect(done.status).toBe(302)
  const page = (await (await browser.get(done.headers.get('location')!)).text()).replaceAll('<!-- -->', '')
  expect(page).toContain('Slack account #launches is connected')
  const [row] = await app.services.database.db.select().from(accounts).where(eq(accounts.workspaceId, workspaceId))
  expect(row).toMatchObject({ kind: 'slack', handle: '#launches', displayName: 'Trickle Team', remoteAccountId: `${slack.team.id}/${slack.channel.id}` })
  const credentials = openCredentials({ keyring: app.services.keyring, accountId: row!.id, ciphertext: row!.credentialsCiphertext })
  expect(credentials).toMatchObject({ accessToken: expect.stringMatching(/^xoxb-/), extra: { channelId: slack.channel.id, teamId: slack.team.id } })
  // The same callback again: refused, nothing new.
  const before = slack.counters.tokenExchanges
  const replay = await browser.get(pathOf(back))
  expect(replay.status).toBeGreaterThanOrEqual(300)
  expect(slack.counters.tokenExchanges).toBe(before)
})

it('is hidden without SLACK_CLIENT_ID and SLACK_CLIENT_SECRET, and owners are told how to enable it', async () => {
  const bare = await startTestApp()
  try {
    const browser = await signUpAs(bare, { email: 'noslack@acme.test' })
    const html = (await (await browser.get('/app/accounts')).text()).replaceAll('<!-- -->', '')
    expect(html).not.toContain('Connect Slack')
    const note = /aria-labelledby="more-networks"[\s\S]*?<\/section>/.exec(html)?.[0]
    expect(note).toContain('SLACK_CLIENT_ID and SLACK_CLIENT_SECRET')
    expect(note).toContain(`${bare.url}/oauth/slack/callback`)
  } finally {
    await bare.close()
  }
})
