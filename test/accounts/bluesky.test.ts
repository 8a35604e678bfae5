import { asc, eq } from 'drizzle-orm'
import { auditEvents } from '../../db/schema'
import { openCredentials } from '../../db/vault'
import { accountTestHelpers, inputNamed as inputIn } from './account-helpers'
import { signUpAs, startTestApp, type TestApp, type TestBrowser } from '../app-server'
import { startBlueskyPds, type BlueskyPds, type BlueskyTestAccount } from '../servers/bluesky-pds'

/**
 * Connecting a Bluesky account on the Accounts page with a handle and an app password, through the real
 * app (CSRF and all) against an in-process PDS (test/servers/bluesky-pds.ts): no server configuration
 * beyond BLUESKY_ALLOW_HTTP for the loopback PDS. One PDS for the file (it takes a few seconds to start).
 */

let app: TestApp
let pds: BlueskyPds
let alice: BlueskyTestAccount

beforeAll(async () => {
  pds = await startBlueskyPds()
  alice = await pds.createAccount('alice')
  app = await startTestApp({ env: { BLUESKY_ALLOW_HTTP: 'true' } })
})
afterAll(async () => {
  await app?.close()
  await pds?.close()
})

function signIn(browser: TestBrowser, fields: Record<string, string>, page = '/app/accounts') {
  return browser.submit(page, { intent: 'sign-in', kind: 'bluesky', server: pds.url, ...fields }, { action: '/app/accounts' })
}

const { workspaceOf, rows, rowsHolding, publishNow } = accountTestHelpers(() => app)
const inputNamed = (html: string, name: string) => inputIn(html, 'bluesky', name)

describe('connecting Bluesky with an app password', () => {
  it('offers the form, stores only the sealed session (never the app password), and publishes with it', async () => {
    const browser = await signUpAs(app, { email: 'sky@acme.test' })
    const workspaceId = await workspaceOf('sky@acme.test')

    const html = await (await browser.get('/app/accounts')).text()
    expect(html).not.toContain('not configured')
    expect(html).toContain('Connect Bluesky')
    expect(html).toContain('href="https://bsky.app/settings/app-passwords"')
    expect(html).toContain('Never use your main password')
    // BLUESKY_DEFAULT_SERVICE (test/app-server.ts: an address that never resolves, so no test reaches bsky.social).
    expect(html).toContain('Leave empty for https://bsky.invalid')
    const password = inputNamed(html, 'appPassword')
    expect(password).toContain('type="password"')
    expect(password).toMatch(/autocomplete="off"/i)
    const label = /<label[^>]*for="([^"]+)"[^>]*>App password/.exec(html)
    expect(password).toContain(`id="${label![1]}"`)

    // Without the form's CSRF token: refused, nothing asked of the PDS.
    const noCsrf = await browser.post('/app/accounts', { intent: 'sign-in', kind: 'bluesky', identifier: alice.handle, appPassword: alice.appPassword, server: pds.url })
    expect(noCsrf.status).toBe(403)

    const done = await signIn(browser, { identifier: alice.handle, appPassword: alice.appPassword })
    expect(done.status).toBe(302)
    expect(done.headers.get('location')).toMatch(/^\/app\/accounts\?connected=[0-9a-f-]{36}$/)
    const page = (await (await browser.get(done.headers.get('location')!)).text()).replaceAll('<!-- -->', '')
    expect(page).toContain('Bluesky account @alice.test is connected')
    // The expiry is a <time> in the workspace's zone (UTC here), UTC on hover.
    expect(page.replace(/<!-- -->|<[^>]+>/g, '')).toMatch(/Expires \d{4}-\d\d-\d\d \d\d:\d\d UTC; renewed automatically/)

    const [row] = await rows(workspaceId)
    expect(row).toMatchObject({ kind: 'bluesky', handle: 'alice.test', remoteAccountId: alice.did, status: 'connected' })
    const credentials = openCredentials({ keyring: app.services.keyring, accountId: row!.id, ciphertext: row!.credentialsCiphertext })
    expect(credentials.accessToken.split('.')).toHaveLength(3)
    expect(credentials.refreshToken!.split('.')).toHaveLength(3)
    expect(credentials.extra).toEqual({ service: pds.url, did: alice.did, handle: 'alice.test' })
    expect(JSON.stringify(credentials)).not.toContain(alice.appPassword)
    // Nowhere in the database: the app password at all, the tokens in clear.
    expect(await rowsHolding(alice.appPassword)).toBe(0)
    expect(await rowsHolding(credentials.accessToken)).toBe(0)
    expect(await rowsHolding(credentials.refreshToken!)).toBe(0)
    const audit = await app.services.database.db.select().from(auditEvents).where(eq(auditEvents.workspaceId, workspaceId))
    expect(audit.filter((e) => e.kind.startsWith('account.')).map((e) => [e.kind, e.targetId, e.detail])).toEqual([
      ['account.connected', row!.id, { network: 'bluesky', handle: 'alice.test' }],
    ])

    // The publishing pipeline, with the services the app runs on and the stored credentials.
    const text = `Hello from Trickle ${app.services.clock.now().getTime()}`
    const { outcome, delivery } = await publishNow(workspaceId, row!.id, [{ text }], 'Sky')
    expect(outcome).toEqual({ result: 'published' })
    const posts = await pds.listPosts(alice.did)
    expect(posts.map((p) => p.text)).toEqual([text])
    expect(delivery).toMatchObject({ state: 'published', remoteId: posts[0]!.uri })
  })

  it('names the field at fault, never echoes the password, and says when to retry a rate limit', async () => {
    const browser = await signUpAs(app, { email: 'typo@acme.test' })
    const workspaceId = await workspaceOf('typo@acme.test')
    const wrongPassword = 'wxyz-wxyz-wxyz-wxyz'
    const cases: Array<{ fields: Record<string, string>; status?: number; field: string; message: string }> = [
      { fields: { identifier: alice.handle, appPassword: wrongPassword }, field: 'appPassword', message: 'Bluesky refused the handle or app password' },
      { fields: { identifier: 'nobody.test', appPassword: wrongPassword }, field: 'appPassword', message: 'Bluesky refused the handle or app password' },
      // The account's main password is refused, and its full-access session ended.
      { fields: { identifier: alice.handle, appPassword: alice.password }, field: 'appPassword', message: 'use an app password' },
      { fields: { identifier: ' ', appPassword: wrongPassword }, field: 'identifier', message: 'Enter your handle' },
      { fields: { identifier: alice.handle, appPassword: '' }, field: 'appPassword', message: 'Enter an app password' },
      { fields: { identifier: alice.handle, appPassword: wrongPassword, server: 'http://127.0.0.1:1' }, field: 'server', message: 'could not reach the server as a Bluesky server' },
      { fields: { identifier: alice.handle, appPassword: wrongPassword, server: 'not a server' }, field: 'server', message: 'is not a server address' },
      // No server named: the default one.
      { fields: { identifier: alice.handle, appPassword: wrongPassword, server: '' }, field: 'server', message: 'Could not sign in at https://bsky.invalid: could not reach the server' },
    ]
    for (const { fields, field, message } of cases) {
      const answer = await signIn(browser, fields)
      expect(answer.status, message).toBe(400)
      const html = await answer.text()
      expect(html, message).toContain(message)
      // The message sits under its field: the input is marked invalid and described by the error.
      const input = inputNamed(html, field)
      expect(input, message).toContain('aria-invalid="true"')
      const describedBy = /aria-describedby="([^"]+)"/.exec(input)![1]!.split(' ')
      const errorId = describedBy.find((id) => id.endsWith('-error'))!
      expect(new RegExp(`id="${errorId}"[^>]*>[^<]*${message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`).test(html), message).toBe(true)
      expect(html).not.toContain(wrongPassword)
      expect(html).not.toContain(alice.password)
      if (fields.identifier?.trim()) expect(inputNamed(html, 'identifier')).toContain(`value="${fields.identifier}"`)
    }

    const resetAt = new Date(Math.ceil((Date.now() + 7 * 60_000) / 1000) * 1000)
    pds.injectFault({ kind: 'rate-limit', resetAt, method: 'com.atproto.server.createSession' })
    const limited = await signIn(browser, { identifier: alice.handle, appPassword: alice.appPassword })
    expect(limited.status).toBe(429)
    expect(await limited.text()).toMatch(new RegExp(`Bluesky is limiting sign-ins for now: try again after ${resetAt.toISOString().slice(11, 16)} UTC \\(in [78] min\\)`))

    // The OAuth form's intent for Bluesky says where to go instead.
    const oauth = await browser.submit('/app/accounts', { intent: 'connect', kind: 'bluesky' })
    expect(oauth.status).toBe(400)
    expect(await oauth.text()).toContain('Bluesky connects with an app password')
    expect(await rows(workspaceId)).toHaveLength(0)
  })

  it('reconnects the same account (same DID) with a new app password: its tokens change, it stays one account', async () => {
    const browser = await signUpAs(app, { email: 'again@acme.test' })
    const workspaceId = await workspaceOf('again@acme.test')
    expect((await signIn(browser, { identifier: alice.handle, appPassword: alice.appPassword })).status).toBe(302)
    const [first] = await rows(workspaceId)
    const before = openCredentials({ keyring: app.services.keyring, accountId: first!.id, ciphertext: first!.credentialsCiphertext })

    // Reconnect on the list opens the Bluesky form with the handle and server filled in.
    const list = await (await browser.get('/app/accounts')).text()
    const reconnect = `/app/accounts?reconnect=${first!.id}#connect-bluesky`
    expect(list).toContain(`href="${reconnect}"`)
    const form = await (await browser.get(reconnect)).text()
    expect(inputNamed(form, 'identifier')).toContain('value="alice.test"')
    expect(inputNamed(form, 'server')).toContain(`value="${pds.url}"`)
    expect(form).toContain('Reconnect Bluesky')
    // Another workspace's account id fills in nothing.
    const stranger = await signUpAs(app, { email: 'nosy@other.test' })
    expect(await (await stranger.get(reconnect)).text()).not.toContain('value="alice.test"')

    // By DID this time: the same account.
    const again = await signIn(browser, { identifier: alice.did, appPassword: alice.appPassword }, reconnect)
    expect(again.status).toBe(302)
    const after = await rows(workspaceId)
    expect(after).toHaveLength(1)
    expect(after[0]!.id).toBe(first!.id)
    const renewed = openCredentials({ keyring: app.services.keyring, accountId: first!.id, ciphertext: after[0]!.credentialsCiphertext })
    expect(renewed.refreshToken).not.toBe(before.refreshToken)
    const audit = await app.services.database.db.select().from(auditEvents).where(eq(auditEvents.workspaceId, workspaceId)).orderBy(asc(auditEvents.id))
    expect(audit.filter((e) => e.kind.startsWith('account.')).map((e) => e.kind)).toEqual(['account.connected', 'account.reconnected'])
  })
})
