import http from 'node:http'
import { JoseKey } from '@atproto/oauth-client-node'
import { and, eq } from 'drizzle-orm'
import { createBlueskyOAuth, type BlueskyOAuthStore } from '../../connectors/bluesky/oauth'
import { createBlueskyConnector } from '../../connectors/bluesky/index'
import { createBlueskyOAuthStore } from '../../core/bluesky-oauth-store.server'
import { configWarnings, loadConfig } from '../../core/env.server'
import { createAccountServices } from '../../core/services.server'
import { accounts, blueskyOAuthEntries } from '../../db/schema'
import { openCredentials } from '../../db/vault'
import type { Database } from '../../db/client'
import { runCli } from '../../scripts/cli-program'
import { accountTestHelpers } from '../accounts/account-helpers'
import { logInAgain, signUpAs, startTestApp, TestBrowser, type TestApp } from '../app-server'
import { startBlueskyPds, type BlueskyPds, type BlueskyTestAccount } from '../servers/bluesky-pds'

/**
 * Connecting Bluesky with OAuth (decision 115) end to end, against a real PDS (`@atproto/pds` with its
 * embedded `@atproto/oauth-provider`): the Accounts page starts the authorization (the library resolves
 * the handle, pushes the request with PAR, signs its client assertion with BLUESKY_OAUTH_PRIVATE_KEY and
 * binds the tokens to a DPoP key), the user signs in and approves on the PDS (its own sign-in and consent
 * API, driven over HTTP as its page's script does), the callback stores the account, and the worker's
 * publishing path posts with the session restored from PostgreSQL.
 *
 * The one stand-in: APP_URL is https://trickle.stand-in.net, a public https address as the provider requires (it refuses .test, .example and example.com)
 * of a client id. The PDS runs in this process and fetches the client metadata and JWKS with
 * `globalThis.fetch`; requests to that host are sent to the test app's loopback address instead (what
 * DNS and a TLS proxy do in production). The browser's redirect back to it is followed the same way.
 */

const APP_URL = 'https://trickle.stand-in.net'
let app: TestApp
/** The app APP_URL reaches: `app`, or the same app restarted with other keys (the rotation test). */
let current: TestApp
let pds: BlueskyPds
let alice: BlueskyTestAccount
let privateKeyJwk: string
const realFetch = globalThis.fetch
const clientFetches: string[] = []

beforeAll(async () => {
  pds = await startBlueskyPds()
  alice = await pds.createAccount('alice')
  privateKeyJwk = JSON.stringify((await JoseKey.generate(['ES256'], 'trickle-test-1')).privateJwk)
  app = current = await startTestApp({ env: oauthEnv(privateKeyJwk) })
  globalThis.fetch = ((input: RequestInfo | URL, init?: RequestInit) => {
    const url = input instanceof Request ? input.url : String(input)
    if (!url.startsWith(`${APP_URL}/`)) return realFetch(input, init)
    clientFetches.push(new URL(url).pathname)
    return realFetch(url.replace(APP_URL, current.url), { headers: { accept: 'application/json' }, redirect: 'manual', signal: init?.signal })
  }) as typeof fetch
})
afterAll(async () => {
  globalThis.fetch = realFetch
  if (current !== app) await current?.close()
  await app?.close()
  await pds?.close()
})

function oauthEnv(key: string): Record<string, string> {
  return { APP_URL, BLUESKY_ALLOW_HTTP: 'true', BLUESKY_OAUTH_PRIVATE_KEY: key, BLUESKY_HANDLE_RESOLVER_URL: pds.pdsUrl, BLUESKY_PLC_URL: pds.plcUrl }
}

/** `trickle bluesky keys` (the operator CLI, in this process) against the app APP_URL reaches: its lines. */
async function keysReport(): Promise<string[]> {
  const out: string[] = []
  const io = { out: (text: string) => out.push(text), err: (text: string) => out.push(`error: ${text}`), config: () => current.services.config, withDatabase: <T>(fn: (database: Database) => Promise<T>) => fn(current.services.database) }
  expect(await runCli(['bluesky', 'keys'], io), out.join('\n')).toBe(0)
  return out
}

/** The app restarted on the same database and secrets with BLUESKY_OAUTH_PRIVATE_KEY set to `keys` (a deployment's new configuration). */
async function restartWith(keys: object[]): Promise<void> {
  const previous = current
  const { TOKEN_ENCRYPTION_KEY, SESSION_SECRET } = app.services.config
  current = await startTestApp({
    database: { ...app.services.database, close: async () => undefined },
    env: { ...oauthEnv(JSON.stringify(keys)), TOKEN_ENCRYPTION_KEY: TOKEN_ENCRYPTION_KEY!, SESSION_SECRET },
  })
  if (previous !== app) await previous.close()
}

const { workspaceOf, rows, rowsHolding, publishNow } = accountTestHelpers(() => current)

/** A request with exactly these headers (fetch replaces the browser's Sec-Fetch-* ones the provider checks). */
function rawRequest(url: string, init: { method?: string; headers: Record<string, string>; body?: string }) {
  return new Promise<{ status: number; location?: string; cookies: string[]; text: string }>((resolve, reject) => {
    const request = http.request(url, { method: init.method ?? 'GET', headers: init.headers }, (answer) => {
      const chunks: Buffer[] = []
      answer.on('data', (chunk: Buffer) => chunks.push(chunk))
      answer.on('end', () =>
        resolve({ status: answer.statusCode ?? 0, location: answer.headers.location, cookies: answer.headers['set-cookie'] ?? [], text: Buffer.concat(chunks).toString('utf8') }),
      )
    })
    request.on('error', reject)
    request.end(init.body)
  })
}

/** Sign in on the PDS's authorization page and approve Trickle, as its page's script does; the redirect back. */
async function approveOnPds(authorizeUrl: string, account: BlueskyTestAccount): Promise<URL> {
  const jar = new Map<string, string>()
  const issuer = new URL(authorizeUrl).origin
  const send = async (url: string, init: { method?: string; headers: Record<string, string>; body?: string }) => {
    const answer = await rawRequest(url, { ...init, headers: { ...init.headers, cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; ') } })
    for (const line of answer.cookies) {
      const [pair] = line.split(';')
      const [name, ...value] = pair!.split('=')
      jar.set(name!.trim(), value.join('='))
    }
    return answer
  }
  const navigate = { 'sec-fetch-mode': 'navigate', 'sec-fetch-dest': 'document', 'sec-fetch-site': 'cross-site', accept: 'text/html' }
  const page = await send(authorizeUrl, { headers: navigate })
  expect(page.status, page.text.slice(0, 2000)).toBe(200)
  const api = (endpoint: string, body: object) =>
    send(`${issuer}/@atproto/oauth-provider/~api${endpoint}`, {
      method: 'POST',
      body: JSON.stringify(body),
      headers: {
        'content-type': 'application/json',
        origin: issuer,
        referer: authorizeUrl,
        'sec-fetch-mode': 'same-origin',
        'sec-fetch-site': 'same-origin',
        'sec-fetch-dest': 'empty',
        'x-csrf-token': jar.get('csrf-token') ?? '',
      },
    })
  const signIn = await api('/sign-in', { locale: 'en', username: account.handle, password: account.password, remember: true })
  expect(signIn.status, signIn.text).toBe(200)
  const consent = await api('/consent', { sub: account.did })
  expect(consent.status, consent.text).toBe(200)
  const { url } = JSON.parse(consent.text) as { url: string }
  // The page's script navigates there from the authorization page.
  const redirect = await send(url, { headers: { ...navigate, 'sec-fetch-site': 'same-origin', origin: issuer, referer: authorizeUrl } })
  expect(redirect.status, redirect.text.slice(0, 2000)).toBeGreaterThanOrEqual(300)
  expect(redirect.location, `${redirect.status} ${redirect.text.slice(0, 1500)}`).toBeTruthy()
  return new URL(redirect.location!)
}

/** Connect `account` through the Accounts page; the account row id. */
async function connectWithOAuth(browser: TestBrowser, account: BlueskyTestAccount, beforeCallback?: (callback: string) => Promise<void>): Promise<string> {
  const started = await browser.submit('/app/accounts', { intent: 'connect', kind: 'bluesky', server: account.handle })
  expect(started.status, /Could not start connecting[^"]*/.exec(await started.clone().text())?.[0]).toBe(302)
  const authorizeUrl = started.headers.get('location')!
  expect(authorizeUrl.startsWith(`${new URL(pds.pdsUrl).protocol}//localhost:`)).toBe(true)
  // PAR: the URL carries only the client id and the pushed request's URI.
  expect([...new URL(authorizeUrl).searchParams.keys()].sort()).toEqual(['client_id', 'request_uri'])
  expect(new URL(authorizeUrl).searchParams.get('client_id')).toBe(`${APP_URL}/oauth/bluesky/client-metadata.json`)
  const back = await approveOnPds(authorizeUrl, account)
  expect(`${back.origin}${back.pathname}`).toBe(`${APP_URL}/oauth/bluesky/callback`)
  expect(back.searchParams.get('code')).toBeTruthy()
  await beforeCallback?.(`${back.pathname}${back.search}`)
  const done = await browser.get(`${back.pathname}${back.search}`)
  expect(done.status, /did not accept[^"]*|does not belong[^"]*|This connection[^"]*/.exec(await done.clone().text())?.[0]).toBe(302)
  const location = done.headers.get('location')!
  expect(location).toMatch(/^\/app\/accounts\?connected=[0-9a-f-]{36}$/)
  return location.split('=')[1]!
}

/** What another process would build: its own connector over the same database (no memory shared with the app's). */
function anotherProcessConnector() {
  const store = createBlueskyOAuthStore({ db: () => app.services.database.db, keyring: app.services.keyring, clock: app.services.clock })
  return createBlueskyConnector({
    allowInsecureServices: true,
    allowPrivateNetworkHosts: true,
    oauth: { appUrl: APP_URL, privateKeyJwk, store, handleResolverUrl: pds.pdsUrl, plcDirectoryUrl: pds.plcUrl },
  })
}

describe('connecting Bluesky with OAuth', () => {
  it('is offered only with the key, a public https APP_URL and the database; a bad key stops the boot', () => {
    const env = { NODE_ENV: 'test' as const, DATA_DIR: app.services.config.DATA_DIR, SESSION_SECRET: 's'.repeat(32), TOKEN_ENCRYPTION_KEY: app.services.config.TOKEN_ENCRYPTION_KEY }
    const offered = (extra: Record<string, string>, database: typeof app.services.database | null = app.services.database) =>
      createAccountServices(loadConfig({ ...env, ...extra }), app.services.clock, database ?? undefined).connectors.bluesky?.delegatedAuthorization !== undefined
    expect(offered({ APP_URL, BLUESKY_OAUTH_PRIVATE_KEY: privateKeyJwk })).toBe(true)
    expect(offered({ APP_URL, BLUESKY_OAUTH_PRIVATE_KEY: privateKeyJwk }, null)).toBe(false)
    expect(offered({ APP_URL })).toBe(false)
    expect(offered({ APP_URL: 'http://localhost:3000', BLUESKY_OAUTH_PRIVATE_KEY: privateKeyJwk })).toBe(false)
    expect(configWarnings(loadConfig({ ...env, APP_URL: 'https://trickle.test', BLUESKY_OAUTH_PRIVATE_KEY: privateKeyJwk }))).toEqual([
      expect.stringContaining('BLUESKY_OAUTH_PRIVATE_KEY is set but APP_URL (https://trickle.test) is not a public https address'),
    ])
    expect(() => loadConfig({ ...env, BLUESKY_OAUTH_PRIVATE_KEY: '{"kty":"EC"}' })).toThrow(/BLUESKY_OAUTH_PRIVATE_KEY: must be a private P-256/)
  })

  it('serves the client metadata and JWKS, connects through PAR and DPoP, stores the session sealed, and publishes from the worker path', async () => {
    const metadata = (await (await realFetch(`${app.url}/oauth/bluesky/client-metadata.json`)).json()) as Record<string, unknown>
    expect(metadata).toMatchObject({
      client_id: `${APP_URL}/oauth/bluesky/client-metadata.json`,
      redirect_uris: [`${APP_URL}/oauth/bluesky/callback`],
      token_endpoint_auth_method: 'private_key_jwt',
      dpop_bound_access_tokens: true,
      jwks_uri: `${APP_URL}/oauth/bluesky/jwks.json`,
      scope: 'atproto transition:generic',
    })
    const jwks = (await (await realFetch(`${app.url}/oauth/bluesky/jwks.json`)).json()) as { keys: Array<Record<string, string>> }
    expect(jwks.keys).toHaveLength(1)
    expect(jwks.keys[0]).toMatchObject({ kty: 'EC', crv: 'P-256', kid: 'trickle-test-1', alg: 'ES256' })
    expect(jwks.keys[0]!.d).toBeUndefined()

    const browser = await signUpAs(app, { email: 'oauth@acme.test' })
    const workspaceId = await workspaceOf('oauth@acme.test')
    const html = await (await browser.get('/app/accounts')).text()
    expect(html).toContain('Connect Bluesky with OAuth')
    // The app-password form stays.
    expect(html).toContain('name="appPassword"')

    const accountId = await connectWithOAuth(browser, alice, async (callback) => {
      // Between the redirect and the callback: the library's state is in the database, sealed, for ten minutes.
      const states = await app.services.database.db.select().from(blueskyOAuthEntries).where(eq(blueskyOAuthEntries.kind, 'state'))
      expect(states).toHaveLength(1)
      expect(states[0]!.sealed).toMatch(/^v1\./)
      const left = states[0]!.expiresAt!.getTime() - Date.now()
      expect(left).toBeGreaterThan(5 * 60_000)
      expect(left).toBeLessThanOrEqual(10 * 60_000)
      // Another browser session cannot use the redirect (no pending connection of its own), and does not spend it.
      const stranger = await signUpAs(app, { email: 'stranger@acme.test' })
      const refused = await stranger.get(callback)
      expect(refused.status).toBe(400)
      expect(await refused.text()).toContain('started in another browser')
    })
    // The provider fetched Trickle's client metadata (PAR) and its JWKS (the signed client assertion).
    expect(clientFetches).toContain('/oauth/bluesky/client-metadata.json')
    expect(clientFetches).toContain('/oauth/bluesky/jwks.json')

    const [row] = await rows(workspaceId)
    expect(row).toMatchObject({ id: accountId, kind: 'bluesky', handle: 'alice.test', remoteAccountId: alice.did, status: 'connected' })
    const credentials = openCredentials({ keyring: app.services.keyring, accountId, ciphertext: row!.credentialsCiphertext })
    expect(credentials.extra).toMatchObject({ auth: 'oauth', did: alice.did, handle: 'alice.test' })
    // The tokens and DPoP key live in the library's session, sealed; the started authorization is gone (single use).
    const entries = await app.services.database.db.select().from(blueskyOAuthEntries)
    expect(entries.map((e) => [e.kind, e.key])).toEqual([['session', alice.did]])
    expect(entries[0]!.sealed).toMatch(/^v1\./)
    expect(await rowsHolding('refresh_token')).toBe(0)
    expect(await rowsHolding('dpopJwk')).toBe(0)

    const text = `Hello over OAuth ${Date.now()}`
    const { outcome, delivery } = await publishNow(workspaceId, accountId, [{ text }], text)
    expect(outcome).toEqual({ result: 'published' })
    const posts = await pds.listPosts(alice.did)
    expect(posts.map((p) => p.text)).toEqual([text])
    expect(delivery).toMatchObject({ state: 'published', remoteId: posts[0]!.uri })
  })

  it('two processes refreshing the same session at once take turns (the lock), and both go on posting', async () => {
    const bob = await pds.createAccount('bob')
    const browser = await signUpAs(app, { email: 'lock@acme.test' })
    const workspaceId = await workspaceOf('lock@acme.test')
    const accountId = await connectWithOAuth(browser, bob)
    const [row] = await rows(workspaceId)
    const credentials = openCredentials({ keyring: app.services.keyring, accountId, ciphertext: row!.credentialsCiphertext })
    const before = await sealedSession(bob.did)

    // Without the lock, the second refresh would present the refresh token the first had just rotated.
    const [one, two] = [anotherProcessConnector(), anotherProcessConnector()]
    await Promise.all([one.refreshCredentials!(credentials), two.refreshCredentials!(credentials), one.refreshCredentials!(credentials)])
    expect(await sealedSession(bob.did)).not.toBe(before)

    const text = `After the refreshes ${Date.now()}`
    expect((await publishNow(workspaceId, accountId, [{ text }], text)).outcome).toEqual({ result: 'published' })
    await one.publish({ credentials, content: { parts: [{ text: `${text} (another process)` }] }, idempotencyKey: `lock-${Date.now()}` })
    expect((await pds.listPosts(bob.did)).map((p) => p.text).sort()).toEqual([text, `${text} (another process)`])
  })

  it('a session revoked at the server marks the account "reconnect needed" and posts nothing', async () => {
    const carol = await pds.createAccount('carol')
    const browser = await signUpAs(app, { email: 'revoked@acme.test' })
    const workspaceId = await workspaceOf('revoked@acme.test')
    const accountId = await connectWithOAuth(browser, carol)

    // The user revokes Trickle's access at their server: here, the same session revoked from a copy of it,
    // so Trickle's database still holds the tokens the server no longer honours.
    const copy = new Map<string, unknown>([[`session:${carol.did}`, await storeOf().get('session', carol.did)]])
    const revoker = createBlueskyOAuth({
      config: { appUrl: APP_URL, privateKeyJwk, store: memoryStore(copy), handleResolverUrl: pds.pdsUrl, plcDirectoryUrl: pds.plcUrl },
      allowHttp: true,
      fetch: realFetch,
    })
    await revoker.revoke(carol.did)

    const never = `Never posted ${Date.now()}`
    const { outcome, delivery } = await publishNow(workspaceId, accountId, [{ text: never }], never)
    expect(outcome).not.toEqual({ result: 'published' })
    expect(delivery.state).not.toBe('published')
    expect(await pds.listPosts(carol.did)).toEqual([])
    const [row] = await app.services.database.db.select().from(accounts).where(and(eq(accounts.workspaceId, workspaceId), eq(accounts.id, accountId)))
    expect(row!.status).toBe('reconnect_needed')
    const page = await (await browser.get('/app/accounts')).text()
    expect(page).toContain('Reconnect needed')

    // Connecting again through OAuth renews the same account, which posts again.
    expect(await connectWithOAuth(browser, carol)).toBe(accountId)
    const [renewed] = await rows(workspaceId)
    expect(renewed).toMatchObject({ id: accountId, status: 'connected' })
    const text = `Back after reconnecting ${Date.now()}`
    expect((await publishNow(workspaceId, accountId, [{ text }], text)).outcome).toEqual({ result: 'published' })
    expect((await pds.listPosts(carol.did)).map((p) => p.text)).toEqual([text])
  })

  it('rotates the client key (decision 125): published first, then signing new connections; a session keeps its key until that key is removed', async () => {
    const oldKey = JSON.parse(privateKeyJwk) as object
    const newKey = (await JoseKey.generate(['ES256'], 'trickle-test-2')).privateJwk as object
    const servedKids = async () => ((await (await realFetch(`${current.url}/oauth/bluesky/jwks.json`)).json()) as { keys: Array<{ kid: string }> }).keys.map((k) => k.kid)
    const sessionKid = async (did: string) => ((await storeOf().get('session', did)) as { authMethod?: { kid?: string } }).authMethod?.kid
    /** A new Bluesky account `<name>.test`, signed up on the app APP_URL reaches now and connected there through OAuth. */
    const connectNew = async (name: string) => {
      const account = await pds.createAccount(name)
      const browser = await signUpAs(current, { email: `${name}@rotation.test` })
      const workspaceId = await workspaceOf(`${name}@rotation.test`)
      return { account, browser, workspaceId, accountId: await connectWithOAuth(browser, account) }
    }
    const post = async (who: { workspaceId: string; accountId: string }, text: string) => (await publishNow(who.workspaceId, who.accountId, [{ text }], text)).outcome
    const refresh = async (who: { workspaceId: string; accountId: string }) => {
      const [row] = (await rows(who.workspaceId)).filter((r) => r.id === who.accountId)
      await current.services.connectors.bluesky!.refreshCredentials!(openCredentials({ keyring: current.services.keyring, accountId: who.accountId, ciphertext: row!.credentialsCiphertext }))
    }

    const dave = await connectNew('dave')
    expect(await sessionKid(dave.account.did)).toBe('trickle-test-1')

    // 1. The new key published beside the old one, second: authorization servers that cache the JWKS learn it;
    //    new connections still sign with the old key.
    await restartWith([oldKey, newKey])
    expect(await servedKids()).toEqual(['trickle-test-1', 'trickle-test-2'])
    const erin = await connectNew('erin')
    expect(await sessionKid(erin.account.did)).toBe('trickle-test-1')

    // 2. The new key first: new connections sign with it. Too soon after step 1, the PDS still has the JWKS it
    //    fetched before (it keeps one ten minutes) and refuses the new key: the person is told to try later.
    await restartWith([newKey, oldKey])
    expect(await servedKids()).toEqual(['trickle-test-2', 'trickle-test-1'])
    const frankAccount = await pds.createAccount('frank')
    const frankBrowser = await signUpAs(current, { email: 'frank@rotation.test' })
    const early = await frankBrowser.submit('/app/accounts', { intent: 'connect', kind: 'bluesky', server: frankAccount.handle })
    expect(early.status).toBe(400)
    expect(await early.text()).toContain('refused Trickle&#x27;s client key')
    pds.forgetClientKeys()
    const frank = { account: frankAccount, workspaceId: await workspaceOf('frank@rotation.test'), accountId: await connectWithOAuth(frankBrowser, frankAccount) }
    expect(await sessionKid(frank.account.did)).toBe('trickle-test-2')
    // Older sessions refresh with their own key and post.
    await refresh(dave)
    expect(await sessionKid(dave.account.did)).toBe('trickle-test-1')
    expect(await post(dave, `Dave during the rotation ${Date.now()}`)).toEqual({ result: 'published' })
    expect(await post(frank, `Frank on the new key ${Date.now()}`)).toEqual({ result: 'published' })
    // The operator asks which accounts still sign with the old key (the sessions of the other tests' accounts too).
    const onOldKey = (await keysReport()).find((line) => line.startsWith('trickle-test-1: '))!
    expect(onOldKey).toMatch(/^trickle-test-1: kept for the accounts connected with it; \d+ session\(s\): /)
    for (const did of [dave.account.did, erin.account.did]) expect(onOldKey).toContain(did)
    expect(onOldKey).not.toContain(frank.account.did)
    expect(await keysReport()).toContain(`trickle-test-2: signs new connections; 1 session(s)`)

    // 3. The old key removed: sessions made with it can no longer refresh and ask for a reconnect; the others post.
    await restartWith([newKey])
    expect(await servedKids()).toEqual(['trickle-test-2'])
    await expect(refresh(erin)).rejects.toThrow(/can no longer be used/)
    const never = `Never posted ${Date.now()}`
    expect(await post(erin, never)).not.toEqual({ result: 'published' })
    expect((await pds.listPosts(erin.account.did)).map((p) => p.text)).not.toContain(never)
    expect((await rows(erin.workspaceId))[0]!.status).toBe('reconnect_needed')
    expect(await post(frank, `Frank after the rotation ${Date.now()}`)).toEqual({ result: 'published' })
    expect((await keysReport()).find((line) => line.startsWith('trickle-test-1: '))).toMatch(/^trickle-test-1: not configured; \d+ session\(s\) must be reconnected: .*did:/)

    // Reconnecting (the same user, signed in on the restarted app) renews the account with a session on the new key.
    const browser = new TestBrowser(current.url)
    await logInAgain(browser, 'erin@rotation.test')
    expect(await connectWithOAuth(browser, erin.account)).toBe(erin.accountId)
    expect(await sessionKid(erin.account.did)).toBe('trickle-test-2')
    expect(await post(erin, `Erin reconnected ${Date.now()}`)).toEqual({ result: 'published' })
  })
})

function storeOf(): BlueskyOAuthStore {
  return createBlueskyOAuthStore({ db: () => app.services.database.db, keyring: app.services.keyring, clock: app.services.clock })
}

async function sealedSession(did: string): Promise<string> {
  const [entry] = await app.services.database.db
    .select()
    .from(blueskyOAuthEntries)
    .where(and(eq(blueskyOAuthEntries.kind, 'session'), eq(blueskyOAuthEntries.key, did)))
  return entry!.sealed
}

function memoryStore(values: Map<string, unknown>): BlueskyOAuthStore {
  return {
    get: async (kind, key) => values.get(`${kind}:${key}`),
    set: async (kind, key, value) => void values.set(`${kind}:${key}`, value),
    del: async (kind, key) => void values.delete(`${kind}:${key}`),
    lock: (_name, run) => run(),
  }
}

