import {
  ConnectorError,
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
 * A connector for a minimal social network over HTTP, used to drive the publishing pipeline against a
 * loopback server (test/servers/loopback-social.ts) and in local development. Its API:
 *   POST /posts {text, idempotencyKey} → 201 {id, url}
 *     401 → auth · 403 {error: "disconnected"} → disconnected · 400/422 → invalid-content
 *     429 (x-rate-limit-reset: epoch seconds) → rate-limited
 *     408 → transient (the server never received the whole request, so it applied nothing)
 *     5xx, a timeout, a reset, any other failure after the request may have been sent → unknown-outcome
 *     (a 503 can come after the server applied the post: it is looked up, never resent blindly)
 *   GET /posts?since=<ISO instant> → {posts: [{id, url, text, idempotencyKey, createdAt}]}
 *   POST /oauth/token {refreshToken} → {accessToken, refreshToken, expiresIn}
 */
export type LoopbackConnectorConfig = {
  baseUrl: string
  /** Per request; a publish that times out has an unknown outcome. Default 10 s. */
  timeoutMs?: number
  maxLength?: number
}

type RemotePost = { id: string; url?: string; text: string; idempotencyKey?: string; createdAt: string }

export function createLoopbackConnector(config: LoopbackConnectorConfig): Connector<'loopback'> {
  let base: URL
  try {
    base = new URL(config.baseUrl)
  } catch {
    throw new Error(`baseUrl: not a URL: ${config.baseUrl}`)
  }
  const timeoutMs = config.timeoutMs ?? 10_000
  const limits = { maxLength: config.maxLength ?? 280, maxMediaPerPost: 0, maxThreadLength: 1 }

  async function request(path: string, init: { method: string; body?: string; auth?: Credentials; signal?: AbortSignal }): Promise<Response> {
    const signals = [AbortSignal.timeout(timeoutMs), ...(init.signal ? [init.signal] : [])]
    const headers: Record<string, string> = { 'content-type': 'application/json' }
    if (init.auth) headers.authorization = `Bearer ${init.auth.accessToken}`
    try {
      return await fetch(new URL(path, base), { method: init.method, body: init.body, headers, signal: AbortSignal.any(signals) })
    } catch (error) {
      throw networkError(error)
    }
  }

  return {
    kind: 'loopback',
    displayName: 'Loopback',
    limits,
    validate(content: ChannelContent, options?: ValidateOptions): ContentProblem[] {
      const problems: ContentProblem[] = []
      const maxLength = options?.maxLength ?? limits.maxLength
      if (content.parts.length === 0) problems.push({ path: 'parts', message: 'add some text' })
      if (content.parts.length > limits.maxThreadLength) problems.push({ path: 'parts', message: 'threads are not supported' })
      content.parts.forEach((part, i) => {
        if (!part.text.trim()) problems.push({ path: `parts.${i}.text`, message: 'must not be empty' })
        if ([...part.text].length > maxLength) problems.push({ path: `parts.${i}.text`, message: `longer than ${maxLength} characters` })
        if (part.media?.length) problems.push({ path: `parts.${i}.media`, message: 'media are not supported' })
      })
      return problems
    },

    async publish({ credentials, content, idempotencyKey, signal, resume }: PublishArgs): Promise<PublishResult> {
      // Single posts only: a known post is the whole of it.
      const known = resume?.partIds[0]
      if (known) return { remoteId: known, partIds: [known] }
      const problems = this.validate(content)
      if (problems.length > 0) throw new ConnectorError('invalid-content', problems.map((p) => `${p.path}: ${p.message}`).join('; '))
      const response = await request('/posts', {
        method: 'POST',
        body: JSON.stringify({ text: content.parts[0]!.text, idempotencyKey }),
        auth: credentials,
        signal,
      })
      if (response.status === 201 || response.status === 200) {
        const body = (await readJson(response)) as { id?: unknown; url?: unknown }
        if (typeof body.id !== 'string') throw new ConnectorError('unknown-outcome', 'the server accepted the post but returned no id')
        return { remoteId: body.id, url: typeof body.url === 'string' ? body.url : undefined }
      }
      throw await responseError(response)
    },

    async lookup({ credentials, idempotencyKey, since, known }: LookupArgs): Promise<PublishResult | null> {
      const first = known?.partIds[0]
      if (first) return { remoteId: first, partIds: [first] }
      const response = await request(`/posts?since=${encodeURIComponent(since.toISOString())}`, { method: 'GET', auth: credentials })
      if (response.status !== 200) throw await responseError(response, 'transient')
      const body = (await readJson(response)) as { posts?: RemotePost[] }
      const post = body.posts?.find((p) => p.idempotencyKey === idempotencyKey)
      return post ? { remoteId: post.id, url: post.url } : null
    },

    async refreshCredentials(credentials: Credentials): Promise<Credentials> {
      if (!credentials.refreshToken) throw new ConnectorError('disconnected', 'no refresh token')
      const response = await request('/oauth/token', { method: 'POST', body: JSON.stringify({ refreshToken: credentials.refreshToken }) })
      if (response.status === 400 || response.status === 401) throw new ConnectorError('disconnected', 'the refresh token was rejected')
      if (response.status !== 200) throw await responseError(response, 'transient')
      const body = (await readJson(response)) as { accessToken: string; refreshToken?: string; expiresIn?: number }
      return {
        accessToken: body.accessToken,
        refreshToken: body.refreshToken ?? credentials.refreshToken,
        expiresAt: body.expiresIn ? new Date(Date.parse(response.headers.get('date') ?? '') + body.expiresIn * 1000) : undefined,
      }
    },
  }
}

async function readJson(response: Response): Promise<unknown> {
  try {
    return await response.json()
  } catch (error) {
    throw new ConnectorError('unknown-outcome', `unreadable response (${response.status})`, { cause: error })
  }
}

/** Map an HTTP answer to the taxonomy; `otherwise` is what an unexpected status means for this call. */
async function responseError(response: Response, otherwise: 'unknown-outcome' | 'transient' = 'unknown-outcome'): Promise<ConnectorError> {
  const body = (await response.json().catch(() => ({}))) as { error?: string; message?: string }
  const message = body.message ?? body.error ?? `HTTP ${response.status}`
  const detail = { status: response.status, code: body.error }
  switch (response.status) {
    case 401:
      return new ConnectorError('auth', message, { detail })
    case 403:
      return new ConnectorError(body.error === 'disconnected' ? 'disconnected' : 'invalid-content', message, { detail })
    case 400:
    case 422:
      return new ConnectorError('invalid-content', message, { detail })
    case 429: {
      const reset = Number(response.headers.get('x-rate-limit-reset'))
      return new ConnectorError('rate-limited', message, { detail, resetAt: Number.isFinite(reset) && reset > 0 ? new Date(reset * 1000) : undefined })
    }
    case 408:
      return new ConnectorError('transient', message, { detail })
    default:
      return new ConnectorError(otherwise, message, { detail })
  }
}

/** Connection refused means the request never left; anything else may have reached the server. */
function networkError(error: unknown): ConnectorError {
  const cause = (error as { cause?: { code?: string } } | null)?.cause
  if (cause?.code === 'ECONNREFUSED') return new ConnectorError('transient', 'connection refused', { cause: error })
  if ((error as { name?: string } | null)?.name === 'TimeoutError') return new ConnectorError('unknown-outcome', 'timed out waiting for the server', { cause: error })
  return new ConnectorError('unknown-outcome', error instanceof Error ? error.message : String(error), { cause: error })
}
