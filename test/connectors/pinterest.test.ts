import { randomUUID } from 'node:crypto'
import { startAuthorization } from '../../connectors/oauth'
import { pinMarker } from '../../connectors/pinterest/index'
import { connectorFactories } from '../../connectors/registry'
import { ConnectorError, type ChannelContent, type Connector, type Credentials } from '../../connectors/types'
import { runConnectorContract } from '../contract/connector'
import { closedPort, rejection, tokenNetworkHarness } from '../contract/token-network-harness'
import { startPinterestApiServer, type PinterestApiServer } from '../servers/pinterest-api'

const pinterest = (server: PinterestApiServer, apiBaseUrl = server.url) =>
  connectorFactories.pinterest({ clientId: server.clientId, clientSecret: server.clientSecret, apiBaseUrl, authorizeUrl: `${server.url}/oauth/`, timeoutMs: 2000 })

function credentialsFrom(server: PinterestApiServer, board = server.boards[0]!): Credentials {
  const tokens = server.issueTokens()
  return { accessToken: tokens.accessToken, refreshToken: tokens.refreshToken, expiresAt: new Date(Date.now() + tokens.expiresIn * 1000), extra: { boardId: board.id, board: board.name, username: server.user.username } }
}

const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3])
const pin = (text: string, media: NonNullable<ChannelContent['parts'][number]['media']> = [{ mimeType: 'image/png', data: PNG, altText: 'a cake' }]): ChannelContent => ({ parts: [{ text, media }] })

// No idempotency key and no refusal of a repeat: an unknown outcome goes to lookup (the note's marker), never a resend.
runConnectorContract('pinterest', { refresh: true, refreshRotates: false, idempotent: false, rateLimitResetResolutionMs: 1000 }, async () => {
  const server = await startPinterestApiServer()
  return { ...tokenNetworkHarness({ server, connector: pinterest(server), credentials: () => credentialsFrom(server) }), content: (label: string) => pin(label) }
})

describe('Pinterest connector', () => {
  let server: PinterestApiServer
  let connector: Connector
  beforeAll(async () => {
    server = await startPinterestApiServer()
    connector = pinterest(server)
  })
  afterAll(async () => {
    await server.close()
  })
  const text = (label: string) => `${label} ${randomUUID().slice(0, 8)}`
  const redirectUri = 'http://127.0.0.1:3000/oauth/pinterest/callback'

  async function consent(board: string) {
    const { url, pending } = await startAuthorization({ connector, redirectUri, server: board, now: new Date() })
    const callback = new URL((await fetch(url, { redirect: 'manual' })).headers.get('location')!)
    expect(callback.searchParams.get('state')).toBe(pending.state)
    return { code: callback.searchParams.get('code')!, pending }
  }

  it('connects one board through OAuth with state (Basic client authentication), and refreshes with a refresh token that does not rotate', async () => {
    const { code, pending } = await consent('https://www.pinterest.com/trickle_pins/garden-ideas/')
    const authorize = new URL((await startAuthorization({ connector, redirectUri, server: 'Recipes', now: new Date() })).url)
    expect(authorize.pathname).toBe('/oauth/')
    expect(authorize.searchParams.get('scope')).toBe('user_accounts:read,boards:read,pins:read,pins:write')
    const started = Date.now()
    const account = await connector.completeAuthorization!({ redirectUri, code, codeVerifier: pending.codeVerifier, context: pending.context })
    const garden = server.boards[1]!
    expect(account).toMatchObject({ remoteAccountId: `board:${garden.id}`, handle: 'Garden ideas', displayName: '@trickle_pins', credentials: { extra: { boardId: garden.id, board: 'Garden ideas', server: garden.id } } })
    expect(account.credentials.expiresAt!.getTime() - started).toBeGreaterThanOrEqual(30 * 24 * 3600_000 - 5000)
    // A code is good once.
    expect(await rejection(connector.completeAuthorization!({ redirectUri, code, codeVerifier: pending.codeVerifier, context: pending.context }))).toMatchObject({ kind: 'auth', detail: { status: 400 } })
    const refreshed = await connector.refreshCredentials!(account.credentials)
    expect(refreshed.refreshToken).toBe(account.credentials.refreshToken)
    expect(refreshed.extra).toEqual(account.credentials.extra)
    expect(await rejection(connector.refreshCredentials!({ ...account.credentials, refreshToken: 'revoked' }))).toMatchObject({ kind: 'disconnected' })
    // The board by name; a board the user does not have names the ones they do.
    const byName = await consent('recipes')
    expect((await connector.completeAuthorization!({ redirectUri, code: byName.code, codeVerifier: byName.pending.codeVerifier, context: byName.pending.context })).handle).toBe('Recipes')
    const missing = await consent('Holidays')
    expect(await rejection(connector.completeAuthorization!({ redirectUri, code: missing.code, codeVerifier: missing.pending.codeVerifier, context: missing.pending.context }))).toMatchObject({
      kind: 'invalid-content',
      message: '@trickle_pins has no board "Holidays"; the boards are: Recipes, Garden ideas',
    })
    // No board named: the form says so before leaving for Pinterest.
    await expect(startAuthorization({ connector, redirectUri, server: ' ', now: new Date() })).rejects.toThrow(/^server: /)
  })

  it('pins the image with the description, the first link, the alt text and the private marker', async () => {
    const credentials = credentialsFrom(server)
    const body = text('Lemon cake, the recipe: https://example.com/lemon-cake.')
    const key = randomUUID()
    const result = await connector.publish({ credentials, idempotencyKey: key, content: pin(body) })
    expect(result).toEqual({ remoteId: expect.any(String), partIds: [result.remoteId], url: `https://www.pinterest.com/pin/${result.remoteId}/` })
    expect(server.pins.find((p) => p.id === result.remoteId)).toMatchObject({ boardId: server.boards[0]!.id, description: body, link: 'https://example.com/lemon-cake', altText: 'a cake', note: pinMarker(key), contentType: 'image/png', bytes: PNG.byteLength })
  })

  it('maps Pinterest’s answers into the taxonomy', async () => {
    const credentials = credentialsFrom(server)
    const publish = (extra: Partial<Credentials> = {}, content = pin(text('taxonomy'))) => rejection(connector.publish({ credentials: { ...credentials, ...extra }, content, idempotencyKey: randomUUID() }))
    expect(await publish({ accessToken: 'expired' })).toMatchObject({ kind: 'auth', detail: { status: 401, code: '2' } })
    // What validate refuses (the editor would have said so) is the content's fault at Pinterest too.
    expect(await publish({}, pin('x'.repeat(801)))).toMatchObject({ kind: 'invalid-content', detail: { status: 400, code: '1' } })
    expect(await publish({}, pin('gif', [{ mimeType: 'image/gif', data: PNG }]))).toMatchObject({ kind: 'invalid-content', detail: { status: 400 } })
    // The board is gone: a person must pick another.
    expect(await publish({ extra: { boardId: '1' } })).toMatchObject({ kind: 'disconnected', detail: { status: 404 } })
    server.injectFault({ kind: 'rate-limit', resetAt: new Date(Date.now() + 42_000) })
    const limited = (await publish()) as ConnectorError
    expect(limited).toMatchObject({ kind: 'rate-limited', detail: { status: 429, code: '8' } })
    expect(Math.abs(limited.resetAt!.getTime() - (Date.now() + 42_000))).toBeLessThan(2000)
    const closed = pinterest(server, `http://127.0.0.1:${await closedPort()}`)
    expect(await rejection(closed.publish({ credentials, content: pin('x'), idempotencyKey: randomUUID() }))).toMatchObject({ kind: 'transient', detail: { code: 'ECONNREFUSED' } })
  })

  it('lookup reads back through the board’s pages, newest first', async () => {
    const credentials = credentialsFrom(server, server.boards[1]!)
    const since = new Date(Date.now() - 1000)
    const key = randomUUID()
    const first = await connector.publish({ credentials, content: pin(text('first')), idempotencyKey: key })
    // 120 newer pins push ours onto the second page.
    for (let i = 0; i < 120; i++) await connector.publish({ credentials, content: pin(text(`filler ${i}`)), idempotencyKey: randomUUID() })
    expect(await connector.lookup!({ credentials, content: pin('first'), idempotencyKey: key, since })).toMatchObject({ remoteId: first.remoteId })
    expect(await connector.lookup!({ credentials, content: pin('never'), idempotencyKey: randomUUID(), since })).toBeNull()
  })

  it('validate: one JPEG or PNG image of at most 20 MB, 800 characters, no threads', () => {
    expect(connector.validate(pin('😀'.repeat(800)))).toEqual([])
    expect(connector.validate({ parts: [{ text: 'no image' }] })).toEqual([{ path: 'parts[0].media', message: 'A pin needs an image.' }])
    expect(connector.validate(pin('big', [{ mimeType: 'image/jpeg', data: new Uint8Array(20 * 1024 * 1024 + 1) }])).map((p) => p.path)).toEqual(['parts[0].media[0].data'])
    expect(connector.validate(pin('webp', [{ mimeType: 'image/webp', data: PNG }])).map((p) => p.path)).toEqual(['parts[0].media[0].mimeType'])
    expect(connector.validate(pin('two', [{ mimeType: 'image/png', data: PNG }, { mimeType: 'image/png', data: PNG }])).map((p) => p.path)).toEqual(['parts[0].media'])
    expect(connector.validate({ parts: [...pin('a').parts, ...pin('b').parts] }).map((p) => p.path)).toEqual(['parts'])
  })
})
