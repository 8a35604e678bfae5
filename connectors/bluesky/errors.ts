import type { XRPCError } from '@atproto/api'
import { ADDRESS_NOT_ALLOWED, isAddressNotAllowed, SERVER_UNREACHABLE } from '../net-guard'
import { ConnectorError } from '../types'
import { isXrpcError } from './atproto'

/**
 * What kind of call failed decides what an interrupted request means:
 * - `write` creates a post: once sent, a lost answer, a timeout or any 5xx is an unknown outcome;
 * - `read` has no visible effect (getRecord, resolveHandle): retry freely;
 * - `upload` sends an image blob before the post: lost answers are harmless, rejections are the image's fault;
 * - `refresh` rotates the session: a rejected refresh JWT means the account must be reconnected. A lost
 *   answer is safe to retry, because the PDS accepts a used refresh JWT again for a two-hour grace period;
 * - `login` creates a session from an app password: a rejection means the user typed something wrong.
 */
export type CallKind = 'write' | 'read' | 'upload' | 'refresh' | 'login'

/** Connection failures that prove the request never reached the server. */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH'])
const TOKEN_ERRORS = new Set(['ExpiredToken', 'InvalidToken', 'AuthMissing', 'AuthenticationRequired'])
/** The account itself is unusable until a person acts. */
const ACCOUNT_ERRORS = new Set(['AccountTakedown', 'AccountDeactivated', 'RepoTakendown', 'RepoDeactivated', 'RepoSuspended'])
const FIVE_MINUTES = 5 * 60_000

export function toConnectorError(error: unknown, args: { call: CallKind; now: Date; service: string }): ConnectorError {
  if (error instanceof ConnectorError) return error
  if (!isXrpcError(error)) throw error
  const status = error.status as number
  // @atproto/xrpc reports a request that got no (complete, valid) answer with a pseudo-status below 100.
  if (status < 100) return interrupted(error, args)
  const detail = { status, code: error.error }
  const message = `${args.service} answered ${status} ${error.error}: ${error.message}`
  const extra = { detail, cause: error }
  if (status === 429) return new ConnectorError('rate-limited', message, { ...extra, resetAt: resetAt(error, args.now) })
  if (ACCOUNT_ERRORS.has(error.error)) return new ConnectorError('disconnected', message, extra)
  if (args.call === 'refresh' && status >= 400 && status < 500) return new ConnectorError('disconnected', message, extra)
  if (args.call === 'login' && status >= 400 && status < 500) return new ConnectorError('auth', message, extra)
  // The PDS answers an expired access JWT with 400 ExpiredToken, a malformed one with 400/401 InvalidToken.
  if (status === 401 || status === 403 || TOKEN_ERRORS.has(error.error)) return new ConnectorError('auth', message, extra)
  // Any 5xx on a write may come after the PDS (or its proxy's back end) created the post.
  if (status >= 500 && args.call === 'write') return new ConnectorError('unknown-outcome', message, extra)
  if (status >= 500 || args.call === 'read') return new ConnectorError('transient', message, extra)
  return new ConnectorError('invalid-content', message, extra)
}

function interrupted(error: XRPCError, args: { call: CallKind; service: string }): ConnectorError {
  // The SSRF guard refused the server's address before connecting: nothing was sent, and only a person
  // can change the address (ALLOW_PRIVATE_NETWORK_HOSTS is for development and tests).
  if (isAddressNotAllowed(error)) {
    return new ConnectorError('disconnected', `${args.service}: ${ADDRESS_NOT_ALLOWED}`, { detail: { code: 'EADDRNOTALLOWED' }, cause: error })
  }
  const code = socketCode(error)
  if (code && NOT_SENT_CODES.has(code)) {
    return new ConnectorError('transient', `${args.service}: ${SERVER_UNREACHABLE}`, { detail: { code }, cause: error })
  }
  const what = `the connection to ${args.service} broke after the request was sent (${code ?? error.message})`
  return new ConnectorError(args.call === 'write' ? 'unknown-outcome' : 'transient', what, { detail: { code }, cause: error })
}

/** The deepest `code` (ECONNREFUSED, UND_ERR_SOCKET…) or error name (TimeoutError) in the cause chain. */
function socketCode(error: Error): string | undefined {
  let found: string | undefined
  for (let cause: unknown = error.cause; cause instanceof Error || (cause && typeof cause === 'object'); cause = (cause as { cause?: unknown }).cause) {
    const { code, name } = cause as { code?: unknown; name?: unknown }
    if (typeof code === 'string') found = code
    else if (name === 'TimeoutError' || name === 'AbortError') found = name
  }
  return found
}

/** `ratelimit-reset` is in Unix seconds. */
function resetAt(error: XRPCError, now: Date): Date {
  const reset = Number(error.headers?.['ratelimit-reset'])
  return Number.isFinite(reset) && reset > 0 ? new Date(reset * 1000) : new Date(now.getTime() + FIVE_MINUTES)
}
