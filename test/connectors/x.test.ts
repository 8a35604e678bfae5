import { createHash, randomBytes, randomUUID } from 'node:crypto'
import net from 'node:net'
import { codeChallengeFor, createCodeVerifier, createOAuthState } from '../../connectors/oauth'
import { connectorFactories } from '../../connectors/registry'
import { ConnectorError, type Connector, type Credentials } from '../../connectors/types'
import { createXConnector } from '../../connectors/x/index'
import type { Db } from '../../db/client'
import { openDatabase } from '../../db/client'
import { withAccountCredentials } from '../../core/credentials.server'
import { connectAccount, getAccount } from '../../db/queries/accounts'
import { workspaces } from '../../db/schema'
import { createKeyring } from '../../db/vault'
import { systemClock } from '../../core/clock'
import { virtualTime } from './fixtures/virtual-time'
import { makeMp4 } from './fixtures/mp4'
import { runConnectorContract } from '../contract/connector'
import { createTestDatabase } from '../db'
import { startXApiServer, type XApiServer } from '../servers/x-api'

function xConnectorFor(server: XApiServer, extra: { timeoutMs?: number } = {}): Connector {
  return connectorFactories.x({
    clientId: server.clientId,
    clientSecret: server.clientSecret,
    apiBaseUrl: server.url,
    uploadBaseUrl: server.url,
    authorizeUrl: server.authorizeUrl,
    ...extra,
  })
}

function credentialsFrom(server: XApiServer): Credentials {
  const issued = server.issueTokens()
  return {
    accessToken: issued.accessToken,
    refreshToken: issued.refreshToken,
    expiresAt: new Date(Date.now() + issued.expiresIn * 1000),
    extra: { userId: server.user.id, username: server.user.username },
  }
}

async function rejection(promise: Promise<unknown>): Promise<ConnectorError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(ConnectorError)
  return error as ConnectorError
}

runConnectorContract('x', { refresh: true }, async () => {
  const server = await startXApiServer()
  return {
    connector: xConnectorFor(server),
    credentials: async () => credentialsFrom(server),
    postsCreated: () => server.counters.postsCreated,
    failNextPublishWithRateLimit: (resetAt) => server.injectFault({ kind: 'rate-limit', resetAt, path: '/2/tweets' }),
    failNextPublishWithUnavailable: ({ apply } = {}) => server.injectFault({ kind: 'unavailable', apply, path: '/2/tweets' }),
    resetNextPublishAfterApplying: () => server.injectFault({ kind: 'reset', apply: true, path: '/2/tweets' }),
    close: () => server.close(),
  }
})

describe('X connector', () => {
  let server: XApiServer
  let x: Connector
  beforeAll(async () => {
    server = await startXApiServer()
    x = xConnectorFor(server)
  })
  afterAll(async () => {
    await server.close()
  })
  const text = (label: string) => `${label} ${randomUUID().slice(0, 8)}`

  describe('connect (OAuth 2.0 with PKCE S256)', () => {
    const redirectUri = 'http://127.0.0.1:3000/accounts/x/callback'

    async function authorizeAtServer(args: { codeChallenge: string; state: string }) {
      const url = x.authorizeUrl!({ redirectUri, state: args.state, codeChallenge: args.codeChallenge })
      const response = await fetch(url, { redirect: 'manual' })
      expect(response.status).toBe(302)
      return { url: new URL(url), callback: new URL(response.headers.get('location')!) }
    }

    it('sends an S256 challenge of the verifier and completes with that verifier', async () => {
      const verifier = createCodeVerifier()
      const state = createOAuthState()
      const challenge = codeChallengeFor(verifier)
      expect(challenge).toBe(createHash('sha256').update(verifier).digest('base64url'))
      const { url, callback } = await authorizeAtServer({ codeChallenge: challenge, state })
      expect(url.searchParams.get('code_challenge_method')).toBe('S256')
      expect(url.searchParams.get('code_challenge')).toBe(challenge)
      expect(url.searchParams.get('scope')).toContain('offline.access')
      expect(callback.searchParams.get('state')).toBe(state)
      const account = await x.completeAuthorization!({ redirectUri, code: callback.searchParams.get('code')!, codeVerifier: verifier })
      expect(account).toMatchObject({ remoteAccountId: server.user.id, handle: server.user.username, displayName: server.user.name })
      expect(account.maxPostLength).toBeUndefined()
      expect(account.credentials.refreshToken).toBeTruthy()
      expect(account.credentials.extra).toEqual({ userId: server.user.id, username: server.user.username })
      await x.publish({ credentials: account.credentials, content: { parts: [{ text: text('connected') }] }, idempotencyKey: randomUUID() })
    })

    it('rejects a code redeemed with another verifier, and a code used twice', async () => {
      const verifier = createCodeVerifier()
      const { callback } = await authorizeAtServer({ codeChallenge: codeChallengeFor(verifier), state: createOAuthState() })
      const code = callback.searchParams.get('code')!
      const wrong = await rejection(x.completeAuthorization!({ redirectUri, code, codeVerifier: createCodeVerifier() }))
      expect(wrong.kind).toBe('auth')
      const reused = await rejection(x.completeAuthorization!({ redirectUri, code, codeVerifier: verifier }))
      expect(reused.kind).toBe('auth')
    })

    it('takes the longer limit of a Premium account', async () => {
      const premium = await startXApiServer({ user: { subscriptionType: 'Premium' } })
      try {
        const connector = xConnectorFor(premium)
        const verifier = createCodeVerifier()
        const url = connector.authorizeUrl!({ redirectUri, state: createOAuthState(), codeChallenge: codeChallengeFor(verifier) })
        const callback = new URL((await fetch(url, { redirect: 'manual' })).headers.get('location')!)
        const account = await connector.completeAuthorization!({ redirectUri, code: callback.searchParams.get('code')!, codeVerifier: verifier })
        expect(account.maxPostLength).toBe(25_000)
        const long = { parts: [{ text: 'long '.repeat(200) }] }
        expect(connector.validate(long)).toHaveLength(1)
        expect(connector.validate(long, { maxLength: account.maxPostLength })).toEqual([])
        await connector.publish({ credentials: account.credentials, content: long, idempotencyKey: randomUUID() })
      } finally {
        await premium.close()
      }
    })
  })

  describe('validate', () => {
    it('counts weighted length: CJK characters count twice, links 23', () => {
      expect(x.validate({ parts: [{ text: '漢'.repeat(140) }] })).toEqual([])
      expect(x.validate({ parts: [{ text: '漢'.repeat(141) }] })).toEqual([
        { path: 'parts[0].text', message: 'Too long for X: 282 characters, at most 280.' },
      ])
      expect(x.validate({ parts: [{ text: `${'a'.repeat(256)} https://example.com/${'p'.repeat(200)}` }] })).toEqual([])
    })

    it('names every problem of every part', () => {
      const image = { mimeType: 'image/png', data: new Uint8Array(10) }
      const problems = x.validate({
        parts: [
          { text: 'ok' },
          { text: '', media: [] },
          { text: 'images', media: [image, image, image, image, { mimeType: 'application/pdf', data: new Uint8Array(1) }] },
        ],
      })
      expect(problems.map((p) => p.path)).toEqual(['parts[1].text', 'parts[2].media', 'parts[2].media[4].mimeType'])
      expect(x.validate({ parts: [] }).map((p) => p.path)).toEqual(['parts'])
    })
  })

  it('publishes a thread as a reply chain', async () => {
    const parts = [text('thread 1/3'), text('thread 2/3'), text('thread 3/3')]
    const result = await x.publish({ credentials: credentialsFrom(server), content: { parts: parts.map((t) => ({ text: t })) }, idempotencyKey: randomUUID() })
    expect(result.partIds).toHaveLength(3)
    const posts = result.partIds!.map((id) => server.posts.find((p) => p.id === id)!)
    expect(posts.map((p) => p.text)).toEqual(parts)
    expect(posts.map((p) => p.inReplyTo)).toEqual([undefined, result.partIds![0], result.partIds![1]])
    expect(result.remoteId).toBe(result.partIds![0])
    expect(result.url).toBe(`https://x.com/${server.user.username}/status/${result.remoteId}`)
  })

  it('uploads images intact (multipart, in chunks) with alt text', async () => {
    const big = randomBytes(1024 * 1024 + 12_345) // two upload chunks
    const small = randomBytes(2048)
    const result = await x.publish({
      credentials: credentialsFrom(server),
      content: {
        parts: [
          {
            text: text('with images'),
            media: [
              { mimeType: 'image/png', data: new Uint8Array(big), altText: 'a diagram' },
              { mimeType: 'image/jpeg', data: new Uint8Array(small) },
            ],
          },
        ],
      },
      idempotencyKey: randomUUID(),
    })
    const post = server.posts.find((p) => p.id === result.remoteId)!
    expect(post.mediaIds).toHaveLength(2)
    const [first, second] = post.mediaIds.map((id) => server.media.get(id)!)
    expect(Buffer.concat(first!.chunks).equals(big)).toBe(true)
    expect(first!.chunks).toHaveLength(2)
    expect(first!.mimeType).toBe('image/png')
    expect(first!.altText).toBe('a diagram')
    expect(Buffer.concat(second!.chunks).equals(small)).toBe(true)
  })

  it('a failed upload chunk is transient and posts nothing', async () => {
    const before = server.counters.postsCreated
    server.injectFault({ kind: 'unavailable', path: '/1.1/media/upload.json', after: 1 })
    const error = await rejection(
      x.publish({
        credentials: credentialsFrom(server),
        content: { parts: [{ text: text('upload fails'), media: [{ mimeType: 'image/png', data: new Uint8Array(randomBytes(100)) }] }] },
        idempotencyKey: randomUUID(),
      }),
    )
    expect(error.kind).toBe('transient')
    expect(server.counters.postsCreated).toBe(before)
  })

  // X refuses a text it already has: after a lost answer, that is the post we are looking for, not a failure.
  it('duplicate content (403) on a create is unknown-outcome, and lookup finds the one post', async () => {
    const credentials = credentialsFrom(server)
    const content = { parts: [{ text: text('said twice') }] }
    const since = new Date(Date.now() - 1000)
    const first = await x.publish({ credentials, content, idempotencyKey: randomUUID() })
    const refusedBefore = server.counters.duplicatesRefused
    const error = await rejection(x.publish({ credentials, content, idempotencyKey: randomUUID() }))
    expect(server.counters.duplicatesRefused).toBe(refusedBefore + 1)
    expect(error.kind).toBe('unknown-outcome')
    expect(error.detail?.status).toBe(403)
    expect(error.message).toMatch(/X reported the text as a duplicate/)
    expect(error.message).toMatch(/looking it up/)
    expect(await x.lookup!({ credentials, content, idempotencyKey: randomUUID(), since })).toMatchObject({ remoteId: first.remoteId })
    expect(server.countsByText().get(content.parts[0]!.text)).toBe(1)
  })

  it('a create applied then answered 503, resent blindly, meets the duplicate check: both are unknown-outcome, one post', async () => {
    const credentials = credentialsFrom(server)
    const content = { parts: [{ text: text('applied, then 503') }] }
    const since = new Date(Date.now() - 1000)
    server.injectFault({ kind: 'unavailable', apply: true, path: '/2/tweets' })
    const lost = await rejection(x.publish({ credentials, content, idempotencyKey: randomUUID() }))
    expect(lost).toMatchObject({ kind: 'unknown-outcome', detail: { status: 503 } })
    // What a blind retry would have met.
    const resent = await rejection(x.publish({ credentials, content, idempotencyKey: randomUUID() }))
    expect(resent).toMatchObject({ kind: 'unknown-outcome', detail: { status: 403 } })
    const found = await x.lookup!({ credentials, content, idempotencyKey: randomUUID(), since })
    expect(found?.remoteId).toBe(server.posts.find((p) => p.text === content.parts[0]!.text)!.id)
    expect(server.countsByText().get(content.parts[0]!.text)).toBe(1)
  })

  it('a 403 duplicate is unknown-outcome whatever the text; a 400 on a create stays invalid-content (documented as not applied)', async () => {
    const credentials = credentialsFrom(server)
    server.injectFault({ kind: 'duplicate', path: '/2/tweets' })
    expect((await rejection(x.publish({ credentials, content: { parts: [{ text: text('forced duplicate') }] }, idempotencyKey: randomUUID() }))).kind).toBe(
      'unknown-outcome',
    )
    const tooLong = await rejection(x.publish({ credentials, content: { parts: [{ text: 'x'.repeat(281) }] }, idempotencyKey: randomUUID() }))
    expect(tooLong).toMatchObject({ kind: 'invalid-content', detail: { status: 400 } })
  })

  it('a post applied but answered after the client gave up is unknown-outcome; lookup finds exactly that one', async () => {
    const credentials = credentialsFrom(server)
    const content = { parts: [{ text: text('slow answer') }] }
    const since = new Date(Date.now() - 1000)
    server.injectFault({ kind: 'slow', ms: 1_500, path: '/2/tweets' })
    const error = await rejection(xConnectorFor(server, { timeoutMs: 300 }).publish({ credentials, content, idempotencyKey: randomUUID() }))
    expect(error.kind).toBe('unknown-outcome')
    const found = await x.lookup!({ credentials, content, idempotencyKey: randomUUID(), since })
    expect(found?.remoteId).toBe(server.posts.find((p) => p.text === content.parts[0]!.text)!.id)
    expect(server.countsByText().get(content.parts[0]!.text)).toBe(1)
  })

  it('a 503 on a read (the lookup timeline) stays transient', async () => {
    server.injectFault({ kind: 'unavailable', method: 'GET', path: `/2/users/${server.user.id}/tweets` })
    const error = await rejection(x.lookup!({ credentials: credentialsFrom(server), content: { parts: [{ text: 'x' }] }, idempotencyKey: randomUUID(), since: new Date() }))
    expect(error).toMatchObject({ kind: 'transient', detail: { status: 503 } })
  })

  it('the 24-hour user bucket sets the reset time when it is the exhausted one', async () => {
    const windowReset = new Date(Math.ceil(Date.now() / 1000) * 1000 + 900_000)
    const dayReset = new Date(Math.ceil(Date.now() / 1000) * 1000 + 20 * 3600_000)
    server.injectFault({ kind: 'rate-limit', resetAt: windowReset, userDayResetAt: dayReset, path: '/2/tweets' })
    const error = await rejection(x.publish({ credentials: credentialsFrom(server), content: { parts: [{ text: text('day cap') }] }, idempotencyKey: randomUUID() }))
    expect(error.kind).toBe('rate-limited')
    expect(error.resetAt?.toISOString()).toBe(dayReset.toISOString())
  })

  it('connection refused is transient', async () => {
    const closed = await new Promise<number>((resolve) => {
      const probe = net.createServer().listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as net.AddressInfo
        probe.close(() => resolve(port))
      })
    })
    const unreachable = createXConnector({ clientId: 'c', apiBaseUrl: `http://127.0.0.1:${closed}`, uploadBaseUrl: `http://127.0.0.1:${closed}` })
    const error = await rejection(unreachable.publish({ credentials: credentialsFrom(server), content: { parts: [{ text: 'hi' }] }, idempotencyKey: randomUUID() }))
    expect(error.kind).toBe('transient')
    expect(error.detail?.code).toBe('ECONNREFUSED')
  })

  it('a timeout after sending is unknown-outcome', async () => {
    const impatient = xConnectorFor(server, { timeoutMs: 300 })
    server.injectFault({ kind: 'hang', path: '/2/tweets' })
    const error = await rejection(impatient.publish({ credentials: credentialsFrom(server), content: { parts: [{ text: text('hang') }] }, idempotencyKey: randomUUID() }))
    expect(error.kind).toBe('unknown-outcome')
  })

  it('a reset connection before anything applied is still unknown-outcome for a write, and lookup finds nothing', async () => {
    const credentials = credentialsFrom(server)
    const content = { parts: [{ text: text('reset, not applied') }] }
    const since = new Date(Date.now() - 1000)
    server.injectFault({ kind: 'reset', apply: false, path: '/2/tweets' })
    const error = await rejection(x.publish({ credentials, content, idempotencyKey: randomUUID() }))
    expect(error.kind).toBe('unknown-outcome')
    expect(await x.lookup!({ credentials, content, idempotencyKey: randomUUID(), since })).toBeNull()
  })

  it('a thread that stops midway is unknown-outcome with what was published, and lookup finds those parts', async () => {
    const credentials = credentialsFrom(server)
    const content = { parts: [{ text: text('partial 1') }, { text: text('partial 2') }, { text: text('partial 3') }] }
    const since = new Date(Date.now() - 1000)
    // The first part goes through, the second is refused.
    server.injectFault({ kind: 'unavailable', path: '/2/tweets', after: 1 })
    const error = await rejection(x.publish({ credentials, content, idempotencyKey: randomUUID() }))
    expect(error.kind).toBe('unknown-outcome')
    expect(error.partial?.partIds).toHaveLength(1)
    const found = await x.lookup!({ credentials, content, idempotencyKey: randomUUID(), since })
    expect(found).toMatchObject({ remoteId: error.partial!.remoteId, partIds: error.partial!.partIds })
  })

  it('continues a thread after the parts that exist; lookup finds the rest after known parts older than `since` (issue 23)', async () => {
    const credentials = credentialsFrom(server)
    const parts = [{ text: text('resume 1') }, { text: text('resume 2') }, { text: text('resume 3') }]
    const first = await x.publish({ credentials, content: { parts: parts.slice(0, 1) }, idempotencyKey: randomUUID() })
    await new Promise((resolve) => setTimeout(resolve, 5))
    const since = new Date()
    const created = server.counters.postsCreated
    const resumed = await x.publish({ credentials, content: { parts }, idempotencyKey: randomUUID(), resume: { partIds: [first.remoteId] } })
    expect(server.counters.postsCreated).toBe(created + 2)
    expect(resumed).toMatchObject({ remoteId: first.remoteId, url: first.url })
    const posts = resumed.partIds!.map((id) => server.posts.find((p) => p.id === id)!)
    expect(posts.map((p) => p.text)).toEqual(parts.map((p) => p.text))
    expect(posts.map((p) => p.inReplyTo)).toEqual([undefined, first.remoteId, resumed.partIds![1]])
    // Part 1 is older than the window: only the known id lets the lookup find the thread.
    expect(await x.lookup!({ credentials, content: { parts }, idempotencyKey: randomUUID(), since })).toBeNull()
    expect(await x.lookup!({ credentials, content: { parts }, idempotencyKey: randomUUID(), since, known: { partIds: [first.remoteId] } })).toEqual(resumed)
    // Every part known: nothing is sent.
    expect(await x.publish({ credentials, content: { parts }, idempotencyKey: randomUUID(), resume: { partIds: resumed.partIds! } })).toEqual(resumed)
    expect(server.counters.postsCreated).toBe(created + 2)
  })

  it('a continuation that stops again reports every part that exists, the resumed ones first', async () => {
    const credentials = credentialsFrom(server)
    const parts = [{ text: text('again 1') }, { text: text('again 2') }, { text: text('again 3') }]
    const first = await x.publish({ credentials, content: { parts: parts.slice(0, 1) }, idempotencyKey: randomUUID() })
    server.injectFault({ kind: 'unavailable', path: '/2/tweets', after: 1 })
    const error = await rejection(x.publish({ credentials, content: { parts }, idempotencyKey: randomUUID(), resume: { partIds: [first.remoteId] } }))
    expect(error.kind).toBe('unknown-outcome')
    expect(error.partial?.partIds).toHaveLength(2)
    expect(error.partial?.partIds![0]).toBe(first.remoteId)
    // A 503 before anything new was created: the error itself (a 5xx on a create is an unknown outcome,
    // decision 022), no partial (the caller knows its parts).
    server.injectFault({ kind: 'unavailable', path: '/2/tweets' })
    const refused = await rejection(x.publish({ credentials, content: { parts }, idempotencyKey: randomUUID(), resume: { partIds: error.partial!.partIds! } }))
    expect(refused.kind).toBe('unknown-outcome')
    expect(refused.partial).toBeUndefined()
  })

  it('lookup matches text X returns escaped, and whole threads', async () => {
    const credentials = credentialsFrom(server)
    const since = new Date(Date.now() - 1000)
    const content = { parts: [{ text: text('Q&A <live>') }, { text: text('part two & more') }] }
    const published = await x.publish({ credentials, content, idempotencyKey: randomUUID() })
    expect(server.posts.find((p) => p.id === published.remoteId)?.text).toBe(content.parts[0]!.text)
    const found = await x.lookup!({ credentials, content, idempotencyKey: randomUUID(), since })
    expect(found?.partIds).toEqual(published.partIds)
    expect(await x.lookup!({ credentials, content, idempotencyKey: randomUUID(), since: new Date(Date.now() + 60_000) })).toBeNull()
  })

  it('refresh with a revoked family is disconnected; a refused token endpoint is not', async () => {
    const credentials = credentialsFrom(server)
    await x.refreshCredentials!(credentials)
    expect((await rejection(x.refreshCredentials!(credentials))).kind).toBe('disconnected')
    const other = credentialsFrom(server)
    server.injectFault({ kind: 'unavailable', path: '/2/oauth2/token' })
    expect((await rejection(x.refreshCredentials!(other))).kind).toBe('transient')
    server.injectFault({ kind: 'reset', apply: true, path: '/2/oauth2/token' })
    expect((await rejection(x.refreshCredentials!(other))).kind).toBe('unknown-outcome')
  })

  it('an expired access token is auth', async () => {
    const credentials = credentialsFrom(server)
    server.expireAccessTokens()
    const error = await rejection(x.publish({ credentials, content: { parts: [{ text: text('expired') }] }, idempotencyKey: randomUUID() }))
    expect(error.kind).toBe('auth')
    expect(error.detail?.status).toBe(401)
  })

  it('deletes a post, and deleting it again is fine', async () => {
    const credentials = credentialsFrom(server)
    const published = await x.publish({ credentials, content: { parts: [{ text: text('to delete') }] }, idempotencyKey: randomUUID() })
    await x.delete!({ credentials, remoteId: published.remoteId })
    expect(server.posts.some((p) => p.id === published.remoteId)).toBe(false)
    await x.delete!({ credentials, remoteId: published.remoteId })
  })
})

describe.each([
  { engine: 'pglite', enabled: true },
  { engine: 'postgres', enabled: Boolean(process.env.DATABASE_URL) },
])('200 concurrent publishes on one account with an expired access token ($engine)', ({ engine, enabled }) => {
  let server: XApiServer
  let x: Connector
  let handles: Db[]
  let closers: Array<() => Promise<void>>
  const keyring = createKeyring({ currentKey: randomBytes(32).toString('base64'), currentVersion: 1 })

  beforeAll(async () => {
    if (!enabled) return
    server = await startXApiServer()
    x = xConnectorFor(server)
    if (engine === 'pglite') {
      const database = await openDatabase({ dataDir: null })
      handles = [database.db]
      closers = [database.close]
    } else {
      // Two connection pools on one database: two worker processes as far as PostgreSQL can tell.
      const database = await createTestDatabase()
      const second = await openDatabase({ url: database.url!, max: 5, migrate: false })
      handles = [database.db, second.db]
      closers = [second.close, database.close]
    }
  })
  afterAll(async () => {
    for (const close of closers ?? []) await close()
    await server?.close()
  })

  async function connectedAccount(args: { storedExpiresAt: Date }) {
    const db = handles[0]!
    const [workspace] = await db.insert(workspaces).values({ name: 'Acceptance' }).returning()
    const issued = server.issueTokens()
    const account = await connectAccount(db, {
      workspaceId: workspace!.id,
      kind: 'x',
      remoteAccountId: `${server.user.id}-${randomUUID()}`,
      handle: server.user.username,
      credentials: { accessToken: issued.accessToken, refreshToken: issued.refreshToken, expiresAt: args.storedExpiresAt, extra: { userId: server.user.id } },
      keyring,
      clock: systemClock,
    })
    server.expireAccessTokens()
    return { workspaceId: workspace!.id, accountId: account.id }
  }

  async function publishConcurrently(account: { workspaceId: string; accountId: string }) {
    const run = `${randomUUID().slice(0, 6)}`
    return Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        withAccountCredentials({ db: handles[i % handles.length]!, keyring, connector: x, clock: systemClock, ...account }, (credentials) =>
          x.publish({ credentials, content: { parts: [{ text: `post ${i} of run ${run}` }] }, idempotencyKey: randomUUID() }),
        ),
      ),
    )
  }

  it.runIf(enabled)('expired as stored: exactly one refresh, no invalid_grant, 200 posts', async () => {
    const account = await connectedAccount({ storedExpiresAt: new Date(Date.now() - 60_000) })
    const before = { ...server.counters }
    const results = await publishConcurrently(account)
    expect(new Set(results.map((r) => r.remoteId)).size).toBe(200)
    expect(server.counters.refreshCalls - before.refreshCalls).toBe(1)
    expect(server.counters.invalidGrants - before.invalidGrants).toBe(0)
    expect(server.counters.postsCreated - before.postsCreated).toBe(200)
    expect((await getAccount(handles[0]!, account))?.status).toBe('connected')
  })

  it.runIf(enabled)('expired without our knowing (401s): exactly one refresh, no invalid_grant, 200 posts', async () => {
    const account = await connectedAccount({ storedExpiresAt: new Date(Date.now() + 3600_000) })
    const before = { ...server.counters }
    const results = await publishConcurrently(account)
    expect(new Set(results.map((r) => r.remoteId)).size).toBe(200)
    expect(server.counters.unauthorized - before.unauthorized).toBeGreaterThan(0)
    expect(server.counters.refreshCalls - before.refreshCalls).toBe(1)
    expect(server.counters.invalidGrants - before.invalidGrants).toBe(0)
    expect(server.counters.postsCreated - before.postsCreated).toBe(200)
  })
})

describe('X video (chunked upload, tweet_video, processing STATUS)', () => {
  let server: XApiServer
  beforeAll(async () => {
    server = await startXApiServer()
  })
  afterAll(async () => {
    await server.close()
  })
  const text = (label: string) => `${label} ${randomUUID().slice(0, 8)}`

  /** A connector whose waits move a test clock instead of the wall clock, recording each wait. */
  function videoConnector(extra: { mediaProcessingTimeoutMs?: number } = {}) {
    const { clock, sleep, waits } = virtualTime()
    const connector = connectorFactories.x({
      clientId: server.clientId,
      clientSecret: server.clientSecret,
      apiBaseUrl: server.url,
      uploadBaseUrl: server.url,
      authorizeUrl: server.authorizeUrl,
      clock,
      sleep,
      ...extra,
    })
    return { connector, waits }
  }
  const uploads = () => server.requests.filter((r) => r.path === '/1.1/media/upload.json').length

  it('uploads a 1 s MP4 in chunks, waits out pending and in_progress as X asks, then posts it', async () => {
    const { connector, waits } = videoConnector()
    server.scriptVideoProcessing([{ state: 'pending', checkAfterSecs: 3 }, { state: 'in_progress', checkAfterSecs: 2, progressPercent: 40 }, { state: 'succeeded' }])
    const video = makeMp4({ durationSeconds: 1, totalBytes: 1024 * 1024 + 5000 })
    const checks = server.statusChecks()
    const result = await connector.publish({
      credentials: credentialsFrom(server),
      content: { parts: [{ text: text('video'), media: [{ mimeType: 'video/mp4', data: video, altText: 'a clip' }] }] },
      idempotencyKey: randomUUID(),
    })
    expect(waits).toEqual([3000, 2000])
    expect(server.statusChecks() - checks).toBe(2)
    const post = server.posts.find((p) => p.id === result.remoteId)!
    const media = server.media.get(post.mediaIds[0]!)!
    expect(media).toMatchObject({ category: 'tweet_video', mimeType: 'video/mp4', state: 'succeeded', altText: 'a clip' })
    expect(media.chunks).toHaveLength(2)
    expect(Buffer.concat(media.chunks).equals(Buffer.from(video))).toBe(true)
  })

  it("fails as invalid content with X's message when processing fails, and posts nothing", async () => {
    const { connector } = videoConnector()
    server.scriptVideoProcessing([{ state: 'in_progress', checkAfterSecs: 1 }, { state: 'failed', error: { code: 1, name: 'InvalidMedia', message: 'Invalid or Unsupported media, Reason: UnsupportedMedia.' } }])
    const before = server.counters.postsCreated
    const error = await rejection(
      connector.publish({ credentials: credentialsFrom(server), content: { parts: [{ text: text('bad video'), media: [{ mimeType: 'video/mp4', data: makeMp4() }] }] }, idempotencyKey: randomUUID() }),
    )
    expect(error.kind).toBe('invalid-content')
    expect(error.message).toContain('Invalid or Unsupported media, Reason: UnsupportedMedia.')
    expect(server.counters.postsCreated).toBe(before)
  })

  it('gives up as transient when processing outlasts the timeout (by the injected clock), posting nothing', async () => {
    const { connector, waits } = videoConnector({ mediaProcessingTimeoutMs: 60_000 })
    server.scriptVideoProcessing([{ state: 'in_progress', checkAfterSecs: 25 }])
    const before = server.counters.postsCreated
    const error = await rejection(
      connector.publish({ credentials: credentialsFrom(server), content: { parts: [{ text: text('slow video'), media: [{ mimeType: 'video/mp4', data: makeMp4() }] }] }, idempotencyKey: randomUUID() }),
    )
    expect(error.kind).toBe('transient')
    expect(error.detail?.code).toBe('media-processing-timeout')
    expect(waits).toEqual([25_000, 25_000])
    expect(server.counters.postsCreated).toBe(before)
  })

  it('refuses a video too long for X, naming the field and the limit, before any byte is uploaded', async () => {
    const { connector } = videoConnector()
    const content = { parts: [{ text: text('long video'), media: [{ mimeType: 'video/mp4', data: makeMp4({ durationSeconds: 141 }) }] }] }
    expect(connector.validate(content)).toEqual([{ path: 'parts[0].media[0].duration', message: 'Too long for X: 141 s, at most 140 s.' }])
    const before = uploads()
    const error = await rejection(connector.publish({ credentials: credentialsFrom(server), content, idempotencyKey: randomUUID() }))
    expect(error.kind).toBe('invalid-content')
    expect(error.message).toBe('parts[0].media[0].duration: Too long for X: 141 s, at most 140 s.')
    expect(uploads()).toBe(before)
  })

  it('takes one video alone in a post', () => {
    const { connector } = videoConnector()
    const image = { mimeType: 'image/png', data: new Uint8Array(10) }
    expect(connector.validate({ parts: [{ text: 'x', media: [{ mimeType: 'video/quicktime', data: makeMp4({ brand: 'qt  ' }) }, image] }] }).map((p) => p.path)).toEqual(['parts[0].media'])
  })
})
