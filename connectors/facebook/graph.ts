import type { Clock } from '../../domain/clock'
import { abortableWait, requestJson, type CallKind, type HttpAnswer } from '../http-json'
import { ConnectorError, type Credentials } from '../types'

/**
 * The Facebook Graph API as Facebook Pages and Instagram (business and creator accounts linked to a Page)
 * share it: one Meta app, one Facebook Login, one versioned base URL (`https://graph.facebook.com/v24.0`),
 * one error body (`{ error: { message, type, code, error_subcode, fbtrace_id } }`). A small typed client
 * over fetch: Meta's own Node SDK (`facebook-nodejs-business-sdk`) is the Marketing API's (decision 100).
 */
export type MetaGraphConfig = {
  appId: string
  appSecret: string
  /** https://graph.facebook.com (a loopback server in tests). */
  apiBaseUrl?: string
  /** The Graph API version every call names (`v24.0`); Meta serves each for about two years. */
  version?: string
  /** https://www.facebook.com/dialog/oauth: Facebook Login's consent page. */
  authorizeUrl?: string
  timeoutMs?: number
  /** Per request that carries a video's bytes (default 5 minutes; the pipeline's deadline bounds it too). */
  uploadTimeoutMs?: number
  clock?: Clock
  /** How the connector waits between reads of a video's processing status (tests pass one that moves their clock). */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>
  /** How long a video may stay in processing (by `clock`) before the publish stops waiting. Default 10 minutes. */
  mediaProcessingTimeoutMs?: number
}

export const META_DEFAULTS = { apiBaseUrl: 'https://graph.facebook.com', version: 'v24.0', authorizeUrl: 'https://www.facebook.com/dialog/oauth' }

/** Graph API throttling: app (4), user (17), page (32), a method's own limit (613), and Instagram's custom (9, with 2207042). */
const RATE_LIMIT_CODES = new Set([4, 17, 32, 613])
const INVALID_TOKEN = 190

export type GraphErrorBody = { error?: { message?: string; type?: string; code?: number; error_subcode?: number; is_transient?: boolean; error_user_title?: string; error_user_msg?: string; fbtrace_id?: string } }

/**
 * What an answer means besides `requestJson`'s kinds: `container` is an invisible step (an unpublished
 * photo, an Instagram media container): sent as a `read` (a lost answer can be retried), refused it is the
 * content's fault, a server fault published nothing.
 */
export type GraphErrorKind = CallKind | 'container'

export type PageAccount = { id: string; name: string; access_token: string; tasks?: string[]; instagram_business_account?: { id: string; username?: string; name?: string } }

export type MetaGraph = ReturnType<typeof createMetaGraph>

export function createMetaGraph(input: MetaGraphConfig & { network: string }) {
  if (!input.appId) throw new Error(`${input.network.toLowerCase()}.appId: required`)
  if (!input.appSecret) throw new Error(`${input.network.toLowerCase()}.appSecret: required`)
  const clock = input.clock ?? { now: () => new Date() }
  const base = `${(input.apiBaseUrl ?? META_DEFAULTS.apiBaseUrl).replace(/\/+$/, '')}/${input.version ?? META_DEFAULTS.version}`
  const authorizeBase = input.authorizeUrl ?? META_DEFAULTS.authorizeUrl
  const timeoutMs = input.timeoutMs ?? 30_000
  const uploadTimeoutMs = input.uploadTimeoutMs ?? 5 * 60_000
  const network = input.network
  const apiOrigin = new URL(input.apiBaseUrl ?? META_DEFAULTS.apiBaseUrl).origin

  function toError(kind: GraphErrorKind) {
    return ({ status, headers, data }: HttpAnswer): ConnectorError => {
      const e = (data as GraphErrorBody | undefined)?.error ?? {}
      const code = e.code
      const detail = { status, code: code !== undefined ? String(code) : undefined }
      const message = `${network} answered ${status}: ${e.error_user_msg ?? e.message ?? 'no details'}`
      if (status === 429 || (code !== undefined && RATE_LIMIT_CODES.has(code)) || (code === 9 && e.error_subcode === 2207042)) {
        return new ConnectorError('rate-limited', message, { detail, resetAt: regainAccessAt(headers, clock.now()) })
      }
      if (kind === 'authorize' && status >= 400 && status < 500) return new ConnectorError('auth', message, { detail })
      if (status === 401 || code === INVALID_TOKEN || code === 102) return new ConnectorError('auth', message, { detail })
      // A permission the user took back (10, 200–299), or a Page they no longer manage: a person must reconnect.
      if (status === 403 || code === 10 || (code !== undefined && code >= 200 && code < 300)) return new ConnectorError('disconnected', message, { detail })
      // Facebook refuses a Page post that repeats a recent one (506): after a lost answer, most likely ours.
      if (code === 506 && kind === 'write') return new ConnectorError('unknown-outcome', message, { detail })
      // 1 (unknown error) and 2 (service unavailable) are Meta's "retry later"; on the create itself they
      // do not prove nothing was applied (decision 100).
      const serverFault = status >= 500 || e.is_transient === true || code === 1 || code === 2
      if (serverFault && kind === 'write') return new ConnectorError('unknown-outcome', message, { detail })
      if (serverFault || kind === 'read' || kind === 'refresh') return new ConnectorError('transient', message, { detail })
      return new ConnectorError('invalid-content', message, { detail })
    }
  }

  /** A Graph call: GET with the parameters in the query, POST form-encoded (or multipart with `form`). */
  function call<T>(kind: CallKind, path: string, args: { token?: string; method?: string; params?: Record<string, string>; form?: FormData; signal?: AbortSignal; errorKind?: GraphErrorKind; upload?: boolean }) {
    const url = new URL(`${base}${path}`)
    const params = new URLSearchParams({ ...args.params, ...(args.token ? { access_token: args.token } : {}) })
    const method = args.method ?? 'GET'
    let body: BodyInit | undefined
    const headers: Record<string, string> = {}
    if (args.form) {
      for (const [k, v] of params) args.form.set(k, v)
      body = args.form
    } else if (method === 'POST') {
      body = params
      headers['content-type'] = 'application/x-www-form-urlencoded'
    } else url.search = params.toString()
    return requestJson<T>({ network, kind, url: url.toString(), method, headers, body, signal: args.signal, timeoutMs: args.upload ? uploadTimeoutMs : timeoutMs, toError: toError(args.errorKind ?? kind) })
  }

  /**
   * A video's bytes to the `uri` a resumable container named (rupload.facebook.com), in one request from
   * offset 0. Only Meta's upload host (or the configured API's own origin) is sent the token.
   */
  async function rupload(args: { uri: string; token: string; data: Uint8Array; signal?: AbortSignal }): Promise<void> {
    let target: URL
    try {
      target = new URL(args.uri)
    } catch {
      throw new ConnectorError('transient', `${network} named no upload address for the video`)
    }
    if (!(target.protocol === 'https:' && target.hostname === 'rupload.facebook.com') && target.origin !== apiOrigin) {
      throw new ConnectorError('transient', `${network} named an unexpected upload address (${target.host}); the video was not sent`)
    }
    await requestJson<{ success?: boolean }>({
      network,
      kind: 'read',
      url: target.toString(),
      method: 'POST',
      headers: { authorization: `OAuth ${args.token}`, offset: '0', file_size: String(args.data.byteLength), 'content-type': 'application/octet-stream' },
      body: new Blob([new Uint8Array(args.data)]),
      signal: args.signal,
      timeoutMs: uploadTimeoutMs,
      toError: toError('container'),
    })
  }

  const sleep = input.sleep ?? ((ms: number, signal?: AbortSignal) => abortableWait(ms, signal, `Gave up waiting for ${network} to process the video; nothing was published`))
  const processingTimeoutMs = input.mediaProcessingTimeoutMs ?? 10 * 60_000

  /**
   * Reads a video's processing state until `check` says it is done (returns a value), waiting 1, 2, 4, then
   * 8 s between reads (`sleep`, which gives up as `transient` when `signal` aborts). Still processing after
   * `mediaProcessingTimeoutMs` by the clock: `onTimeout` decides what that means.
   */
  async function awaitProcessing<T>(args: { signal?: AbortSignal; check: () => Promise<T | undefined>; onTimeout: () => T }): Promise<T> {
    const started = clock.now().getTime()
    for (let read = 0; ; read++) {
      const waitMs = Math.min(8000, 1000 * 2 ** read)
      if (clock.now().getTime() + waitMs - started > processingTimeoutMs) return args.onTimeout()
      await sleep(waitMs, args.signal)
      const done = await args.check()
      if (done !== undefined) return done
    }
  }

  return {
    call,
    clock,
    rupload,
    awaitProcessing,
    processingTimeoutMs,

    authorizeUrl(args: { redirectUri: string; state: string; scopes: string[] }): string {
      const url = new URL(authorizeBase)
      url.search = new URLSearchParams({ client_id: input.appId, redirect_uri: args.redirectUri, state: args.state, response_type: 'code', scope: args.scopes.join(',') }).toString()
      return url.toString()
    },

    /**
     * Facebook Login's code → a short-lived user token → a long-lived one (60 days; `fb_exchange_token`) →
     * the user's Pages with their Page access tokens, which, taken with a long-lived user token, do not expire.
     */
    async pagesOf(args: { redirectUri: string; code: string; fields: string }): Promise<{ user: { id: string; name: string }; pages: PageAccount[] }> {
      const short = await call<{ access_token: string }>('authorize', '/oauth/access_token', {
        params: { client_id: input.appId, client_secret: input.appSecret, redirect_uri: args.redirectUri, code: args.code },
      })
      const long = await call<{ access_token: string }>('authorize', '/oauth/access_token', {
        params: { grant_type: 'fb_exchange_token', client_id: input.appId, client_secret: input.appSecret, fb_exchange_token: short.data.access_token },
      })
      const token = long.data.access_token
      const me = await call<{ id: string; name: string }>('authorize', '/me', { token, params: { fields: 'id,name' } })
      const pages: PageAccount[] = []
      let after: string | undefined
      for (let page = 0; page < 10; page++) {
        const { data } = await call<{ data?: PageAccount[]; paging?: { cursors?: { after?: string }; next?: string } }>('authorize', '/me/accounts', {
          token,
          params: { fields: args.fields, limit: '100', ...(after ? { after } : {}) },
        })
        pages.push(...(data.data ?? []))
        after = data.paging?.next ? data.paging.cursors?.after : undefined
        if (!after) break
      }
      return { user: me.data, pages }
    },
  }
}

/** A page named by its id, its name (any case) or its facebook.com address. */
export function findPage(pages: PageAccount[], wanted: string): PageAccount | undefined {
  const w = wanted.trim()
  const slug = /facebook\.com\/(?:profile\.php\?id=)?([^/?#&]+)/i.exec(w)?.[1]
  const norm = (s: string) => s.toLowerCase().replace(/[^a-z0-9]+/g, '')
  return pages.find((p) => p.id === w || p.id === slug) ?? pages.find((p) => p.name.toLowerCase() === w.toLowerCase()) ?? pages.find((p) => norm(p.name) === norm(slug ?? w))
}

export function noSuchPage(user: { name: string }, pages: PageAccount[], wanted: string, what = 'Page'): ConnectorError {
  const names = pages.map((p) => p.name)
  return new ConnectorError(
    'invalid-content',
    names.length === 0
      ? `${user.name} manages no Facebook Page (or granted Trickle none): create one, or tick it on Facebook's consent page, then connect again`
      : `${user.name} has no ${what} "${wanted}"; the Pages are: ${names.slice(0, 20).join(', ')}${names.length > 20 ? '…' : ''}`,
    { detail: { code: 'page-not-found' } },
  )
}

/** The Page access token and ids kept for an account; a Page token taken from a long-lived user token does not expire. */
export function pageCredentials(page: PageAccount, extra: Record<string, string>): Credentials {
  return { accessToken: page.access_token, extra: { pageId: page.id, page: page.name, server: page.id, ...extra } }
}

/**
 * When a throttled app, Page or user may call again: the largest `estimated_time_to_regain_access`
 * (minutes) of `X-Business-Use-Case-Usage` (or `X-Page-Usage`), else an hour: `X-App-Usage` gives only
 * percentages of a rolling hour.
 */
export function regainAccessAt(headers: Headers, now: Date): Date {
  let minutes = 0
  const read = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(read)
    else if (value && typeof value === 'object') {
      const v = (value as { estimated_time_to_regain_access?: unknown }).estimated_time_to_regain_access
      if (typeof v === 'number') minutes = Math.max(minutes, v)
      for (const inner of Object.values(value)) if (inner && typeof inner === 'object') read(inner)
    }
  }
  for (const name of ['x-business-use-case-usage', 'x-page-usage']) {
    try {
      read(JSON.parse(headers.get(name) ?? 'null'))
    } catch {
      // An unreadable header says nothing.
    }
  }
  return new Date(now.getTime() + (minutes > 0 ? minutes : 60) * 60_000)
}

export const firstLink = (text: string) => /https?:\/\/[^\s<>"]+/.exec(text)?.[0]?.replace(/[.,;:!?)\]]+$/, '')
