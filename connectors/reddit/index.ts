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
 * Reddit through its OAuth API (a small typed client over fetch: snoowrap, the Node wrapper, is
 * archived and unmaintained). OAuth 2.0 for a "web app": `state`, `duration=permanent` for a refresh
 * token, the client's id and secret as HTTP Basic on `/api/v1/access_token` (Reddit documents no PKCE).
 * Each account is the user in one subreddit, named when connecting (`server`: `r/name`, and the post
 * flair after a colon where the subreddit requires one, resolved once against its flair list). A post is
 * one submission: the text's first line is the title; the rest its body, or a link post when the rest
 * is a single URL. Reddit takes no idempotency key; `lookup` reads the user's submitted listing for the
 * same title and body in that subreddit since the claim (decision 097).
 */
export type RedditConnectorConfig = {
  clientId: string
  clientSecret: string
  /** https://oauth.reddit.com (a loopback server in tests). */
  apiBaseUrl?: string
  /** https://www.reddit.com/api/v1: the consent page (`/authorize`) and the token endpoint (`/access_token`). */
  oauthBaseUrl?: string
  /** Reddit asks for a unique, descriptive User-Agent; generic ones are throttled hard. */
  userAgent?: string
  scopes?: string[]
  timeoutMs?: number
  clock?: Clock
  /** How long after a submit the user's submitted listing is trusted to show it (Reddit caches listings). Default 10 minutes. */
  lookupSettleMs?: number
}

/** The title (the text's first line) takes 300 characters: what the editor counts; the body 40,000. */
export const REDDIT_LIMITS = { maxLength: 300, maxMediaPerPost: 0, maxThreadLength: 1 }
const MAX_BODY = 40_000
const DEFAULTS = {
  apiBaseUrl: 'https://oauth.reddit.com',
  oauthBaseUrl: 'https://www.reddit.com/api/v1',
  userAgent: 'web:trickle:1.0 (self-hosted drip scheduler)',
  scopes: ['identity', 'submit', 'read', 'flair', 'history'],
}
const LOOKUP_POSTS = 100
/** Reddit serves listings from a cache: an unknown outcome is looked up this long after the submit, not sooner (decision 097). */
const LISTING_SETTLE_MS = 10 * 60_000
/** `json.errors` codes that mean the account can no longer post where it points: a person must reconnect. */
const GONE = new Set(['SUBREDDIT_NOEXIST', 'SUBREDDIT_NOTALLOWED', 'SUBREDDIT_REQUIRED', 'BAD_SR_NAME', 'USER_REQUIRED', 'BANNED_FROM_SUBREDDIT'])

type TokenAnswer = { access_token?: string; refresh_token?: string; expires_in?: number; scope?: string; error?: string; message?: string }
type SubmitAnswer = { json?: { errors?: Array<[string, string, string?]>; ratelimit?: number; data?: { id?: string; name?: string; url?: string } } }
type Flair = { id: string; text: string; text_editable?: boolean }
type Listing<T> = { data?: { children?: Array<{ kind: string; data: T }>; after?: string | null } }
type Submission = { id: string; name: string; title: string; selftext?: string; url?: string; is_self?: boolean; subreddit: string; created_utc: number; permalink: string; author?: string }

/** A submission as Reddit takes it: the first line is the title; the rest the body, or a link when it is one URL. */
export function toSubmission(text: string): { title: string; kind: 'self'; text: string } | { title: string; kind: 'link'; url: string } {
  const [first = '', ...rest] = text.split('\n')
  const title = first.trim()
  const body = rest.join('\n').trim()
  if (/^https?:\/\/\S+$/.test(body)) return { title, kind: 'link', url: body }
  return { title, kind: 'self', text: body }
}

/** `r/name` and an optional flair after a colon (`r/typescript: Discussion`), as typed when connecting. */
export function parseSubredditField(value: string): { subreddit: string; flair?: string } | null {
  const match = /^\s*(?:(?:https?:\/\/)?(?:www\.|old\.)?(?:reddit\.com)?\/?r\/)?([A-Za-z0-9][A-Za-z0-9_]{1,20})\/?\s*(?::\s*(.*\S))?\s*$/.exec(value)
  if (!match) return null
  return { subreddit: match[1]!, ...(match[2] ? { flair: match[2] } : {}) }
}

export function validateRedditContent(content: ChannelContent, options: ValidateOptions = {}): ContentProblem[] {
  const maxLength = options.maxLength ?? REDDIT_LIMITS.maxLength
  const problems: ContentProblem[] = []
  if (content.parts.length === 0) problems.push({ path: 'parts', message: 'Add a post.' })
  if (content.parts.length > 1) problems.push({ path: 'parts', message: 'A Reddit post is one submission: put the text under the title (the first line).' })
  const part = content.parts[0]
  if (!part) return problems
  const submission = toSubmission(part.text)
  const length = [...submission.title].length
  if (!submission.title) problems.push({ path: 'parts[0].text', message: 'A Reddit post needs a title: its first line.' })
  if (length > maxLength) problems.push({ path: 'parts[0].text', message: `The title (the first line) is too long for Reddit: ${length} characters, at most ${maxLength}.` })
  if (submission.kind === 'self' && [...submission.text].length > MAX_BODY) problems.push({ path: 'parts[0].text', message: `The body is too long for Reddit: at most ${MAX_BODY} characters.` })
  if ((part.media ?? []).length > 0) problems.push({ path: 'parts[0].media', message: 'Trickle posts text and links to Reddit: remove the images.' })
  return problems
}

export function createRedditConnector(input: RedditConnectorConfig): Connector<'reddit'> {
  if (!input.clientId) throw new Error('reddit.clientId: required')
  if (!input.clientSecret) throw new Error('reddit.clientSecret: required')
  const clock = input.clock ?? { now: () => new Date() }
  const apiBaseUrl = (input.apiBaseUrl ?? DEFAULTS.apiBaseUrl).replace(/\/+$/, '')
  const oauthBaseUrl = (input.oauthBaseUrl ?? DEFAULTS.oauthBaseUrl).replace(/\/+$/, '')
  const userAgent = input.userAgent ?? DEFAULTS.userAgent
  const scopes = input.scopes ?? DEFAULTS.scopes
  const timeoutMs = input.timeoutMs ?? 30_000
  const basic = basicAuthorization(input.clientId, input.clientSecret)

  function toError(kind: CallKind) {
    return ({ status, headers, data }: HttpAnswer): ConnectorError => {
      const body = (data ?? {}) as { message?: string; error?: string | number; reason?: string }
      const code = body.reason ?? (body.error !== undefined ? String(body.error) : undefined)
      const detail = { status, code }
      const message = `Reddit answered ${status}: ${body.message ?? body.reason ?? body.error ?? 'no details'}`
      if (status === 429) return new ConnectorError('rate-limited', message, { detail, resetAt: rateLimitReset(headers, clock.now()) })
      if (kind === 'refresh' && status >= 400 && status < 500) return new ConnectorError('disconnected', message, { detail })
      if (kind === 'authorize' && status >= 400 && status < 500) return new ConnectorError('auth', message, { detail })
      if (status === 401) return new ConnectorError('auth', message, { detail })
      // A scope not granted, a private or banned subreddit, a suspended user: a person must reconnect.
      if (status === 403) return new ConnectorError('disconnected', message, { detail })
      if (status >= 500 && kind === 'write') return new ConnectorError('unknown-outcome', message, { detail })
      if (status >= 500 || kind === 'read') return new ConnectorError('transient', message, { detail })
      return new ConnectorError('invalid-content', message, { detail })
    }
  }

  function api<T>(kind: CallKind, token: string, path: string, init: { form?: Record<string, string>; signal?: AbortSignal } = {}) {
    return requestJson<T>({
      network: 'Reddit',
      kind,
      url: `${apiBaseUrl}${path}${path.includes('?') ? '&' : '?'}raw_json=1`,
      method: init.form ? 'POST' : 'GET',
      headers: { authorization: `bearer ${token}`, 'user-agent': userAgent, ...(init.form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
      body: init.form ? new URLSearchParams(init.form) : undefined,
      signal: init.signal,
      timeoutMs,
      toError: toError(kind),
    })
  }

  async function token(kind: 'authorize' | 'refresh', fields: Record<string, string>): Promise<TokenAnswer & { access_token: string }> {
    const { data, status } = await requestJson<TokenAnswer>({
      network: 'Reddit',
      kind,
      url: `${oauthBaseUrl}/access_token`,
      method: 'POST',
      headers: { authorization: basic, 'user-agent': userAgent, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields),
      timeoutMs,
      toError: toError(kind),
    })
    // Reddit answers a used or unknown code with 200 and `{ "error": "invalid_grant" }`.
    if (!data?.access_token) {
      const message = `Reddit refused the ${kind === 'refresh' ? 'refresh token' : 'authorization code'}: ${data?.error ?? 'no token'}`
      throw new ConnectorError(kind === 'refresh' ? 'disconnected' : 'auth', message, { detail: { status, code: data?.error } })
    }
    return data as TokenAnswer & { access_token: string }
  }

  function toCredentials(answer: TokenAnswer & { access_token: string }, extra: Record<string, string> | undefined, previous?: Credentials): Credentials {
    return {
      accessToken: answer.access_token,
      // A permanent refresh token keeps working after a refresh (Reddit may hand back the same one).
      refreshToken: answer.refresh_token ?? previous?.refreshToken,
      expiresAt: new Date(clock.now().getTime() + (answer.expires_in ?? 86_400) * 1000),
      extra,
    }
  }

  function target(credentials: Credentials): { subreddit: string; username: string } {
    const subreddit = credentials.extra?.subreddit
    const username = credentials.extra?.username
    if (!subreddit || !username) throw new ConnectorError('disconnected', 'credentials.extra.subreddit: the Reddit subreddit or user is missing')
    return { subreddit, username }
  }

  /** `json.errors` of a 200 answer: nothing was created. */
  function submitError(answer: SubmitAnswer, status: number, subreddit: string): ConnectorError | null {
    const errors = answer.json?.errors ?? []
    if (errors.length === 0) return null
    const [code, text, field] = errors[0]!
    const detail = { status, code }
    const message = `Reddit refused the post: ${errors.map(([c, t]) => `${c}: ${t}`).join('; ')}`
    if (code === 'RATELIMIT') {
      const seconds = answer.json?.ratelimit ?? minutesIn(text) * 60
      return new ConnectorError('rate-limited', message, { detail, resetAt: new Date(clock.now().getTime() + Math.ceil(seconds) * 1000) })
    }
    if (GONE.has(code)) return new ConnectorError('disconnected', `${message} (r/${subreddit}: reconnect the account to another subreddit)`, { detail })
    if (code === 'SUBMIT_VALIDATION_FLAIR_REQUIRED' || field === 'flair') {
      return new ConnectorError('invalid-content', `${message}. r/${subreddit} requires a post flair: reconnect the account as "r/${subreddit}: <flair>".`, { detail })
    }
    return new ConnectorError('invalid-content', message, { detail })
  }

  async function flairs(accessToken: string, subreddit: string): Promise<Flair[]> {
    const { data } = await api<Flair[]>('authorize', accessToken, `/r/${subreddit}/api/link_flair_v2`)
    return Array.isArray(data) ? data : []
  }

  const result = (post: { name: string; url?: string }): PublishResult => ({ remoteId: post.name, partIds: [post.name], ...(post.url ? { url: post.url } : {}) })

  return {
    kind: 'reddit',
    displayName: 'Reddit',
    limits: REDDIT_LIMITS,
    lookupSettleMs: input.lookupSettleMs ?? LISTING_SETTLE_MS,
    validate: validateRedditContent,
    measure: (text) => [...toSubmission(text).title].length,
    connectField: {
      label: 'Subreddit',
      description: 'Where posts go, e.g. r/typescript; add the post flair after a colon where the subreddit requires one: r/typescript: Discussion. Connect again for another subreddit.',
      placeholder: 'r/typescript',
      missing: 'Enter the subreddit to post to, e.g. r/typescript',
    },

    async publish({ credentials, content, signal, resume }: PublishArgs): Promise<PublishResult> {
      const known = resume?.partIds[0]
      if (known) return { remoteId: known, partIds: [known] }
      const { subreddit } = target(credentials)
      const submission = toSubmission(content.parts[0]?.text ?? '')
      const flairId = credentials.extra?.flairId
      const form: Record<string, string> = {
        api_type: 'json',
        sr: subreddit,
        kind: submission.kind,
        title: submission.title,
        ...(submission.kind === 'link' ? { url: submission.url, resubmit: 'true' } : { text: submission.text }),
        ...(flairId ? { flair_id: flairId, flair_text: credentials.extra?.flair ?? '' } : {}),
        sendreplies: 'true',
      }
      const { data, status } = await api<SubmitAnswer>('write', credentials.accessToken, '/api/submit', { form, signal })
      const refused = submitError(data ?? {}, status, subreddit)
      if (refused) throw refused
      const post = data?.json?.data
      if (!post?.name) throw new ConnectorError('unknown-outcome', 'Reddit accepted the post but named no id', { detail: { status } })
      return result({ name: post.name, url: post.url })
    },

    async prepareAuthorization({ server }) {
      const parsed = parseSubredditField(server ?? '')
      if (!parsed) throw new Error('server: enter a subreddit such as r/typescript, and its flair after a colon if it requires one')
      return { subreddit: parsed.subreddit, ...(parsed.flair ? { flair: parsed.flair } : {}) }
    },

    authorizeUrl({ redirectUri, state }) {
      const url = new URL(`${oauthBaseUrl}/authorize`)
      url.search = new URLSearchParams({ client_id: input.clientId, response_type: 'code', state, redirect_uri: redirectUri, duration: 'permanent', scope: scopes.join(' ') }).toString()
      return url.toString()
    },

    async completeAuthorization({ redirectUri, code, context }): Promise<AuthorizedAccount> {
      const answer = await token('authorize', { grant_type: 'authorization_code', code, redirect_uri: redirectUri })
      const me = await api<{ name: string; id: string }>('authorize', answer.access_token, '/api/v1/me')
      const about = await api<{ data?: { display_name?: string } }>('authorize', answer.access_token, `/r/${context?.subreddit ?? ''}/about`).catch((error: unknown) => {
        if (error instanceof ConnectorError && (error.detail?.status === 404 || error.detail?.status === 403)) {
          throw new ConnectorError('invalid-content', `r/${context?.subreddit} does not exist or is private`, { detail: error.detail })
        }
        throw error
      })
      const subreddit = about.data.data?.display_name ?? context?.subreddit ?? ''
      const requirements = await api<{ is_flair_required?: boolean }>('authorize', answer.access_token, `/api/v1/${subreddit}/post_requirements`)
      const extra: Record<string, string> = { username: me.data.name, subreddit, server: `r/${subreddit}` }
      const wanted = context?.flair
      if (wanted || requirements.data.is_flair_required) {
        const list = await flairs(answer.access_token, subreddit)
        const flair = wanted ? list.find((f) => f.text.toLowerCase() === wanted.toLowerCase()) : undefined
        if (!flair) {
          const names = list.map((f) => f.text).join(', ')
          throw new ConnectorError(
            'invalid-content',
            wanted ? `r/${subreddit} has no post flair "${wanted}"; its flairs are: ${names}` : `r/${subreddit} requires a post flair: connect as "r/${subreddit}: <flair>", one of: ${names}`,
            { detail: { code: 'flair-required' } },
          )
        }
        Object.assign(extra, { flairId: flair.id, flair: flair.text, server: `r/${subreddit}: ${flair.text}` })
      }
      return {
        credentials: toCredentials(answer, extra),
        remoteAccountId: `t2_${me.data.id}:r/${subreddit.toLowerCase()}`,
        handle: `r/${subreddit}`,
        displayName: `u/${me.data.name}${extra.flair ? ` · ${extra.flair}` : ''}`,
      }
    },

    async refreshCredentials(credentials: Credentials): Promise<Credentials> {
      if (!credentials.refreshToken) throw new ConnectorError('disconnected', 'Reddit gave this account no refresh token: reconnect it')
      const answer = await token('refresh', { grant_type: 'refresh_token', refresh_token: credentials.refreshToken })
      return toCredentials(answer, credentials.extra, credentials)
    },

    /** The user's submitted listing, newest first: the post in this subreddit since the claim with the same title and body. */
    async lookup({ credentials, content, since, known }: LookupArgs): Promise<PublishResult | null> {
      const first = known?.partIds[0]
      if (first) return { remoteId: first, partIds: [first] }
      const { subreddit, username } = target(credentials)
      const want = toSubmission(content.parts[0]?.text ?? '')
      const { data } = await api<Listing<Submission>>('read', credentials.accessToken, `/user/${encodeURIComponent(username)}/submitted?sort=new&limit=${LOOKUP_POSTS}`)
      const found = (data.data?.children ?? [])
        .map((c) => c.data)
        .filter((p) => p.subreddit.toLowerCase() === subreddit.toLowerCase() && p.created_utc >= Math.floor(since.getTime() / 1000) - 1 && p.title === want.title)
        .filter((p) => (want.kind === 'link' ? !p.is_self && p.url === want.url : p.is_self !== false && (p.selftext ?? '') === want.text))
        .sort((a, b) => a.created_utc - b.created_utc)[0]
      return found ? result({ name: found.name, url: `https://www.reddit.com${found.permalink}` }) : null
    },

    async delete({ credentials, remoteId }) {
      await api<unknown>('write', credentials.accessToken, '/api/del', { form: { id: remoteId } })
    },
  }
}

function minutesIn(text: string): number {
  const match = /(\d+)\s*(minute|second)/i.exec(text)
  if (!match) return 600
  return match[2]!.toLowerCase().startsWith('minute') ? Number(match[1]) : Number(match[1]) / 60
}

/** A 429's end: `Retry-After` when sent, else `X-Ratelimit-Reset` (seconds until the window ends), else Reddit's 10-minute window. */
function rateLimitReset(headers: Headers, now: Date): Date {
  const after = retryAfter(headers, now)
  if (after) return after
  const reset = Number(headers.get('x-ratelimit-reset'))
  if (Number.isFinite(reset) && reset > 0) return new Date(Math.floor(now.getTime() / 1000) * 1000 + Math.ceil(reset) * 1000)
  return new Date(now.getTime() + 600_000)
}
