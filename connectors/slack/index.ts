import { ErrorCode, WebClient, type WebAPICallError } from '@slack/web-api'
import type { Clock } from '../../domain/clock'
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
import { socketCode } from '../http-json'

/**
 * Slack through the official `@slack/web-api` client. An installation is an OAuth v2 app install with the
 * `incoming-webhook` scope, so the user picks the channel on Slack's own consent page; Trickle keeps the
 * bot token and that channel's id. A post is `chat.postMessage`; a thread is replies under the first
 * message (`thread_ts`). Every message carries Slack message metadata (`trickle_post`: the delivery's
 * idempotency key and the part), which `lookup` finds again with `conversations.history` /
 * `conversations.replies`. Text only: images are refused by `validate`.
 */
export type SlackConnectorConfig = {
  clientId: string
  clientSecret: string
  /** Slack's Web API (default https://slack.com/api/; a loopback server in tests). */
  apiUrl?: string
  /** Slack's consent page (default https://slack.com/oauth/v2/authorize). */
  authorizeUrl?: string
  timeoutMs?: number
  clock?: Clock
}

/** chat.postMessage takes up to 40,000 characters of text (longer is `msg_too_long`). */
export const SLACK_LIMITS = { maxLength: 40_000, maxMediaPerPost: 0, maxThreadLength: 25 }
const SCOPES = ['chat:write', 'chat:write.public', 'incoming-webhook', 'channels:history', 'groups:history']
const EVENT_TYPE = 'trickle_post'
const LOOKUP_PAGES = 5
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH'])
const AUTH_ERRORS = new Set(['invalid_auth', 'not_authed', 'token_expired'])
const GONE_ERRORS = new Set(['token_revoked', 'account_inactive', 'channel_not_found', 'not_in_channel', 'is_archived', 'missing_scope', 'team_access_not_granted'])
/** Answers (HTTP 200, `ok: false`) that say the server failed, not the request. */
const SERVER_ERRORS = new Set(['internal_error', 'fatal_error', 'service_unavailable', 'request_timeout'])

type SlackMessage = { ts: string; thread_ts?: string; metadata?: { event_type?: string; event_payload?: { key?: string; part?: number } } }

export function createSlackConnector(config: SlackConnectorConfig): Connector<'slack'> {
  if (!config.clientId) throw new Error('slack.clientId: required')
  const clock = config.clock ?? { now: () => new Date() }
  const apiUrl = config.apiUrl ?? 'https://slack.com/api/'
  const authorizeBase = config.authorizeUrl ?? 'https://slack.com/oauth/v2/authorize'
  const timeout = config.timeoutMs ?? 30_000

  const clientFor = (token?: string) =>
    new WebClient(token, { slackApiUrl: apiUrl, timeout, rejectRateLimitedCalls: true, retryConfig: { retries: 0 }, allowAbsoluteUrls: false, logLevel: undefined })

  async function call<T>(kind: 'write' | 'read' | 'authorize', run: () => Promise<T>): Promise<T> {
    try {
      return await run()
    } catch (error) {
      throw toConnectorError(error, kind, clock.now())
    }
  }

  function session(credentials: Credentials) {
    const channel = credentials.extra?.channelId
    if (!channel) throw new ConnectorError('disconnected', 'credentials.extra.channelId: the Slack channel is missing')
    return { client: clientFor(credentials.accessToken), channel, teamId: credentials.extra?.teamId }
  }

  /** Messages of the channel since `since` (newest first, a few pages), with their metadata. */
  async function history(s: ReturnType<typeof session>, since: Date): Promise<SlackMessage[]> {
    const found: SlackMessage[] = []
    let cursor: string | undefined
    for (let page = 0; page < LOOKUP_PAGES; page++) {
      const answer = await call('read', () =>
        s.client.conversations.history({ channel: s.channel, oldest: (since.getTime() / 1000).toFixed(6), include_all_metadata: true, limit: 200, cursor }),
      )
      found.push(...((answer.messages ?? []) as SlackMessage[]))
      cursor = answer.response_metadata?.next_cursor || undefined
      if (!cursor) break
    }
    return found
  }

  const ours = (m: SlackMessage, key: string, part: number) => m.metadata?.event_type === EVENT_TYPE && m.metadata.event_payload?.key === key && Number(m.metadata.event_payload?.part) === part

  return {
    kind: 'slack',
    displayName: 'Slack',
    limits: SLACK_LIMITS,
    look: { layout: 'message', linkCard: false },

    validate(content: ChannelContent, options: ValidateOptions = {}): ContentProblem[] {
      const maxLength = options.maxLength ?? SLACK_LIMITS.maxLength
      const problems: ContentProblem[] = []
      if (content.parts.length === 0) problems.push({ path: 'parts', message: 'Add at least one post.' })
      if (content.parts.length > SLACK_LIMITS.maxThreadLength) problems.push({ path: 'parts', message: `A thread can have at most ${SLACK_LIMITS.maxThreadLength} posts.` })
      content.parts.forEach((part, i) => {
        if (!part.text.trim()) problems.push({ path: `parts[${i}].text`, message: 'A Slack post needs text.' })
        if (part.text.length > maxLength) problems.push({ path: `parts[${i}].text`, message: `Too long for Slack: ${part.text.length} characters, at most ${maxLength}.` })
        if ((part.media ?? []).length > 0) problems.push({ path: `parts[${i}].media`, message: 'Trickle posts text only to Slack: remove the images.' })
      })
      return problems
    },

    async publish({ credentials, content, idempotencyKey, signal, resume }: PublishArgs): Promise<PublishResult> {
      const s = session(credentials)
      const ids: string[] = (resume?.partIds ?? []).slice(0, content.parts.length)
      const existing = ids.length
      for (const [index, part] of content.parts.entries()) {
        if (index < existing) continue
        try {
          if (signal?.aborted) throw new ConnectorError('transient', `Post ${index + 1} of ${content.parts.length} was not sent: the deadline had passed`, { cause: signal.reason })
          const answer = await call('write', () =>
            s.client.chat.postMessage({
              channel: s.channel,
              text: part.text,
              unfurl_links: false,
              ...(ids.length ? { thread_ts: ids[0] } : {}),
              metadata: { event_type: EVENT_TYPE, event_payload: { key: idempotencyKey, part: index } },
            }),
          )
          ids.push(answer.ts!)
        } catch (error) {
          if (ids.length === existing) throw error
          const cause = error as ConnectorError
          throw new ConnectorError('unknown-outcome', `The thread stopped after ${ids.length} of ${content.parts.length} posts: ${cause.message}`, {
            partial: { remoteId: ids[0]!, partIds: [...ids] },
            detail: cause.detail,
            cause,
          })
        }
      }
      return { remoteId: ids[0]!, partIds: ids }
    },

    authorizeUrl({ redirectUri, state }) {
      const url = new URL(authorizeBase)
      url.search = new URLSearchParams({ client_id: config.clientId, scope: SCOPES.join(','), redirect_uri: redirectUri, state }).toString()
      return url.toString()
    },

    async completeAuthorization({ redirectUri, code }): Promise<AuthorizedAccount> {
      const answer = await call('authorize', () => clientFor().oauth.v2.access({ client_id: config.clientId, client_secret: config.clientSecret, code, redirect_uri: redirectUri }))
      const hook = answer.incoming_webhook
      if (!answer.access_token || !hook?.channel_id || !answer.team?.id) throw new ConnectorError('auth', 'Slack did not name a channel: install the app again and pick the channel to post to')
      return {
        credentials: { accessToken: answer.access_token, extra: { channelId: hook.channel_id, teamId: answer.team.id, botUserId: answer.bot_user_id ?? '' } },
        remoteAccountId: `${answer.team.id}/${hook.channel_id}`,
        handle: hook.channel ?? hook.channel_id,
        displayName: answer.team.name,
      }
    },

    /** Finds each part by its metadata: the first in the channel's history since `since`, the rest among its replies. */
    async lookup({ credentials, content, idempotencyKey, since, known }: LookupArgs): Promise<PublishResult | null> {
      const s = session(credentials)
      const ids = (known?.partIds ?? []).slice(0, content.parts.length)
      if (ids.length === 0) {
        const first = (await history(s, since)).find((m) => ours(m, idempotencyKey, 0))
        if (!first) return null
        ids.push(first.ts)
      }
      if (ids.length < content.parts.length) {
        const answer = await call('read', () => s.client.conversations.replies({ channel: s.channel, ts: ids[0]!, include_all_metadata: true, limit: 200 }))
        const replies = (answer.messages ?? []) as SlackMessage[]
        for (let part = ids.length; part < content.parts.length; part++) {
          const next = replies.find((m) => m.ts !== ids[0] && ours(m, idempotencyKey, part))
          if (!next) break
          ids.push(next.ts)
        }
      }
      return { remoteId: ids[0]!, partIds: ids }
    },

    async delete({ credentials, remoteId }) {
      const s = session(credentials)
      await call('write', () => s.client.chat.delete({ channel: s.channel, ts: remoteId }))
    },
  }
}

function toConnectorError(error: unknown, kind: 'write' | 'read' | 'authorize', now: Date): ConnectorError {
  if (error instanceof ConnectorError) return error
  const slack = error as WebAPICallError
  switch (slack?.code) {
    case ErrorCode.RateLimitedError:
      // Retry-After counts whole seconds from the answer: the reset is that many seconds after the second it came in.
      return new ConnectorError('rate-limited', `Slack is rate limiting: retry after ${slack.retryAfter} s`, {
        detail: { status: 429 },
        resetAt: new Date(Math.floor(now.getTime() / 1000) * 1000 + slack.retryAfter * 1000),
        cause: error,
      })
    case ErrorCode.PlatformError: {
      const code = slack.data.error
      const detail = { status: 200, code }
      const message = `Slack answered ${code}`
      if (kind === 'authorize') return new ConnectorError('auth', message, { detail, cause: error })
      if (code === 'ratelimited') return new ConnectorError('rate-limited', message, { detail, resetAt: new Date(now.getTime() + 60_000), cause: error })
      if (AUTH_ERRORS.has(code)) return new ConnectorError('auth', message, { detail, cause: error })
      if (GONE_ERRORS.has(code)) return new ConnectorError('disconnected', message, { detail, cause: error })
      if (SERVER_ERRORS.has(code)) return new ConnectorError(kind === 'write' ? 'unknown-outcome' : 'transient', message, { detail, cause: error })
      return new ConnectorError(kind === 'read' ? 'transient' : 'invalid-content', message, { detail, cause: error })
    }
    case ErrorCode.HTTPError: {
      const detail = { status: slack.statusCode }
      const message = `Slack answered HTTP ${slack.statusCode} ${slack.statusMessage}`
      if (slack.statusCode >= 500 && kind === 'write') return new ConnectorError('unknown-outcome', message, { detail, cause: error })
      if (kind === 'authorize' && slack.statusCode < 500) return new ConnectorError('auth', message, { detail, cause: error })
      return new ConnectorError(slack.statusCode >= 500 || kind === 'read' ? 'transient' : 'invalid-content', message, { detail, cause: error })
    }
    case ErrorCode.RequestError: {
      const code = socketCode(slack.original)
      if (code && NOT_SENT_CODES.has(code)) return new ConnectorError('transient', `Slack could not be reached (${code})`, { detail: { code }, cause: error })
      return new ConnectorError(kind === 'write' ? 'unknown-outcome' : 'transient', `the connection to Slack broke after the request was sent (${code ?? slack.original?.message})`, { detail: { code }, cause: error })
    }
    default:
      throw error
  }
}

