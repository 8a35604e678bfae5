import { randomBytes } from 'node:crypto'
import { faultQueue, type FaultRule } from './faults'
import { fieldsOf, startHttpBase, type LoopbackAnswer, type LoopbackRequest } from './http-base'

/**
 * A loopback server that speaks the parts of Pinterest's API v5 Trickle uses, as
 * developers.pinterest.com/docs/api/v5 describes them: the consent page `GET /oauth/` (which "signs in"
 * the test user and redirects back with `code` and `state`), `POST /v5/oauth/token` (client id and secret
 * as HTTP Basic; `authorization_code` gives a 30-day access token and a 365-day refresh token,
 * `refresh_token` a new access token and no new refresh token), `GET /v5/user_account`, `GET /v5/boards`
 * and `GET /v5/boards/{id}/pins` (newest first, `bookmark` paging), `POST /v5/pins` (201; `media_source`
 * `image_base64` of JPEG or PNG up to 20 MB, a description up to 800 characters, a private `note`),
 * `DELETE /v5/pins/{id}`. Errors are `{ code, message }`: 401 code 2 for a bad token, 400 code 1 for bad
 * parameters, 404 for a board that is not the user's, 429 code 8 with `X-RateLimit-Limit`,
 * `X-RateLimit-Remaining` and `X-RateLimit-Reset` (seconds until the window resets).
 */

export type PinterestFault = { kind: 'rate-limit'; resetAt: Date } | { kind: 'unavailable'; apply?: boolean } | { kind: 'reset'; apply?: boolean }
export type PinterestPin = { id: string; boardId: string; description: string; link: string | null; note: string | null; altText: string | null; contentType: string; bytes: number; createdAt: number }

export type PinterestApiServer = {
  url: string
  clientId: string
  clientSecret: string
  user: { username: string; id: string }
  boards: Array<{ id: string; name: string }>
  pins: PinterestPin[]
  counters: { postsCreated: number; tokenExchanges: number; refreshes: number }
  issueTokens(): { accessToken: string; refreshToken: string; expiresIn: number }
  injectFault(rule: FaultRule<PinterestFault>): void
  close(): Promise<void>
}

const ACCESS_TTL_S = 30 * 24 * 3600
const REFRESH_TTL_S = 365 * 24 * 3600
const MAX_BYTES = 20 * 1024 * 1024
const error = (status: number, code: number, message: string, headers?: Record<string, string>): LoopbackAnswer => ({ status, headers, json: { code, message } })

export async function startPinterestApiServer(): Promise<PinterestApiServer> {
  const clientId = String(1_400_000 + Math.floor(Math.random() * 100_000))
  const clientSecret = randomBytes(20).toString('hex')
  const user = { username: 'trickle_pins', id: '549755885175' }
  const boards = [
    { id: '549755885176', name: 'Recipes' },
    { id: '549755885177', name: 'Garden ideas' },
  ]
  const codes = new Map<string, { redirectUri: string; used: boolean }>()
  const accessTokens = new Map<string, number>()
  const refreshTokens = new Map<string, number>()
  const pins: PinterestPin[] = []
  const counters = { postsCreated: 0, tokenExchanges: 0, refreshes: 0 }
  const faults = faultQueue<PinterestFault>()
  let next = 1_100_000_000_000_000_000n

  function issueTokens(refresh?: string) {
    const accessToken = `pina_${randomBytes(24).toString('base64url')}`
    accessTokens.set(accessToken, Date.now() + ACCESS_TTL_S * 1000)
    const refreshToken = refresh ?? `pinr_${randomBytes(24).toString('base64url')}`
    if (!refresh) refreshTokens.set(refreshToken, Date.now() + REFRESH_TTL_S * 1000)
    return { accessToken, refreshToken, expiresIn: ACCESS_TTL_S }
  }

  function oauth(request: LoopbackRequest): LoopbackAnswer {
    const q = request.url.searchParams
    if (request.method === 'GET') {
      const redirectUri = q.get('redirect_uri') ?? ''
      if (q.get('client_id') !== clientId || q.get('response_type') !== 'code' || !redirectUri || !q.get('scope')) return { status: 400, raw: '<p>Invalid client_id or redirect_uri</p>' }
      const code = randomBytes(16).toString('hex')
      codes.set(code, { redirectUri, used: false })
      const back = new URL(redirectUri)
      back.searchParams.set('code', code)
      back.searchParams.set('state', q.get('state') ?? '')
      return { status: 302, headers: { location: back.toString() } }
    }
    const [id, secret] = Buffer.from(/^Basic (.+)$/.exec(request.headers.authorization ?? '')?.[1] ?? '', 'base64').toString().split(':')
    if (id !== clientId || secret !== clientSecret) return error(401, 2, 'Authentication failed.')
    const f = fieldsOf(request)
    if (f.grant_type === 'authorization_code') {
      counters.tokenExchanges++
      const pending = codes.get(f.code ?? '')
      if (!pending || pending.used || pending.redirectUri !== f.redirect_uri) return error(400, 1, 'Invalid authorization code or redirect_uri.')
      pending.used = true
      const t = issueTokens()
      return {
        status: 200,
        json: { access_token: t.accessToken, refresh_token: t.refreshToken, response_type: 'authorization_code', token_type: 'bearer', expires_in: ACCESS_TTL_S, refresh_token_expires_in: REFRESH_TTL_S, scope: q.get('scope') ?? 'user_accounts:read,boards:read,pins:read,pins:write' },
      }
    }
    if (f.grant_type === 'refresh_token') {
      counters.refreshes++
      const expires = refreshTokens.get(f.refresh_token ?? '')
      if (!expires || expires < Date.now()) return error(400, 1, 'Invalid refresh token.')
      const t = issueTokens(f.refresh_token)
      return { status: 200, json: { access_token: t.accessToken, response_type: 'refresh_token', token_type: 'bearer', expires_in: ACCESS_TTL_S, scope: 'user_accounts:read,boards:read,pins:read,pins:write' } }
    }
    return error(400, 1, 'Invalid grant_type.')
  }

  function page<T>(items: T[], request: LoopbackRequest) {
    const size = Math.min(250, Number(request.url.searchParams.get('page_size') ?? 25))
    const from = Number(request.url.searchParams.get('bookmark') ?? 0)
    const slice = items.slice(from, from + size)
    return { items: slice, bookmark: from + size < items.length ? String(from + size) : null }
  }

  const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, '')
  const pinJson = (p: PinterestPin) => ({ id: p.id, created_at: iso(p.createdAt), board_id: p.boardId, description: p.description, link: p.link, note: p.note, alt_text: p.altText, media: { media_type: 'image' } })

  function createPin(body: Record<string, unknown>): LoopbackAnswer {
    const board = boards.find((b) => b.id === body.board_id)
    if (!board) return error(404, 3, 'Board not found.')
    const source = (body.media_source ?? {}) as { source_type?: string; content_type?: string; data?: string }
    if (source.source_type !== 'image_base64') return error(400, 1, 'Invalid parameters: media_source.source_type')
    if (source.content_type !== 'image/jpeg' && source.content_type !== 'image/png') return error(400, 1, 'Invalid parameters: media_source.content_type must be image/jpeg or image/png')
    const bytes = Buffer.from(source.data ?? '', 'base64')
    if (bytes.length === 0 || bytes.length > MAX_BYTES) return error(400, 1, 'Invalid parameters: the image is empty or larger than 20 MB')
    const description = typeof body.description === 'string' ? body.description : ''
    if ([...description].length > 800) return error(400, 1, 'Invalid parameters: description is longer than 800 characters')
    const pin: PinterestPin = {
      id: String(next++),
      boardId: board.id,
      description,
      link: typeof body.link === 'string' ? body.link : null,
      note: typeof body.note === 'string' ? body.note : null,
      altText: typeof body.alt_text === 'string' ? body.alt_text : null,
      contentType: source.content_type,
      bytes: bytes.length,
      createdAt: Date.now(),
    }
    pins.push(pin)
    counters.postsCreated++
    return { status: 201, json: pinJson(pin) }
  }

  function handle(request: LoopbackRequest): LoopbackAnswer {
    const path = request.url.pathname
    if ((request.method === 'GET' && path === '/oauth/') || (request.method === 'POST' && path === '/v5/oauth/token')) return oauth(request)
    const expires = accessTokens.get(request.bearer ?? '')
    if (!expires || expires < Date.now()) return error(401, 2, 'Authentication failed.')
    if (request.method === 'GET' && path === '/v5/user_account') return { status: 200, json: { account_type: 'BUSINESS', id: user.id, username: user.username, profile_image: 'https://i.pinimg.com/75x75/x.jpg', website_url: null } }
    if (request.method === 'GET' && path === '/v5/boards') return { status: 200, json: page(boards.map((b) => ({ id: b.id, name: b.name, privacy: 'PUBLIC', owner: { username: user.username } })), request) }
    const boardPins = /^\/v5\/boards\/([^/]+)\/pins$/.exec(path)
    if (request.method === 'GET' && boardPins) {
      if (!boards.some((b) => b.id === boardPins[1])) return error(404, 3, 'Board not found.')
      const mine = pins.filter((p) => p.boardId === boardPins[1]).sort((a, b) => b.createdAt - a.createdAt)
      return { status: 200, json: page(mine.map(pinJson), request) }
    }
    if (request.method === 'POST' && path === '/v5/pins') {
      const fault = faults.take('POST', 'pins')
      if (fault?.kind === 'rate-limit') {
        const seconds = Math.max(1, Math.round((fault.resetAt.getTime() - Date.now()) / 1000))
        return error(429, 8, 'You have exceeded your rate limit. Try again later.', { 'x-ratelimit-limit': '10, 10;w=1;name="pins_write"', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(seconds) })
      }
      const unavailable = error(503, 9, 'Service unavailable. Please try again later.')
      if (fault && !fault.apply) return fault.kind === 'reset' ? 'reset' : unavailable
      let body: Record<string, unknown>
      try {
        body = JSON.parse(request.body.toString('utf8')) as Record<string, unknown>
      } catch {
        return error(400, 1, 'Invalid JSON body.')
      }
      const answer = createPin(body)
      if (fault?.kind === 'reset') return 'reset'
      if (fault?.kind === 'unavailable') return unavailable
      return answer
    }
    const one = /^\/v5\/pins\/([^/]+)$/.exec(path)
    if (request.method === 'DELETE' && one) {
      const index = pins.findIndex((p) => p.id === one[1])
      if (index < 0) return error(404, 50, 'Pin not found.')
      pins.splice(index, 1)
      return { status: 204 }
    }
    return error(404, 404, `Not found: ${request.method} ${path}`)
  }

  const http = await startHttpBase(handle)
  return {
    url: http.url,
    clientId,
    clientSecret,
    user,
    boards,
    pins,
    counters,
    issueTokens: () => issueTokens(),
    injectFault: (rule) => faults.inject(rule),
    close: () => http.close(),
  }
}
