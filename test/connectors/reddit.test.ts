import { randomUUID } from 'node:crypto'
import { startAuthorization } from '../../connectors/oauth'
import { parseSubredditField, toSubmission } from '../../connectors/reddit/index'
import { connectorFactories } from '../../connectors/registry'
import { ConnectorError, type Connector, type Credentials } from '../../connectors/types'
import { runConnectorContract } from '../contract/connector'
import { closedPort, rejection, tokenNetworkHarness } from '../contract/token-network-harness'
import { startRedditApiServer, type RedditApiServer } from '../servers/reddit-api'

const reddit = (server: RedditApiServer, apiBaseUrl = server.url) =>
  connectorFactories.reddit({ clientId: server.clientId, clientSecret: server.clientSecret, apiBaseUrl, oauthBaseUrl: `${server.url}/api/v1`, userAgent: 'web:trickle-test:1.0 (by /u/trickle_bot)', timeoutMs: 2000 })

function credentialsFrom(server: RedditApiServer, extra: Record<string, string> = {}): Credentials {
  const tokens = server.issueTokens()
  return { accessToken: tokens.accessToken, refreshToken: tokens.refreshToken, expiresAt: new Date(Date.now() + tokens.expiresIn * 1000), extra: { username: server.user.name, subreddit: 'trickletest', ...extra } }
}

// No idempotency key and no refusal of a repeated self post: an unknown outcome goes to lookup (the submitted listing), never a resend.
runConnectorContract('reddit', { refresh: true, refreshRotates: false, idempotent: false, rateLimitResetResolutionMs: 1000 }, async () => {
  const server = await startRedditApiServer()
  return tokenNetworkHarness({ server, connector: reddit(server), credentials: () => credentialsFrom(server) })
})

describe('Reddit connector', () => {
  let server: RedditApiServer
  let connector: Connector
  beforeAll(async () => {
    server = await startRedditApiServer()
    connector = reddit(server)
  })
  afterAll(async () => {
    await server.close()
  })
  const text = (label: string) => `${label} ${randomUUID().slice(0, 8)}`
  const redirectUri = 'http://127.0.0.1:3000/oauth/reddit/callback'

  async function consent(field: string) {
    const { url, pending } = await startAuthorization({ connector, redirectUri, server: field, now: new Date() })
    const callback = new URL((await fetch(url, { redirect: 'manual' })).headers.get('location')!)
    expect(callback.searchParams.get('state')).toBe(pending.state)
    const code = callback.searchParams.get('code')!
    return { url: new URL(url), complete: () => connector.completeAuthorization!({ redirectUri, code, codeVerifier: pending.codeVerifier, context: pending.context }) }
  }

  it('connects the user in one subreddit through OAuth (state, duration=permanent, Basic client authentication) and refreshes with the same refresh token', async () => {
    const { url, complete } = await consent('r/trickletest')
    expect(url.pathname).toBe('/api/v1/authorize')
    expect(Object.fromEntries(url.searchParams)).toMatchObject({ duration: 'permanent', scope: 'identity submit read flair history', response_type: 'code' })
    const started = Date.now()
    const account = await complete()
    expect(account).toMatchObject({ remoteAccountId: 't2_1w72:r/trickletest', handle: 'r/trickletest', displayName: 'u/trickle_bot', credentials: { extra: { username: 'trickle_bot', subreddit: 'trickletest', server: 'r/trickletest' } } })
    expect(account.credentials.refreshToken).toMatch(/\S/)
    expect(account.credentials.expiresAt!.getTime() - started).toBeGreaterThanOrEqual(24 * 3600_000 - 5000)
    // A used code: Reddit answers 200 with `invalid_grant`.
    expect(await rejection(complete())).toMatchObject({ kind: 'auth', detail: { status: 200, code: 'invalid_grant' } })
    const refreshed = await connector.refreshCredentials!(account.credentials)
    expect(refreshed).toMatchObject({ refreshToken: account.credentials.refreshToken, extra: account.credentials.extra })
    expect(await rejection(connector.refreshCredentials!({ ...account.credentials, refreshToken: 'revoked' }))).toMatchObject({ kind: 'disconnected', detail: { status: 400 } })
    // Every call named the configured User-Agent (a generic one is throttled).
    expect([...server.userAgents]).toEqual(['web:trickle-test:1.0 (by /u/trickle_bot)'])
  })

  it('a subreddit that requires flair is connected with one of its flairs, which every post carries', async () => {
    const without = await consent('https://www.reddit.com/r/asktrickle/')
    expect(await rejection(without.complete())).toMatchObject({ kind: 'invalid-content', message: 'r/AskTrickle requires a post flair: connect as "r/AskTrickle: <flair>", one of: Discussion, Question' })
    const wrong = await consent('r/AskTrickle: Memes')
    expect(await rejection(wrong.complete())).toMatchObject({ kind: 'invalid-content', message: 'r/AskTrickle has no post flair "Memes"; its flairs are: Discussion, Question' })
    const account = await (await consent('r/asktrickle: discussion')).complete()
    expect(account).toMatchObject({ handle: 'r/AskTrickle', displayName: 'u/trickle_bot · Discussion', credentials: { extra: { flair: 'Discussion', server: 'r/AskTrickle: Discussion' } } })
    const posted = await connector.publish({ credentials: account.credentials, content: { parts: [{ text: text('A question') }] }, idempotencyKey: randomUUID() })
    expect(server.posts.find((p) => p.name === posted.remoteId)).toMatchObject({ subreddit: 'AskTrickle', flairId: server.subreddits[1]!.flairs[0]!.id, flairText: 'Discussion' })
    // A subreddit that starts requiring flair after connecting: the post is refused, the account says how to fix it.
    const noFlair = { ...account.credentials, extra: { ...account.credentials.extra, flairId: '' } }
    const refused = (await rejection(connector.publish({ credentials: noFlair, content: { parts: [{ text: text('no flair') }] }, idempotencyKey: randomUUID() }))) as ConnectorError
    expect(refused).toMatchObject({ kind: 'invalid-content', detail: { status: 200, code: 'SUBMIT_VALIDATION_FLAIR_REQUIRED' } })
    expect(refused.message).toContain('reconnect the account as "r/AskTrickle: <flair>"')
    // A name that is no subreddit is refused before leaving for Reddit; an unknown one when coming back.
    await expect(startAuthorization({ connector, redirectUri, server: 'r/a b', now: new Date() })).rejects.toThrow(/^server: /)
    expect(await rejection((await consent('r/nosuchplace')).complete())).toMatchObject({ kind: 'invalid-content', message: 'r/nosuchplace does not exist or is private' })
  })

  it('submits the first line as the title, the rest as the body, or as a link post when the rest is one URL', async () => {
    const credentials = credentialsFrom(server)
    const title = text('Release notes')
    const self = await connector.publish({ credentials, idempotencyKey: randomUUID(), content: { parts: [{ text: `${title}\n\nWhat changed:\n- faster` }] } })
    expect(self.url).toBe(`https://www.reddit.com/r/trickletest/comments/${self.remoteId.slice(3)}/`)
    expect(server.posts.find((p) => p.name === self.remoteId)).toMatchObject({ kind: 'self', title, text: 'What changed:\n- faster' })
    const link = await connector.publish({ credentials, idempotencyKey: randomUUID(), content: { parts: [{ text: `${title} (link)\nhttps://example.com/notes` }] } })
    expect(server.posts.find((p) => p.name === link.remoteId)).toMatchObject({ kind: 'link', url: 'https://example.com/notes' })
    const since = new Date(Date.now() - 2000)
    expect(await connector.lookup!({ credentials, content: { parts: [{ text: `${title} (link)\nhttps://example.com/notes` }] }, idempotencyKey: randomUUID(), since })).toMatchObject({ remoteId: link.remoteId })
    // The same title with another body is another post.
    expect(await connector.lookup!({ credentials, content: { parts: [{ text: `${title}\n\nsomething else` }] }, idempotencyKey: randomUUID(), since })).toBeNull()
  })

  it('maps Reddit’s answers into the taxonomy', async () => {
    const credentials = credentialsFrom(server)
    const publish = (extra: Partial<Credentials> = {}, body = text('taxonomy')) => rejection(connector.publish({ credentials: { ...credentials, ...extra }, content: { parts: [{ text: body }] }, idempotencyKey: randomUUID() }))
    expect(await publish({ accessToken: 'expired' })).toMatchObject({ kind: 'auth', detail: { status: 401, code: '401' } })
    expect(await publish({}, 'x'.repeat(301))).toMatchObject({ kind: 'invalid-content', detail: { status: 200, code: 'TOO_LONG' } })
    expect(await publish({ extra: { username: 'trickle_bot', subreddit: 'gone_now' } })).toMatchObject({ kind: 'disconnected', detail: { code: 'SUBREDDIT_NOEXIST' } })
    // Reddit's own "you are doing that too much", inside json.errors.
    server.injectFault({ kind: 'submit-ratelimit', minutes: 5 })
    const slowDown = (await publish()) as ConnectorError
    expect(slowDown).toMatchObject({ kind: 'rate-limited', detail: { code: 'RATELIMIT' } })
    expect(Math.abs(slowDown.resetAt!.getTime() - (Date.now() + 300_000))).toBeLessThan(2000)
    // A generic User-Agent is throttled: rate-limited until the window's reset.
    const generic = connectorFactories.reddit({ clientId: server.clientId, clientSecret: server.clientSecret, apiBaseUrl: server.url, oauthBaseUrl: `${server.url}/api/v1`, userAgent: 'node' })
    const throttled = (await rejection(generic.publish({ credentials, content: { parts: [{ text: 'x' }] }, idempotencyKey: randomUUID() }))) as ConnectorError
    expect(throttled).toMatchObject({ kind: 'rate-limited', detail: { status: 429 } })
    expect(throttled.resetAt!.getTime() - Date.now()).toBeLessThanOrEqual(601_000)
    const closed = reddit(server, `http://127.0.0.1:${await closedPort()}`)
    expect(await rejection(closed.publish({ credentials, content: { parts: [{ text: 'x' }] }, idempotencyKey: randomUUID() }))).toMatchObject({ kind: 'transient', detail: { code: 'ECONNREFUSED' } })
  })

  it('validate: a title of at most 300 characters on the first line, a body of 40,000, no images, no threads; the editor counts the title', () => {
    expect(connector.measure!(`${'t'.repeat(10)}\n${'b'.repeat(500)}`)).toBe(10)
    expect(connector.validate({ parts: [{ text: `${'😀'.repeat(300)}\n${'b'.repeat(40_000)}` }] })).toEqual([])
    expect(connector.validate({ parts: [{ text: `title\n${'b'.repeat(40_001)}` }] }).map((p) => p.message)).toEqual(['The body is too long for Reddit: at most 40000 characters.'])
    expect(connector.validate({ parts: [{ text: '\nbody only' }] }).map((p) => p.message)).toEqual(['A Reddit post needs a title: its first line.'])
    expect(connector.validate({ parts: [{ text: 't', media: [{ mimeType: 'image/png', data: new Uint8Array(1) }] }] }).map((p) => p.path)).toEqual(['parts[0].media'])
    expect(connector.validate({ parts: [{ text: 'a' }, { text: 'b' }] }).map((p) => p.path)).toEqual(['parts'])
    expect(toSubmission('Title\n  https://example.com/x  ')).toEqual({ title: 'Title', kind: 'link', url: 'https://example.com/x' })
    expect(parseSubredditField('reddit.com/r/typescript')).toEqual({ subreddit: 'typescript' })
    expect(parseSubredditField('typescript: Help wanted')).toEqual({ subreddit: 'typescript', flair: 'Help wanted' })
    expect(parseSubredditField('r/no spaces')).toBeNull()
  })
})
