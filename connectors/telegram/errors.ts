import { GrammyError, HttpError } from 'grammy'
import { ConnectorError } from '../types'
import { socketCode } from '../http-json'

/**
 * What a failed Bot API call means. `write` sends a message (once sent, a lost answer, a timeout or any
 * 5xx leaves the outcome unknown); `read` has no visible effect (getMe, getChat): retry freely.
 */
export type CallKind = 'write' | 'read'

const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH'])
/** 400s that say the chat itself is gone or changed: a person must connect the account again. */
const CHAT_GONE = /chat not found|group chat was upgraded|have no rights to send|not enough rights|CHAT_WRITE_FORBIDDEN|need administrator rights/i

/** An answer that was no Bot API JSON (a proxy's HTML 502 page): carries the status for grammY's HttpError. */
export class NonJsonAnswer extends Error {
  override name = 'NonJsonAnswer'
  constructor(
    readonly status: number,
    readonly statusText: string,
  ) {
    super(`HTTP ${status} ${statusText}`)
  }
}

export function toConnectorError(error: unknown, args: { call: CallKind; now: Date; host: string }): ConnectorError {
  if (error instanceof ConnectorError) return error
  if (error instanceof GrammyError) return fromAnswer(error.error_code, error.description, error.parameters, args, error)
  if (error instanceof HttpError) {
    const inner = error.error
    if (inner instanceof NonJsonAnswer) return fromAnswer(inner.status, inner.message, {}, args, error)
    const code = socketCode(inner)
    if (code && NOT_SENT_CODES.has(code)) return new ConnectorError('transient', `${args.host} could not be reached (${code})`, { detail: { code }, cause: error })
    const what = `the connection to ${args.host} broke after the request was sent (${code ?? (inner as Error | undefined)?.message ?? 'no answer'})`
    return new ConnectorError(args.call === 'write' ? 'unknown-outcome' : 'transient', what, { detail: { code }, cause: error })
  }
  throw error
}

function fromAnswer(
  status: number,
  description: string,
  parameters: { retry_after?: number; migrate_to_chat_id?: number },
  args: { call: CallKind; now: Date; host: string },
  cause: Error,
): ConnectorError {
  const detail = { status, code: description.replace(/^[^:]*:\s*/, '').slice(0, 80) }
  const message = `Telegram answered ${status}: ${description}`
  if (status === 429) {
    // `retry_after` counts whole seconds from the answer: the reset is that many seconds after the second it was sent in.
    const seconds = typeof parameters.retry_after === 'number' ? parameters.retry_after : 30
    return new ConnectorError('rate-limited', message, { detail, resetAt: new Date(Math.floor(args.now.getTime() / 1000) * 1000 + seconds * 1000), cause })
  }
  // 401 Unauthorized: the token was revoked (BotFather /revoke); 404 Not Found: no bot has this token.
  if (status === 401 || status === 404) return new ConnectorError('auth', message, { detail, cause })
  // 403: the bot was removed from the channel or lost its right to post; 400 chat not found / migrated.
  if (status === 403 || (status === 400 && (parameters.migrate_to_chat_id !== undefined || CHAT_GONE.test(description)))) {
    return new ConnectorError('disconnected', message, { detail, cause })
  }
  if (status >= 500 && args.call === 'write') return new ConnectorError('unknown-outcome', message, { detail, cause })
  if (status >= 500 || args.call === 'read') return new ConnectorError('transient', message, { detail, cause })
  return new ConnectorError('invalid-content', message, { detail, cause })
}

