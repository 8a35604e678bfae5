import { ConnectorError } from './types'

/**
 * A small typed JSON-over-fetch call for connectors without a well-kept client library (LinkedIn,
 * Threads). It settles what a failure of the connection means; what an answer means is the network's
 * (`toError`).
 * - `write` creates something: once sent, a lost answer or a timeout is an unknown outcome;
 * - `read` has no effect, nor has an upload that nothing refers to yet: anything lost can be retried;
 * - `refresh` renews a token; `authorize` exchanges a code.
 */
export type CallKind = 'write' | 'read' | 'refresh' | 'authorize'

/** Connection failures that prove the request never reached the server. */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH'])

export type HttpAnswer = { status: number; headers: Headers; text: string; data: unknown }

export async function requestJson<T>(args: {
  network: string
  kind: CallKind
  url: string
  method?: string
  headers?: Record<string, string>
  body?: BodyInit
  json?: unknown
  timeoutMs: number
  signal?: AbortSignal
  toError(answer: HttpAnswer): ConnectorError
}): Promise<{ data: T; headers: Headers; status: number }> {
  const headers: Record<string, string> = { accept: 'application/json', ...args.headers }
  let body = args.body
  if (args.json !== undefined) {
    headers['content-type'] = 'application/json'
    body = JSON.stringify(args.json)
  }
  const signal = AbortSignal.any([AbortSignal.timeout(args.timeoutMs), ...(args.signal ? [args.signal] : [])])
  const lost = args.kind === 'write' ? 'unknown-outcome' : 'transient'
  let response: Response
  try {
    response = await fetch(args.url, { method: args.method ?? 'GET', headers, body, signal })
  } catch (error) {
    const code = socketCode(error)
    if (code && NOT_SENT_CODES.has(code)) throw new ConnectorError('transient', `${args.network} could not be reached (${code})`, { detail: { code }, cause: error })
    throw new ConnectorError(lost, `the connection to ${args.network} broke after the request was sent (${code ?? (error as Error).name})`, { detail: { code }, cause: error })
  }
  let text: string
  try {
    text = await response.text()
  } catch (error) {
    throw new ConnectorError(lost, `the answer of ${args.network} was cut off`, { detail: { status: response.status }, cause: error })
  }
  const data = parseJson(text)
  if (response.ok) return { data: data as T, headers: response.headers, status: response.status }
  throw args.toError({ status: response.status, headers: response.headers, text, data })
}

function parseJson(text: string): unknown {
  if (!text) return undefined
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

/** The socket error code (or timeout/abort) somewhere in a fetch failure's cause chain. */
export function socketCode(error: unknown): string | undefined {
  let found: string | undefined
  for (let cause: unknown = error; cause && typeof cause === 'object'; cause = (cause as { cause?: unknown }).cause) {
    const { code, name } = cause as { code?: unknown; name?: unknown }
    if (typeof code === 'string') found = code
    else if (name === 'TimeoutError' || name === 'AbortError') found ??= name
  }
  return found
}

/**
 * `Retry-After` as an instant: whole seconds after the second the answer came in, or an HTTP date.
 * Undefined when absent or unreadable.
 */
export function retryAfter(headers: Headers, now: Date): Date | undefined {
  const value = headers.get('retry-after')
  if (!value) return undefined
  if (/^\d+$/.test(value.trim())) return new Date(Math.floor(now.getTime() / 1000) * 1000 + Number(value) * 1000)
  const date = Date.parse(value)
  return Number.isFinite(date) ? new Date(date) : undefined
}

/**
 * Waits `ms` (a connector's default `sleep` while a network processes a video), or rejects with a
 * transient error saying `gaveUpMessage` when `signal` aborts first: nothing was posted.
 */
export function abortableWait(ms: number, signal: AbortSignal | undefined, gaveUpMessage: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const gaveUp = () => new ConnectorError('transient', gaveUpMessage, { cause: signal?.reason })
    if (signal?.aborted) return reject(gaveUp())
    const timer = setTimeout(resolve, ms)
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer)
        reject(gaveUp())
      },
      { once: true },
    )
  })
}
