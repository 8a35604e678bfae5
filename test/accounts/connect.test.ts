import net from 'node:net'
import { asc, eq } from 'drizzle-orm'
import { findUserByEmail } from '../../db/queries/users'
import { addMember, listWorkspacesOfUser } from '../../db/queries/workspaces'
import { auditEvents } from '../../db/schema'
import { openCredentials } from '../../db/vault'
import { validatePost } from '../../core/series/validation.server'
import { makeMp4 } from '../connectors/fixtures/mp4'
import { accountTestHelpers } from './account-helpers'
import { signUpAs, startTestApp, TestBrowser, type TestApp } from '../app-server'
import { startMastodonApiServer, type MastodonApiServer } from '../servers/mastodon-api'
import { startXApiServer, type XApiServer } from '../servers/x-api'

/**
 * The account connection flow over HTTP, against the loopback X and Mastodon servers: the real app, a
 * cookie-keeping client that follows redirects by hand, and the database checked directly.
 */

let app: TestApp
let x: XApiServer
let mastodon: MastodonApiServer
/** Added to the app's clock, to age a pending authorization past its 10 minutes. */
let clockOffsetMs = 0

beforeAll(async () => {
  x = await startXApiServer()
  mastodon = await startMastodonApiServer({ maxCharacters: 1000, videoSizeLimit: 2 * 1024 * 1024 })
  app = await startTestApp({
    clock: { now: () => new Date(Date.now() + clockOffsetMs) },
    env: {
      X_CLIENT_ID: x.clientId,
      X_CLIENT_SECRET: x.clientSecret,
      X_API_BASE_URL: x.url,
      X_UPLOAD_BASE_URL: x.url,
      X_AUTHORIZE_URL: x.authorizeUrl,
      MASTODON_ALLOW_HTTP: 'true',
    },
  })
})
afterAll(async () => {
  await app?.close()
  await x?.close()
  await mastodon?.close()
})
afterEach(() => {
  clockOffsetMs = 0
})

/** Submit the Accounts page's form for `fields`; returns the answer (a redirect to the network when it starts). */
function connect(browser: TestBrowser, fields: Record<string, string>) {
  return browser.submit('/app/accounts', { intent: 'connect', ...fields })
}

/** Play the network's authorization page: it redirects straight back with code and state. */
async function authorizeAt(location: string): Promise<string> {
  const answer = await fetch(location, { redirect: 'manual' })
  expect(answer.status).toBe(302)
  return answer.headers.get('location')!
}

function pathOf(url: string): string {
  const parsed = new URL(url)
  return `${parsed.pathname}${parsed.search}`
}

const { workspaceOf, rows } = accountTestHelpers(() => app)

describe('Accounts page', () => {
  it('shows the empty state and a connect form per configured network, with labels', async () => {
    const browser = await signUpAs(app, { email: 'empty@acme.test' })
    const page = await browser.get('/app/accounts')
    expect(page.status).toBe(200)
    const html = await page.text()
    expect(html).toContain('<h1')
    expect(html).toContain('No accounts yet — connect X to start publishing.')
    expect(html).toContain('Connect X')
    expect(html).toContain('Connect Mastodon')
    const label = /<label[^>]*for="([^"]+)"[^>]*>Your Mastodon server/.exec(html)
    expect(label).not.toBeNull()
    expect(html).toMatch(new RegExp(`<input(?=[^>]*id="${label![1]}")(?=[^>]*name="server")[^>]*>`))
    const shell = await (await browser.get('/app')).text()
    expect(shell).toContain('href="/app/accounts"')
  })

  it('hides X (and LinkedIn, Threads, Pinterest, Reddit) while their variables are unset, tells owners (only) how to enable it, and refuses to connect it', async () => {
    const bare = await startTestApp()
    try {
      const browser = await signUpAs(bare, { email: 'bare@acme.test' })
      const html = await (await browser.get('/app/accounts')).text()
      expect(html).not.toContain('id="connect-x"')
      expect(html).not.toContain('Connect X')
      expect(html).not.toContain('not configured')
      // Networks that need no configuration are offered.
      expect(html).toContain('Connect Mastodon')
      expect(html).toContain('Connect Bluesky')
      expect(html).toContain('No accounts yet — connect Mastodon to start publishing.')
      // The owner's note: which network an administrator can enable, with what, and where to read more.
      const note = /aria-labelledby="more-networks"[\s\S]*?<\/section>/.exec(html)?.[0].replaceAll('<!-- -->', '')
      expect(note).toContain('X_CLIENT_ID')
      expect(note).toContain(`${bare.url}/oauth/x/callback`)
      // So are LinkedIn and Threads, each with the variables of its app and its callback URL.
      expect(html).not.toContain('Connect LinkedIn')
      expect(html).not.toContain('Connect Threads')
      expect(note).toContain('LINKEDIN_CLIENT_ID and LINKEDIN_CLIENT_SECRET')
      expect(note).toContain(`${bare.url}/oauth/linkedin/callback`)
      expect(note).toContain('THREADS_APP_ID and THREADS_APP_SECRET')
      expect(note).toContain(`${bare.url}/oauth/threads/callback`)
      expect(html).not.toContain('Connect Pinterest')
      expect(html).not.toContain('Connect Reddit')
      expect(note).toContain('PINTEREST_APP_ID and PINTEREST_APP_SECRET')
      expect(note).toContain(`${bare.url}/oauth/pinterest/callback`)
      expect(note).toContain('REDDIT_CLIENT_ID and REDDIT_CLIENT_SECRET')
      expect(note).toContain(`${bare.url}/oauth/reddit/callback`)
      expect(html).not.toContain('Connect Facebook')
      expect(html).not.toContain('Connect Instagram')
      expect(note).toContain('FACEBOOK_APP_ID and FACEBOOK_APP_SECRET')
      expect(note).toContain(`${bare.url}/oauth/facebook/callback`)
      expect(note).toContain(`${bare.url}/oauth/instagram/callback`)
      expect(note).toContain('Configuration section of Trickle&#x27;s README')
      expect(note).not.toContain('Mastodon')
      expect(note).not.toContain('Bluesky')
      const refused = await connect(browser, { kind: 'x' })
      expect(refused.status).toBe(400)
      // In the page's alert (not only in its data): there is no X form to show it under.
      expect((await refused.text()).replace(/<script[^]*?<\/script>/g, '')).toMatch(/role="alert"[^]*X is not configured on this server/)

      const editor = await signUpAs(bare, { email: 'bare-editor@acme.test' })
      const workspaceId = (await listWorkspacesOfUser(bare.services.database.db, { userId: (await findUserByEmail(bare.services.database.db, { email: 'bare@acme.test' }))!.id }))[0]!.workspaceId
      const editorUser = await findUserByEmail(bare.services.database.db, { email: 'bare-editor@acme.test' })
      await addMember(bare.services.database.db, { workspaceId, userId: editorUser!.id, role: 'editor' })
      expect((await editor.submit('/app', { intent: 'switch-workspace', workspaceId })).status).toBe(302)
      const editorPage = await (await editor.get('/app/accounts')).text()
      expect(editorPage).toContain('Connect Bluesky')
      expect(editorPage).not.toContain('more-networks')
      expect(editorPage).not.toContain('X_CLIENT_ID')
    } finally {
      await bare.close()
    }
  })
})

describe('connecting X', () => {
  it('runs PKCE S256 with a session-bound state, seals the tokens and lists the account as healthy', async () => {
    const browser = await signUpAs(app, { email: 'xowner@acme.test' })
    const workspaceId = await workspaceOf('xowner@acme.test')

    // Without the form's CSRF token.
    expect((await browser.post('/app/accounts', { intent: 'connect', kind: 'x' })).status).toBe(403)

    const started = await connect(browser, { kind: 'x' })
    expect(started.status).toBe(302)
    const authorize = new URL(started.headers.get('location')!)
    expect(authorize.origin + authorize.pathname).toBe(x.authorizeUrl)
    expect(authorize.searchParams.get('code_challenge_method')).toBe('S256')
    expect(authorize.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(authorize.searchParams.get('redirect_uri')).toBe(`${app.url}/oauth/x/callback`)
    const state = authorize.searchParams.get('state')!
    expect(state).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(browser.cookies.has('trickle_oauth')).toBe(true)
    // The pending authorization is sealed: neither the state nor a verifier is readable in the cookie.
    expect(decodeURIComponent(browser.cookies.get('trickle_oauth')!)).not.toContain(state)

    const callback = await authorizeAt(authorize.toString())
    const done = await browser.get(pathOf(callback))
    expect(done.status).toBe(302)
    expect(done.headers.get('location')).toMatch(/^\/app\/accounts\?connected=[0-9a-f-]{36}$/)
    expect(browser.cookies.has('trickle_oauth')).toBe(false)

    const page = await (await browser.get(done.headers.get('location')!)).text()
    expect(page).toContain('@trickle_test')
    expect(page).toContain('Account connected')
    expect(page).toContain('Connected')
    // The expiry is a <time> in the workspace's zone (UTC here), UTC on hover.
    expect(page.replace(/<!-- -->|<[^>]+>/g, '')).toMatch(/Expires \d{4}-\d\d-\d\d \d\d:\d\d UTC; renewed automatically/)

    const [row] = await rows(workspaceId)
    expect(row).toMatchObject({ kind: 'x', handle: 'trickle_test', remoteAccountId: x.user.id, status: 'connected', credentialsKeyVersion: 1 })
    expect(row!.expiresAt!.getTime()).toBeGreaterThan(Date.now() + 3600_000)
    const credentials = openCredentials({ keyring: app.services.keyring, accountId: row!.id, ciphertext: row!.credentialsCiphertext })
    expect(credentials.accessToken).toMatch(/\S{10,}/)
    expect(credentials.refreshToken).toMatch(/\S{10,}/)
    expect(row!.credentialsCiphertext).not.toContain(credentials.accessToken)
    expect(row!.credentialsCiphertext).not.toContain(credentials.refreshToken)

    // The same callback again: the pending authorization is gone, so it is refused with a way forward.
    const tokenRequests = x.counters.tokenRequests
    const replay = await browser.get(pathOf(callback))
    expect(replay.status).toBe(400)
    const replayHtml = await replay.text()
    expect(replayHtml).toContain('already used')
    expect(replayHtml).toContain('press Connect again')
    expect(x.counters.tokenRequests).toBe(tokenRequests)
    expect(await rows(workspaceId)).toHaveLength(1)
  })

  it('refuses a state from another session, and that attempt also ends the pending one', async () => {
    const alice = await signUpAs(app, { email: 'alice@acme.test' })
    const mallory = await signUpAs(app, { email: 'mallory@evil.test' })
    const aliceStarted = await connect(alice, { kind: 'x' })
    const aliceCallback = await authorizeAt(aliceStarted.headers.get('location')!)
    const malloryCallback = await authorizeAt((await connect(mallory, { kind: 'x' })).headers.get('location')!)

    // Mallory's callback (her code, her state) delivered to Alice's browser.
    const foreign = await alice.get(pathOf(malloryCallback))
    expect(foreign.status).toBe(400)
    expect(await foreign.text()).toContain('does not belong to the connection you started in this browser')
    // Deleted whatever the outcome: Alice's own callback now needs a new start.
    expect((await alice.get(pathOf(aliceCallback))).status).toBe(400)
    expect(await rows(await workspaceOf('alice@acme.test'))).toHaveLength(0)

    // Alice's pending cookie replayed into Mallory's session does not open there either.
    const aliceAgain = await connect(alice, { kind: 'x' })
    const stolen = new TestBrowser(app.url)
    for (const [name, value] of mallory.cookies) stolen.cookies.set(name, value)
    stolen.cookies.set('trickle_oauth', alice.cookies.get('trickle_oauth')!)
    const replayed = await stolen.get(pathOf(await authorizeAt(aliceAgain.headers.get('location')!)))
    expect(replayed.status).toBe(400)
    expect(await rows(await workspaceOf('mallory@evil.test'))).toHaveLength(0)

    // Bound to the session, not just the user: Alice's own second session cannot use it either.
    const aliceElsewhere = new TestBrowser(app.url)
    expect((await aliceElsewhere.submit('/login', { email: 'alice@acme.test', password: 'correct horse battery staple' })).status).toBe(302)
    const third = await connect(alice, { kind: 'x' })
    aliceElsewhere.cookies.set('trickle_oauth', alice.cookies.get('trickle_oauth')!)
    const otherSession = await aliceElsewhere.get(pathOf(await authorizeAt(third.headers.get('location')!)))
    expect(otherSession.status).toBe(400)
    expect(await otherSession.text()).toContain('started in another browser')
    expect(await rows(await workspaceOf('alice@acme.test'))).toHaveLength(0)
  })

  it('refuses a callback more than 10 minutes after the start', async () => {
    const browser = await signUpAs(app, { email: 'slow@acme.test' })
    const callback = await authorizeAt((await connect(browser, { kind: 'x' })).headers.get('location')!)
    clockOffsetMs = 10 * 60_000 + 1000
    const late = await browser.get(pathOf(callback))
    expect(late.status).toBe(400)
    expect(await late.text()).toContain('took longer than 10 minutes')
  })

  it('explains a denied authorization', async () => {
    const browser = await signUpAs(app, { email: 'denied@acme.test' })
    const authorize = new URL((await connect(browser, { kind: 'x' })).headers.get('location')!)
    const denied = await browser.get(`/oauth/x/callback?error=access_denied&state=${authorize.searchParams.get('state')}`)
    expect(denied.status).toBe(400)
    const html = await denied.text()
    expect(html).toContain('X did not grant access (access_denied)')
    expect(html).toContain('Back to Accounts')
  })

  it('needs the editor role to connect, and a signed-in user for the callback', async () => {
    const owner = await signUpAs(app, { email: 'boss@acme.test' })
    const viewer = await signUpAs(app, { email: 'viewer@acme.test' })
    const workspaceId = await workspaceOf('boss@acme.test')
    const viewerUser = await findUserByEmail(app.services.database.db, { email: 'viewer@acme.test' })
    await addMember(app.services.database.db, { workspaceId, userId: viewerUser!.id, role: 'viewer' })
    expect((await viewer.submit('/app', { intent: 'switch-workspace', workspaceId })).status).toBe(302)
    const page = await (await viewer.get('/app/accounts')).text()
    expect(page).toContain('connecting accounts needs the editor role')
    expect(page).not.toContain('Connect X')
    const csrf = /name="csrf" value="([^"]+)"/.exec(page)![1]!
    expect((await viewer.post('/app/accounts', { csrf, intent: 'connect', kind: 'x' })).status).toBe(403)

    const callback = await authorizeAt((await connect(owner, { kind: 'x' })).headers.get('location')!)
    const anonymous = await new TestBrowser(app.url).get(pathOf(callback))
    expect(anonymous.status).toBe(302)
    expect(anonymous.headers.get('location')).toMatch(/^\/login\?redirectTo=/)
  })
})

describe('connecting Mastodon', () => {
  it('answers the same for a closed port and an open one that is no Mastodon server (no port scanning through the form)', async () => {
    const browser = await signUpAs(app, { email: 'scan@acme.test' })
    const sockets = new Set<net.Socket>()
    const open = net.createServer((socket) => sockets.add(socket.on('error', () => {}).end('SSH-2.0-OpenSSH_9.6\r\n')))
    await new Promise<void>((resolve) => open.listen(0, '127.0.0.1', resolve))
    const closed = net.createServer()
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
    const closedPort = (closed.address() as net.AddressInfo).port
    await new Promise<void>((resolve) => closed.close(() => resolve()))
    const reasonFor = async (port: number) => {
      const response = await connect(browser, { kind: 'mastodon', server: `http://127.0.0.1:${port}` })
      expect(response.status).toBe(400)
      return /Could not start connecting to http:\/\/127\.0\.0\.1:\d+: ([^.]*)\./.exec(await response.text())?.[1]
    }
    const whenClosed = await reasonFor(closedPort)
    const whenOpen = await reasonFor((open.address() as net.AddressInfo).port)
    expect(whenClosed).toBe('could not reach the server as a Mastodon server')
    expect(whenOpen).toBe(whenClosed)
    for (const socket of sockets) socket.destroy()
    await new Promise<void>((resolve) => open.close(() => resolve()))
  })

  it('asks for the instance, registers an app there per connection, and reconnects to the same instance', async () => {
    const browser = await signUpAs(app, { email: 'toot@acme.test' })
    const workspaceId = await workspaceOf('toot@acme.test')

    const missing = await connect(browser, { kind: 'mastodon', server: '' })
    expect(missing.status).toBe(400)
    expect(await missing.text()).toContain('Enter the address of your Mastodon server')
    const unreachable = await connect(browser, { kind: 'mastodon', server: 'http://127.0.0.1:1' })
    expect(unreachable.status).toBe(400)
    expect(await unreachable.text()).toContain('Could not start connecting to http://127.0.0.1:1')

    const registered = mastodon.counters.appsRegistered
    const started = await connect(browser, { kind: 'mastodon', server: mastodon.url })
    expect(started.status).toBe(302)
    expect(mastodon.counters.appsRegistered).toBe(registered + 1)
    const authorize = new URL(started.headers.get('location')!)
    expect(authorize.origin).toBe(mastodon.url)
    expect(authorize.searchParams.get('code_challenge_method')).toBe('S256')
    expect(authorize.searchParams.get('redirect_uri')).toBe(`${app.url}/oauth/mastodon/callback`)

    const done = await browser.get(pathOf(await authorizeAt(authorize.toString())))
    expect(done.status).toBe(302)
    const page = await (await browser.get(done.headers.get('location')!)).text()
    const host = new URL(mastodon.url).host
    expect(page).toContain(`@${mastodon.account.username}@${host}`)
    expect(page).toContain('Does not expire')

    const [row] = await rows(workspaceId)
    expect(row).toMatchObject({ kind: 'mastodon', status: 'connected', maxPostLength: 1000, limits: { maxVideoBytes: 2 * 1024 * 1024 } })
    // The editor checks the instance's own video size, stored with the account (decision 111), not Mastodon's default 40 MB.
    const clip = { parts: [{ text: 'a clip', media: [{ mimeType: 'video/mp4', data: makeMp4({ totalBytes: 3 * 1024 * 1024 }) }] }] }
    expect(validatePost(app.services, { account: row!, content: clip })).toEqual([{ path: 'parts[0].media[0].data', message: 'Too big for Mastodon: 3 MB, at most 2 MB.' }])
    const credentials = openCredentials({ keyring: app.services.keyring, accountId: row!.id, ciphertext: row!.credentialsCiphertext })
    expect(credentials.extra).toMatchObject({ instanceUrl: mastodon.url })
    expect(row!.credentialsCiphertext).not.toContain(credentials.accessToken)
    expect(row!.credentialsCiphertext).not.toContain(credentials.extra!.clientSecret!)

    // Reconnect: the instance comes from the stored credentials; a new app registration, the same row.
    const again = await browser.submit('/app/accounts', { intent: 'reconnect', accountId: row!.id })
    expect(again.status).toBe(302)
    expect(new URL(again.headers.get('location')!).origin).toBe(mastodon.url)
    expect(mastodon.counters.appsRegistered).toBe(registered + 2)
    expect((await browser.get(pathOf(await authorizeAt(again.headers.get('location')!)))).status).toBe(302)
    const after = await rows(workspaceId)
    expect(after).toHaveLength(1)
    expect(after[0]!.id).toBe(row!.id)
    expect(after[0]!.credentialsCiphertext).not.toBe(row!.credentialsCiphertext)

    // The workspace's audit log: a connection, then a reconnection of the same account, and no credentials.
    const audit = await app.services.database.db.select().from(auditEvents).where(eq(auditEvents.workspaceId, workspaceId)).orderBy(asc(auditEvents.id))
    const accountEvents = audit.filter((e) => e.kind.startsWith('account.'))
    expect(accountEvents.map((e) => [e.kind, e.targetId])).toEqual([
      ['account.connected', row!.id],
      ['account.reconnected', row!.id],
    ])
    expect(accountEvents[0]!.detail).toMatchObject({ network: 'mastodon', handle: row!.handle })
    expect(JSON.stringify(audit)).not.toContain(credentials.accessToken)
  })
})

describe('disconnecting', () => {
  it('asks first, then removes the account and its tokens', async () => {
    const browser = await signUpAs(app, { email: 'leaver@acme.test' })
    const workspaceId = await workspaceOf('leaver@acme.test')
    await browser.get(pathOf(await authorizeAt((await connect(browser, { kind: 'x' })).headers.get('location')!)))
    const [row] = await rows(workspaceId)
    expect(row).toBeDefined()

    const list = await (await browser.get('/app/accounts')).text()
    expect(list).toContain(`href="/app/accounts/${row!.id}/disconnect"`)
    const confirm = await browser.get(`/app/accounts/${row!.id}/disconnect`)
    expect(confirm.status).toBe(200)
    const html = await confirm.text()
    expect(html).toMatch(/<h1[^>]*>Disconnect @trickle_test from leaver&#x27;s team\?<\/h1>/)
    expect(html).toContain('Cancel, keep it connected')
    expect(await rows(workspaceId)).toHaveLength(1)
    expect((await browser.get('/app/accounts/not-a-uuid/disconnect')).status).toBe(404)
    const stranger = await signUpAs(app, { email: 'stranger@other.test' })
    expect((await stranger.get(`/app/accounts/${row!.id}/disconnect`)).status).toBe(404)

    const gone = await browser.submit(`/app/accounts/${row!.id}/disconnect`, { intent: 'disconnect', accountId: row!.id }, { action: '/app/accounts' })
    expect(gone.status).toBe(302)
    expect(await rows(workspaceId)).toHaveLength(0)
    expect(await (await browser.get(gone.headers.get('location')!)).text()).toContain('Account disconnected')
    expect((await browser.get(`/app/accounts/${row!.id}/disconnect`)).status).toBe(404)
  })
})
