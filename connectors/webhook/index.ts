import { createHash } from 'node:crypto'
import { Webhook } from 'standardwebhooks'
import type { Clock } from '../../domain/clock'
import { ADDRESS_NOT_ALLOWED, createNetGuard, isAddressNotAllowed, SERVER_UNREACHABLE } from '../net-guard'
import {
  ConnectorError,
  type AuthorizedAccount,
  type ChannelContent,
  type Connector,
  type ContentProblem,
  type Credentials,
  type PublishArgs,
  type PublishResult,
  type ValidateOptions,
} from '../types'
import { socketCode } from '../http-json'

/**
 * A generic outgoing webhook for any other destination: each post is one signed JSON POST to the URL the
 * user gives, in the Standard Webhooks format (standardwebhooks.com; the `standardwebhooks` library signs
 * it): headers `webhook-id` (stable per delivery and part: the receiver's idempotency key),
 * `webhook-timestamp` (Unix seconds) and `webhook-signature` (`v1,<base64 HMAC-SHA256 of
 * "<id>.<timestamp>.<body>">`). A thread is one POST per part, each naming the one before. The URL is
 * the user's own, so every connection goes through connectors/net-guard.ts (no private addresses,
 * no redirects followed). The receiver may answer `{ "id": "…", "url": "…" }` to name the post it made.
 */
export type WebhookConnectorConfig = {
  /** Development and tests only: allow http:// URLs and loopback/private addresses (ALLOW_PRIVATE_NETWORK_HOSTS). */
  allowPrivateNetworkHosts?: boolean
  timeoutMs?: number
  clock?: Clock
}

export const WEBHOOK_LIMITS = { maxLength: 10_000, maxMediaPerPost: 4, maxThreadLength: 25 }
const MAX_IMAGE_BYTES = 5 * 1024 * 1024
const IMAGE_TYPES = new Set(['image/jpeg', 'image/png', 'image/gif', 'image/webp'])
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH'])
const MIN_SECRET = 24

/** The event a receiver gets for one part of a post; `webhook.test` is sent once when the webhook is connected. */
export type WebhookEvent =
  | {
      type: 'post.published'
      timestamp: string
      data: {
        deliveryId: string
        part: { index: number; count: number; previousId: string | null }
        text: string
        visibility: string
        media: Array<{ mimeType: string; altText: string | null; base64: string }>
      }
    }
  | { type: 'webhook.test'; timestamp: string; data: Record<string, never> }

/** `whsec_<base64>` secrets (Standard Webhooks, Svix) are used as their bytes; any other string as its UTF-8. */
export function signerFor(secret: string): Webhook {
  return secret.startsWith('whsec_') ? new Webhook(secret) : new Webhook(secret, { format: 'raw' })
}

export function validateWebhookContent(content: ChannelContent, maxLength = WEBHOOK_LIMITS.maxLength): ContentProblem[] {
  const problems: ContentProblem[] = []
  if (content.parts.length === 0) problems.push({ path: 'parts', message: 'Add at least one post.' })
  if (content.parts.length > WEBHOOK_LIMITS.maxThreadLength) problems.push({ path: 'parts', message: `A thread can have at most ${WEBHOOK_LIMITS.maxThreadLength} posts.` })
  content.parts.forEach((part, i) => {
    const media = part.media ?? []
    if (!part.text.trim() && media.length === 0) problems.push({ path: `parts[${i}].text`, message: 'A post needs text or an image.' })
    if (part.text.length > maxLength) problems.push({ path: `parts[${i}].text`, message: `Too long for a webhook post: ${part.text.length} characters, at most ${maxLength}.` })
    if (media.length > WEBHOOK_LIMITS.maxMediaPerPost) problems.push({ path: `parts[${i}].media`, message: `At most ${WEBHOOK_LIMITS.maxMediaPerPost} images per webhook post.` })
    media.forEach((item, j) => {
      if (!IMAGE_TYPES.has(item.mimeType)) problems.push({ path: `parts[${i}].media[${j}].mimeType`, message: 'Use JPEG, PNG, GIF or WebP images.' })
      if (item.data.byteLength > MAX_IMAGE_BYTES) problems.push({ path: `parts[${i}].media[${j}].data`, message: 'Images sent to a webhook are at most 5 MB.' })
    })
  })
  return problems
}

export function createWebhookConnector(config: WebhookConnectorConfig = {}): Connector<'webhook'> {
  const clock = config.clock ?? { now: () => new Date() }
  const timeoutMs = config.timeoutMs ?? 15_000
  const guard = createNetGuard({ allowPrivateNetworkHosts: config.allowPrivateNetworkHosts })

  function urlOf(value: string | undefined, field: string): URL {
    let url: URL
    try {
      url = new URL((value ?? '').trim())
    } catch {
      throw new Error(`${field}: enter the full address, https://…`)
    }
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && config.allowPrivateNetworkHosts)) throw new Error(`${field}: the webhook URL must start with https://`)
    if (url.username || url.password) throw new Error(`${field}: put no user name or password in the URL; the secret signs every request`)
    return url
  }

  /** Sends one signed event; the answer's JSON (or nothing). `write` events create something at the receiver. */
  async function deliver(args: { url: URL; secret: string; id: string; event: WebhookEvent; kind: 'write' | 'test'; signal?: AbortSignal }): Promise<{ id?: unknown; url?: unknown }> {
    const body = JSON.stringify(args.event)
    const now = clock.now()
    const headers = {
      'content-type': 'application/json',
      'user-agent': 'Trickle-Webhooks/1',
      'webhook-id': args.id,
      'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
      'webhook-signature': signerFor(args.secret).sign(args.id, now, body),
    }
    const where = args.url.host
    let response: Response
    try {
      response = await guard.fetch(args.url, {
        method: 'POST',
        headers,
        body,
        redirect: 'manual',
        signal: AbortSignal.any([AbortSignal.timeout(timeoutMs), ...(args.signal ? [args.signal] : [])]),
      })
    } catch (error) {
      if (isAddressNotAllowed(error)) throw new ConnectorError('disconnected', `${where}: ${ADDRESS_NOT_ALLOWED}`, { detail: { code: 'EADDRNOTALLOWED' }, cause: error })
      const code = socketCode(error)
      if (code && NOT_SENT_CODES.has(code)) throw new ConnectorError('transient', `${where}: ${SERVER_UNREACHABLE}`, { detail: { code }, cause: error })
      throw new ConnectorError(args.kind === 'write' ? 'unknown-outcome' : 'transient', `the connection to ${where} broke after the request was sent (${code ?? (error as Error).name})`, {
        detail: { code },
        cause: error,
      })
    }
    const text = await response.text().catch(() => '')
    const status = response.status
    const detail = { status }
    const message = `${where} answered ${status}${text && text.length < 200 && !/[<>]/.test(text) ? `: ${text.trim()}` : ''}`
    if (status >= 200 && status < 300) {
      try {
        const parsed = JSON.parse(text) as unknown
        return parsed && typeof parsed === 'object' ? (parsed as { id?: unknown; url?: unknown }) : {}
      } catch {
        return {}
      }
    }
    // Only a 429 says "not now" for sure: a 503 on a create may come after the receiver acted on it.
    if (status === 429) {
      const resetAt = retryAfter(response.headers.get('retry-after'), now) ?? new Date(now.getTime() + 60_000)
      throw new ConnectorError('rate-limited', message, { detail, resetAt })
    }
    if (status >= 300 && status < 400) throw new ConnectorError('disconnected', `${where} redirects (${status}): use the address it redirects to`, { detail })
    // The receiver refused the signature: the secret differs from the one it holds.
    if (status === 401 || status === 403) throw new ConnectorError('auth', message, { detail })
    if (status === 404 || status === 410) throw new ConnectorError('disconnected', message, { detail })
    if (status >= 500 && args.kind === 'write') throw new ConnectorError('unknown-outcome', message, { detail })
    if (status >= 500 || status === 408) throw new ConnectorError('transient', message, { detail })
    throw new ConnectorError('invalid-content', message, { detail })
  }

  function endpoint(credentials: Credentials) {
    try {
      return urlOf(credentials.extra?.url, 'credentials.extra.url')
    } catch (error) {
      throw new ConnectorError('disconnected', (error as Error).message)
    }
  }

  return {
    kind: 'webhook',
    displayName: 'Webhook',
    limits: WEBHOOK_LIMITS,
    look: { layout: 'message', linkCard: false },
    tokenForm: {
      help: 'For anything else: each post is POSTed as JSON to your URL, signed with the secret (Standard Webhooks: webhook-id, webhook-timestamp and webhook-signature headers). A test event is sent when you connect.',
      helpLink: { url: 'https://www.standardwebhooks.com/', label: 'Standard Webhooks' },
      fields: [
        { name: 'url', label: 'Webhook URL', description: 'Where each post is POSTed, https://…', placeholder: 'https://example.com/hooks/trickle' },
        { name: 'secret', label: 'Signing secret', description: `At least ${MIN_SECRET} characters, or a whsec_… secret; your receiver checks the signature with it`, secret: true },
      ],
    },

    validate(content: ChannelContent, options: ValidateOptions = {}): ContentProblem[] {
      return validateWebhookContent(content, options.maxLength)
    },

    async publish({ credentials, content, idempotencyKey, signal, resume }: PublishArgs): Promise<PublishResult> {
      const url = endpoint(credentials)
      const ids: string[] = (resume?.partIds ?? []).slice(0, content.parts.length)
      const existing = ids.length
      let first: string | undefined
      for (const [index, part] of content.parts.entries()) {
        if (index < existing) continue
        try {
          const id = `${idempotencyKey}:${index}`
          const event: WebhookEvent = {
            type: 'post.published',
            timestamp: clock.now().toISOString(),
            data: {
              deliveryId: idempotencyKey,
              part: { index, count: content.parts.length, previousId: ids[ids.length - 1] ?? null },
              text: part.text,
              visibility: content.visibility ?? 'public',
              media: (part.media ?? []).map((m) => ({ mimeType: m.mimeType, altText: m.altText ?? null, base64: Buffer.from(m.data).toString('base64') })),
            },
          }
          const answer = await deliver({ url, secret: credentials.accessToken, id, event, kind: 'write', signal })
          ids.push(typeof answer.id === 'string' && answer.id ? answer.id.slice(0, 200) : id)
          if (ids.length === 1 && typeof answer.url === 'string' && /^https?:\/\//.test(answer.url)) first = answer.url.slice(0, 2000)
        } catch (error) {
          if (ids.length === existing) throw error
          const cause = error as ConnectorError
          throw new ConnectorError('unknown-outcome', `The thread stopped after ${ids.length} of ${content.parts.length} posts: ${cause.message}`, {
            partial: { remoteId: ids[0]!, url: first, partIds: [...ids] },
            detail: cause.detail,
            cause,
          })
        }
      }
      return { remoteId: ids[0]!, url: first, partIds: ids }
    },

    /** Checks the URL and sends a signed `webhook.test` event, which the receiver must answer with a 2xx. */
    async connectWithToken(fields): Promise<AuthorizedAccount> {
      const url = urlOf(fields.url, 'url')
      const secret = (fields.secret ?? '').trim()
      if (secret.length < MIN_SECRET && !/^whsec_[A-Za-z0-9+/=]{16,}$/.test(secret)) throw new Error(`secret: use at least ${MIN_SECRET} characters (or a whsec_… secret)`)
      try {
        signerFor(secret)
      } catch {
        throw new Error('secret: a whsec_ secret is base64 after its prefix')
      }
      const now = clock.now()
      await deliver({ url, secret, id: `test-${now.getTime()}`, event: { type: 'webhook.test', timestamp: now.toISOString(), data: {} }, kind: 'test' }).catch((error: ConnectorError) => {
        const status = error.detail?.status
        if (error.kind === 'auth') throw new Error(`secret: the receiver refused the test event's signature (${status}): give it the same secret`)
        if (status) throw new Error(`url: the receiver answered the test event with ${status}; it must answer 2xx`)
        if (error.kind === 'disconnected' && error.detail?.code === 'EADDRNOTALLOWED') throw error
        throw new Error(`url: ${SERVER_UNREACHABLE} at ${url.host}`)
      })
      const shown = `${url.host}${url.pathname === '/' ? '' : url.pathname}`
      return {
        credentials: { accessToken: secret, extra: { url: url.toString() } },
        // The same URL is the same account (connecting it again replaces its secret).
        remoteAccountId: createHash('sha256').update(url.toString()).digest('hex').slice(0, 32),
        handle: shown.length > 80 ? `${shown.slice(0, 79)}…` : shown,
      }
    },

    close() {
      void guard.close()
    },
  }
}

/** `Retry-After` as seconds or an HTTP date → the instant; null when absent or unreadable. */
function retryAfter(value: string | null, now: Date): Date | null {
  if (!value) return null
  if (/^\d+$/.test(value.trim())) return new Date(Math.floor(now.getTime() / 1000) * 1000 + Number(value) * 1000)
  const at = Date.parse(value)
  return Number.isFinite(at) ? new Date(at) : null
}

