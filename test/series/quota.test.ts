import { fixedClock } from '../../domain/clock'
import { csrfTokenOf, signUpAs, startTestApp, type TestApp, type TestBrowser } from '../app-server'
import { connectTestAccount, createApiToken, workspaceIdOf } from './setup'

/**
 * The editor's quota and cost projection for a network with a daily post budget (X with
 * X_POSTS_PER_DAY): thread parts count as posts, and the workspace's other pending posts that day count
 * too. Networks without a budget (Mastodon here) get no such warning.
 */

const clock = fixedClock(new Date('2026-03-10T12:00:00Z'))
let app: TestApp
let browser: TestBrowser
let xId: string
let mastodonId: string

beforeAll(async () => {
  app = await startTestApp({ clock, env: { X_CLIENT_ID: 'client', X_CLIENT_SECRET: 'secret', X_POSTS_PER_DAY: '10', X_POSTS_PER_DAY_PER_WORKSPACE: '3' } })
  browser = await signUpAs(app, { email: 'quota@quota.test' })
  const workspaceId = await workspaceIdOf(app, await createApiToken(browser))
  xId = await connectTestAccount(app, { workspaceId, clock, kind: 'x', handle: 'drip_team' })
  mastodonId = await connectTestAccount(app, { workspaceId, clock })
})
afterAll(async () => {
  await app?.close()
})

async function check(fields: Record<string, string>) {
  const csrf = csrfTokenOf(await (await browser.get('/app/series/new')).text())
  const response = await browser.post('/app/series/check', { csrf, rule: 'FREQ=DAILY;BYHOUR=9;BYMINUTE=0', start: '2026-03-17T09:00', timezone: 'UTC', ...fields })
  expect(response.status).toBe(200)
  return (await response.json()) as { warnings: string[] }
}

describe('quota projection', () => {
  it('warns when a day exceeds the workspace share of X posts, counting thread parts', async () => {
    const within = await check({ [`account-${xId}`]: 'on', 'post-1': 'One', 'post-2': 'Two', 'post-2-part-2': 'Two b' })
    expect(within.warnings.filter((w) => w.startsWith('X quota'))).toEqual([])
    expect(within.warnings).toContain("X usage: this series publishes 3 posts to X (at most 3 in one month, 2026-03; daily share 3). Check that your X API plan's monthly post cap covers it.")

    // Four parts on one day: more than the share of 3.
    const over = await check({ [`account-${xId}`]: 'on', 'post-1': 'One', 'post-1-part-2': 'b', 'post-1-part-3': 'c', 'post-1-part-4': 'd' })
    expect(over.warnings).toContain('X quota: on 2026-03-17 (UTC) this workspace would publish 4 posts to X, more than its daily share of 3: the extra posts wait until the next day.')
  })

  it('says nothing about quotas for networks without a daily budget', async () => {
    const result = await check({ [`account-${mastodonId}`]: 'on', 'post-1': 'One', 'post-1-part-2': 'b', 'post-1-part-3': 'c', 'post-1-part-4': 'd' })
    expect(result.warnings.filter((w) => / quota| usage/.test(w))).toEqual([])
  })
})
