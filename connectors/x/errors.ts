import { ApiPartialResponseError, ApiRequestError, ApiResponseError } from 'twitter-api-v2'
import { ConnectorError } from '../types'

/**
 * What kind of call failed decides what an interrupted request means:
 * - `write` creates or removes something visible (a post, a delete): once sent, a lost answer, a timeout or
 *   any 5xx is an unknown outcome (X may have applied it before failing to answer), and so is a 403
 *   "duplicate content" (X already has this text: most likely our post, from a request whose answer was lost);
 * - `read` has no effect (timelines, profile, media upload before the post): anything lost can be retried;
 * - `refresh` rotates the refresh token: `invalid_grant` means the account must be reconnected;
 * - `authorize` exchanges a code: any rejection means the user has to start again.
 */
export type CallKind = 'write' | 'read' | 'refresh' | 'authorize'

/** Connection failures that prove the request never reached the server. */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH'])

const FIFTEEN_MINUTES = 15 * 60_000

export function toConnectorError(error: unknown, args: { call: CallKind; now: Date }): ConnectorError {
  if (error instanceof ConnectorError) return error
  if (error instanceof ApiResponseError) return fromResponse(error, args)
  if (error instanceof ApiRequestError) {
    // twitter-api-v2 1.29's `requestError` getter reads the wrong option: the socket error is `_options.error`.
    const cause = (error.requestError ?? (error as unknown as { _options?: { error?: Error } })._options?.error) as (Error & { code?: string }) | undefined
    const code = cause?.code
    if (code && NOT_SENT_CODES.has(code)) {
      return new ConnectorError('transient', `X is unreachable (${code})`, { detail: { code }, cause: error })
    }
    return interrupted(error, args.call, code)
  }
  if (error instanceof ApiPartialResponseError) return interrupted(error, args.call, 'partial-response')
  throw error
}

function interrupted(error: Error, call: CallKind, code: string | undefined): ConnectorError {
  const what = `the connection to X broke after the request was sent (${code ?? error.message})`
  if (call === 'read') return new ConnectorError('transient', what, { detail: { code }, cause: error })
  return new ConnectorError('unknown-outcome', what, { detail: { code }, cause: error })
}

function fromResponse(error: ApiResponseError, args: { call: CallKind; now: Date }): ConnectorError {
  const status = error.code
  const data = (error.data ?? {}) as { error?: string; error_description?: string; detail?: string; title?: string; type?: string }
  const code = data.error ?? data.type
  const detail = { status, code }
  const message = `X answered ${status}: ${data.error_description ?? data.detail ?? data.title ?? data.error ?? error.message}`
  if (status === 429) return new ConnectorError('rate-limited', message, { detail, resetAt: resetAt(error, args.now), cause: error })
  if (args.call === 'refresh' && status >= 400 && status < 500 && isInvalidGrant(data)) {
    return new ConnectorError('disconnected', message, { detail, cause: error })
  }
  if (args.call === 'authorize' && status >= 400 && status < 500) return new ConnectorError('auth', message, { detail, cause: error })
  if (status === 401) return new ConnectorError('auth', message, { detail, cause: error })
  if (status === 403) {
    // Missing scopes or an app without write access: the credentials, not the content, are wrong.
    if (/client-forbidden|unsupported-authentication/.test(data.type ?? '')) return new ConnectorError('auth', message, { detail, cause: error })
    // X refuses a text the account already posted. After an earlier attempt whose answer was lost (a 5xx,
    // a timeout), that post is ours: look it up rather than fail a delivery whose post is live.
    if (args.call === 'write' && isDuplicate(data)) {
      return new ConnectorError('unknown-outcome', `X reported the text as a duplicate of a post the account already has, so it may be published already: looking it up (${message})`, {
        detail: { status, code: 'duplicate-content' },
        cause: error,
      })
    }
    return new ConnectorError('invalid-content', message, { detail, cause: error })
  }
  // Any 5xx on a write may come after X applied it (issue 23: X created the post, then answered 503).
  if (status >= 500 && args.call === 'write') return new ConnectorError('unknown-outcome', message, { detail, cause: error })
  if (status >= 500) return new ConnectorError('transient', message, { detail, cause: error })
  if (args.call === 'read') return new ConnectorError('transient', message, { detail, cause: error })
  return new ConnectorError('invalid-content', message, { detail, cause: error })
}

/** X's answer to a post whose text the account already has ("…create a Tweet with duplicate content."). */
function isDuplicate(data: { detail?: string; title?: string }): boolean {
  return /duplicate content/i.test(data.detail ?? '') || /duplicate/i.test(data.title ?? '')
}

/**
 * `invalid_grant` per RFC 6749; X also answers a dead refresh token with `invalid_request` and
 * "Value passed for the token was invalid."
 */
function isInvalidGrant(data: { error?: string; error_description?: string }): boolean {
  if (data.error === 'invalid_grant') return true
  return data.error === 'invalid_request' && /token was invalid/i.test(data.error_description ?? '')
}

/**
 * When the exhausted bucket resets: the 24-hour user or app bucket when it is the empty one, else the
 * 15-minute window; 15 minutes from now when X sends no headers.
 */
function resetAt(error: ApiResponseError, now: Date): Date {
  const headers = error.headers ?? {}
  const header = (name: string) => {
    const value = headers[name]
    return value === undefined ? undefined : Number(Array.isArray(value) ? value[0] : value)
  }
  const candidates: number[] = []
  for (const bucket of ['x-user-limit-24hour', 'x-app-limit-24hour']) {
    const reset = header(`${bucket}-reset`)
    if (reset !== undefined && Number.isFinite(reset) && header(`${bucket}-remaining`) === 0) candidates.push(reset)
  }
  const window = header('x-rate-limit-reset')
  if (candidates.length === 0 && window !== undefined && Number.isFinite(window)) candidates.push(window)
  if (candidates.length === 0) return new Date(now.getTime() + FIFTEEN_MINUTES)
  return new Date(Math.max(...candidates) * 1000)
}
