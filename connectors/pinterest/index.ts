import type { Clock } from '../../domain/clock'
import { basicAuthorization } from '../oauth'
import { requestJson, retryAfter, type CallKind, type HttpAnswer } from '../http-json'
import {
  ConnectorError,
  type AuthorizedAccount,
  type ChannelContent,
  type Connector,
  type ContentProblem,
  type Credentials,
  type LookupArgs,
  type PublishArgs,
  type PublishResult,
  type ValidateOptions,
} from '../types'

/**
 * Pinterest through its REST API v5 (a small typed client over fetch: Pinterest publishes an OpenAPI
 * document but no maintained Node SDK). OAuth 2.0 with `state` (Pinterest documents no PKCE), the
 * client's id and secret as HTTP Basic on `POST /v5/oauth/token`; 30-day access tokens renewed with a
 * 365-day refresh token that does not rotate. Each account is one board of the user, chosen when
 * connecting (`server`: the board's name, URL or id). A pin is one image (base64 in `media_source`), the
 * text as its description and the text's first link as the pin's link. Pinterest takes no idempotency
 * key: the pin's private `note` carries a marker with the delivery's key, which `lookup` finds among the
 * board's recent pins (decision 097).
 */
export type PinterestConnectorConfig = {
  clientId: string
  clientSecret: string
  /** https://api.pinterest.com (a loopback server in tests). */
  apiBaseUrl?: string
  /** https://www.pinterest.com/oauth/: the consent page. */
  authorizeUrl?: string
  scopes?: string[]
  timeoutMs?: number
  clock?: Clock
}

/** 800 characters of description, one image per pin, no threads. */
export const PINTEREST_LIMITS = { maxLength: 800, maxMediaPerPost: 1, maxThreadLength: 1 }
const IMAGE_TYPES = new Set(['image/jpeg', 'image/png'])
/** Pinterest takes images up to 20 MB. */
export const PINTEREST_MAX_IMAGE_BYTES = 20 * 1024 * 1024
const MAX_ALT_TEXT = 500
const MAX_LINK = 2048
const DEFAULTS = {
  apiBaseUrl: 'https://api.pinterest.com',
  authorizeUrl: 'https://www.pinterest.com/oauth/',
  scopes: ['user_accounts:read', 'boards:read', 'pins:read', 'pins:write'],
}
const LOOKUP_PAGES = 4
const PAGE_SIZE = 100

type TokenAnswer = { access_token: string; refresh_token?: string; expires_in?: number; refresh_token_expires_in?: number; scope?: string }
type PinterestError = { code?: number; message?: string }
type Board = { id: string; name: string; owner?: { username?: string } }
type Pin = { id: string; created_at?: string; note?: string | null; board_id?: string; description?: string | null; link?: string | null }

/** The marker in a pin's private note that names the delivery it came from. */
export const pinMarker = (idempotencyKey: string) => `trickle:${idempotencyKey}`
const firstLink = (text: string) => /https?:\/\/[^\s<>"]+/.exec(text)?.[0]?.replace(/[.,;:!?)\]]+$/, '')

export function validatePinterestContent(content: ChannelContent, options: ValidateOptions = {}): ContentProblem[] {
  const maxLength = options.maxLength ?? PINTEREST_LIMITS.maxLength
  const problems: ContentProblem[] = []
  if (content.parts.length === 0) problems.push({ path: 'parts', message: 'Add a pin.' })
  if (content.parts.length > 1) problems.push({ path: 'parts', message: 'A pin is one post: Pinterest has no threads.' })
  content.parts.forEach((part, i) => {
    if (i > 0) return
    const media = part.media ?? []
    const length = [...part.text].length
    if (length > maxLength) problems.push({ path: `parts[${i}].text`, message: `Too long for a pin's description: ${length} characters, at most ${maxLength}.` })
    const link = firstLink(part.text)
    if (link && link.length > MAX_LINK) problems.push({ path: `parts[${i}].text`, message: `The pin's link is at most ${MAX_LINK} characters.` })
    if (media.length === 0) problems.push({ path: `parts[${i}].media`, message: 'A pin needs an image.' })
    if (media.length > 1) problems.push({ path: `parts[${i}].media`, message: 'A pin has one image: remove the others.' })
    media.forEach((item, j) => {
      const path = `parts[${i}].media[${j}]`
      if (!IMAGE_TYPES.has(item.mimeType)) problems.push({ path: `${path}.mimeType`, message: 'Pinterest takes JPEG or PNG images.' })
      if (item.data.byteLength > PINTEREST_MAX_IMAGE_BYTES) problems.push({ path: `${path}.data`, message: 'Images on Pinterest are at most 20 MB.' })
      if ((item.altText?.length ?? 0) > MAX_ALT_TEXT) problems.push({ path: `${path}.altText`, message: `Alt text on Pinterest is at most ${MAX_ALT_TEXT} characters.` })
    })
  })
  return problems
}

export function createPinterestConnector(input: PinterestConnectorConfig): Connector<'pinterest'> {
  if (!input.clientId) throw new Error('pinterest.clientId: required')
  if (!input.clientSecret) throw new Error('pinterest.clientSecret: required')
  const clock = input.clock ?? { now: () => new Date() }
  const apiBaseUrl = (input.apiBaseUrl ?? DEFAULTS.apiBaseUrl).replace(/\/+$/, '')
  const authorizeBase = input.authorizeUrl ?? DEFAULTS.authorizeUrl
  const scopes = input.scopes ?? DEFAULTS.scopes
  const timeoutMs = input.timeoutMs ?? 30_000
  const basic = basicAuthorization(input.clientId, input.clientSecret)

  function toError(kind: CallKind) {
    return ({ status, headers, data }: HttpAnswer): ConnectorError => {
      const body = (data ?? {}) as PinterestError & { error?: string; error_description?: string }
      const code = body.code !== undefined ? String(body.code) : body.error
      const detail = { status, code }
      const message = `Pinterest answered ${status}: ${body.message ?? body.error_description ?? body.error ?? 'no details'}`
      if (status === 429) return new ConnectorError('rate-limited', message, { detail, resetAt: rateLimitReset(headers, clock.now()) })
      if (kind === 'refresh' && status >= 400 && status < 500) return new ConnectorError('disconnected', message, { detail })
      if (kind === 'authorize' && status >= 400 && status < 500) return new ConnectorError('auth', message, { detail })
      if (status === 401) return new ConnectorError('auth', message, { detail })
      // A scope not granted, or a board that is gone or no longer the user's: a person must reconnect.
      if (status === 403 || (status === 404 && kind === 'write')) return new ConnectorError('disconnected', message, { detail })
      if (status >= 500 && kind === 'write') return new ConnectorError('unknown-outcome', message, { detail })
      if (status >= 500 || kind === 'read') return new ConnectorError('transient', message, { detail })
      return new ConnectorError('invalid-content', message, { detail })
    }
  }

  function api<T>(kind: CallKind, token: string, path: string, init: { method?: string; json?: unknown; signal?: AbortSignal } = {}) {
    return requestJson<T>({
      network: 'Pinterest',
      kind,
      url: `${apiBaseUrl}/v5${path}`,
      method: init.method,
      json: init.json,
      signal: init.signal,
      timeoutMs,
      headers: { authorization: `Bearer ${token}` },
      toError: toError(kind),
    })
  }

  async function token(kind: 'authorize' | 'refresh', fields: Record<string, string>): Promise<TokenAnswer> {
    const { data } = await requestJson<TokenAnswer>({
      network: 'Pinterest',
      kind,
      url: `${apiBaseUrl}/v5/oauth/token`,
      method: 'POST',
      headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields),
      timeoutMs,
      toError: toError(kind),
    })
    return data
  }

  function toCredentials(answer: TokenAnswer, extra: Record<string, string> | undefined, previous?: Credentials): Credentials {
    return {
      accessToken: answer.access_token,
      // The refresh token lives 365 days and a refresh returns none (it does not rotate): keep it.
      refreshToken: answer.refresh_token ?? previous?.refreshToken,
      expiresAt: new Date(clock.now().getTime() + (answer.expires_in ?? 30 * 24 * 3600) * 1000),
      extra,
    }
  }

  function boardOf(credentials: Credentials): string {
    const board = credentials.extra?.boardId
    if (!board) throw new ConnectorError('disconnected', 'credentials.extra.boardId: the Pinterest board is missing')
    return board
  }

  async function allBoards(accessToken: string): Promise<Board[]> {
    const boards: Board[] = []
    let bookmark: string | undefined
    for (let page = 0; page < 10; page++) {
      const { data } = await api<{ items?: Board[]; bookmark?: string | null }>('authorize', accessToken, `/boards?page_size=${PAGE_SIZE}${bookmark ? `&bookmark=${encodeURIComponent(bookmark)}` : ''}`)
      boards.push(...(data.items ?? []))
      if (!data.bookmark) break
      bookmark = data.bookmark
    }
    return boards
  }

  const result = (id: string): PublishResult => ({ remoteId: id, url: `https://www.pinterest.com/pin/${id}/`, partIds: [id] })

  return {
    kind: 'pinterest',
    displayName: 'Pinterest',
    limits: PINTEREST_LIMITS,
    validate: validatePinterestContent,
    connectField: {
      label: 'Board',
      description: 'The board pins go to: its name or its address (pinterest.com/you/board). Connect again for another board.',
      placeholder: 'Recipes',
      missing: 'Enter the Pinterest board to pin to, e.g. Recipes',
    },

    async publish({ credentials, content, idempotencyKey, signal, resume }: PublishArgs): Promise<PublishResult> {
      // One pin: a known one is the whole of it.
      const known = resume?.partIds[0]
      if (known) return result(known)
      const board = boardOf(credentials)
      const part = content.parts[0]
      const image = part?.media?.[0]
      if (!part || !image) throw new ConnectorError('invalid-content', 'A pin needs an image.')
      const link = firstLink(part.text)
      const created = await api<Pin>('write', credentials.accessToken, '/pins', {
        method: 'POST',
        signal,
        json: {
          board_id: board,
          description: part.text,
          ...(link ? { link } : {}),
          ...(image.altText ? { alt_text: image.altText } : {}),
          note: pinMarker(idempotencyKey),
          media_source: { source_type: 'image_base64', content_type: image.mimeType, data: Buffer.from(image.data).toString('base64') },
        },
      })
      if (!created.data?.id) throw new ConnectorError('unknown-outcome', 'Pinterest created the pin but named no id', { detail: { status: created.status } })
      return result(created.data.id)
    },

    /** The board the user named: kept with the pending authorization until the callback. */
    async prepareAuthorization({ server }) {
      const board = server?.trim() ?? ''
      if (!board) throw new Error('server: enter the Pinterest board to pin to')
      return { board }
    },

    authorizeUrl({ redirectUri, state }) {
      const url = new URL(authorizeBase)
      url.search = new URLSearchParams({ client_id: input.clientId, redirect_uri: redirectUri, response_type: 'code', scope: scopes.join(','), state }).toString()
      return url.toString()
    },

    async completeAuthorization({ redirectUri, code, context }): Promise<AuthorizedAccount> {
      const answer = await token('authorize', { grant_type: 'authorization_code', code, redirect_uri: redirectUri })
      const me = await api<{ username: string; id?: string; business_name?: string }>('authorize', answer.access_token, '/user_account')
      const boards = await allBoards(answer.access_token)
      const wanted = (context?.board ?? '').trim()
      const slug = /pinterest\.[a-z.]+\/[^/]+\/([^/?#]+)/i.exec(wanted)?.[1]
      const norm = (s: string) => s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '')
      const board = boards.find((b) => b.id === wanted) ?? boards.find((b) => b.name.toLowerCase() === wanted.toLowerCase()) ?? boards.find((b) => norm(b.name) === norm(slug ?? wanted))
      if (!board) {
        const names = boards.map((b) => b.name)
        throw new ConnectorError(
          'invalid-content',
          names.length === 0
            ? `@${me.data.username} has no board on Pinterest yet: make one there, then connect again`
            : `@${me.data.username} has no board "${wanted}"; the boards are: ${names.slice(0, 20).join(', ')}${names.length > 20 ? '…' : ''}`,
          { detail: { code: 'board-not-found' } },
        )
      }
      return {
        credentials: toCredentials(answer, { boardId: board.id, board: board.name, username: me.data.username, server: board.id }),
        remoteAccountId: `board:${board.id}`,
        handle: board.name,
        displayName: `@${me.data.username}`,
      }
    },

    async refreshCredentials(credentials: Credentials): Promise<Credentials> {
      if (!credentials.refreshToken) throw new ConnectorError('disconnected', 'Pinterest gave this account no refresh token: reconnect it')
      const answer = await token('refresh', { grant_type: 'refresh_token', refresh_token: credentials.refreshToken })
      return toCredentials(answer, credentials.extra, credentials)
    },

    /** The board's pins, newest first, back to `since`: the one whose private note carries our marker. */
    async lookup({ credentials, idempotencyKey, since, known }: LookupArgs): Promise<PublishResult | null> {
      const first = known?.partIds[0]
      if (first) return result(first)
      const board = boardOf(credentials)
      const marker = pinMarker(idempotencyKey)
      let bookmark: string | undefined
      for (let page = 0; page < LOOKUP_PAGES; page++) {
        const { data } = await api<{ items?: Pin[]; bookmark?: string | null }>('read', credentials.accessToken, `/boards/${encodeURIComponent(board)}/pins?page_size=${PAGE_SIZE}${bookmark ? `&bookmark=${encodeURIComponent(bookmark)}` : ''}`)
        const items = data.items ?? []
        const found = items.find((p) => p.note?.includes(marker))
        if (found) return result(found.id)
        const oldest = items[items.length - 1]
        if (!data.bookmark || items.length === 0 || (oldest && createdAt(oldest) < since.getTime() - 1000)) return null
        bookmark = data.bookmark
      }
      return null
    },

    async delete({ credentials, remoteId }) {
      await api<unknown>('write', credentials.accessToken, `/pins/${encodeURIComponent(remoteId)}`, { method: 'DELETE' })
    },
  }
}

/** Pinterest writes `created_at` as UTC without a zone ("2026-12-06T16:05:59"). */
function createdAt(pin: Pin): number {
  if (!pin.created_at) return 0
  const at = Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(pin.created_at) ? pin.created_at : `${pin.created_at}Z`)
  return Number.isFinite(at) ? at : 0
}

/**
 * When a 429 ends: `Retry-After` when sent, else `X-RateLimit-Reset` (seconds until the window resets;
 * an epoch when it is that large), else a minute (Pinterest's standard limits are per minute).
 */
function rateLimitReset(headers: Headers, now: Date): Date {
  const after = retryAfter(headers, now)
  if (after) return after
  const reset = Number(headers.get('x-ratelimit-reset'))
  if (Number.isFinite(reset) && reset > 0) return reset > 1e9 ? new Date(reset * 1000) : new Date(Math.floor(now.getTime() / 1000) * 1000 + reset * 1000)
  return new Date(now.getTime() + 60_000)
}
