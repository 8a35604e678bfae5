import { randomBytes } from 'node:crypto'
import { faultQueue, type FaultRule } from './faults'
import { fieldsOf, startHttpBase, type LoopbackAnswer, type LoopbackRequest } from './http-base'

/**
 * A loopback server that speaks the parts of Reddit's API Trickle uses, as github.com/reddit-archive/
 * reddit/wiki/OAuth2 and reddit.com/dev/api describe them. OAuth on `/api/v1`: the consent page
 * `GET /api/v1/authorize` (`duration=permanent` gives a refresh token; redirects back with `code` and
 * `state`), `POST /api/v1/access_token` with the client's id and secret as HTTP Basic (a used or unknown
 * code is answered 200 `{ "error": "invalid_grant" }`, a bad refresh token 400). The API: `GET
 * /api/v1/me`, `GET /r/{sr}/about`, `GET /api/v1/{sr}/post_requirements` (`is_flair_required`), `GET
 * /r/{sr}/api/link_flair_v2`, `POST /api/submit` (`api_type=json`: errors come back as 200 with
 * `json.errors` = [[code, message, field]], e.g. SUBMIT_VALIDATION_FLAIR_REQUIRED, SUBREDDIT_NOEXIST,
 * RATELIMIT with `json.ratelimit` seconds), `GET /user/{name}/submitted` (a Listing, newest first).
 * Every answer carries `x-ratelimit-used`, `x-ratelimit-remaining` and `x-ratelimit-reset` (seconds to
 * the end of the 10-minute window); over the limit, 429. A missing or generic User-Agent is throttled
 * (429), as Reddit does. A bad token is 401 `{ "message": "Unauthorized", "error": 401 }`.
 */

export type RedditFault = { kind: 'rate-limit'; resetAt: Date } | { kind: 'unavailable'; apply?: boolean } | { kind: 'reset'; apply?: boolean } | { kind: 'submit-ratelimit'; minutes: number }
export type RedditPost = { id: string; name: string; subreddit: string; title: string; kind: 'self' | 'link'; text: string; url: string; flairId: string | null; flairText: string | null; createdUtc: number; author: string }

export type RedditApiServer = {
  url: string
  clientId: string
  clientSecret: string
  user: { name: string; id: string }
  subreddits: Array<{ name: string; flairRequired: boolean; flairs: Array<{ id: string; text: string }> }>
  posts: RedditPost[]
  counters: { postsCreated: number; tokenExchanges: number; refreshes: number; listingReads: number }
  /** While true, `/user/{name}/submitted` answers from a cache taken when it was set (posts made since are missing), as Reddit's listings can. */
  staleListing: boolean
  /** User-Agents seen on API and token requests. */
  userAgents: Set<string>
  issueTokens(): { accessToken: string; refreshToken: string; expiresIn: number }
  injectFault(rule: FaultRule<RedditFault>): void
  close(): Promise<void>
}

const ACCESS_TTL_S = 24 * 3600
const WINDOW_S = 600

export async function startRedditApiServer(): Promise<RedditApiServer> {
  const clientId = randomBytes(11).toString('base64url')
  const clientSecret = randomBytes(22).toString('base64url')
  const user = { name: 'trickle_bot', id: '1w72' }
  const subreddits = [
    { name: 'trickletest', flairRequired: false, flairs: [] as Array<{ id: string; text: string }> },
    {
      name: 'AskTrickle',
      flairRequired: true,
      flairs: [
        { id: '3e1b1a2e-0000-11ee-9f0b-0e5f2a1b7c11', text: 'Discussion' },
        { id: '4f2c2b3f-0000-11ee-9f0b-0e5f2a1b7c11', text: 'Question' },
      ],
    },
  ]
  const codes = new Map<string, { redirectUri: string; permanent: boolean; used: boolean }>()
  const accessTokens = new Map<string, number>()
  const refreshTokens = new Set<string>()
  const posts: RedditPost[] = []
  const counters = { postsCreated: 0, tokenExchanges: 0, refreshes: 0, listingReads: 0 }
  /** The posts the cached listing holds, while `staleListing` is set. */
  let listingCache: Set<string> | null = null
  const userAgents = new Set<string>()
  const faults = faultQueue<RedditFault>()
  let next = 1_000_000

  function issueTokens(permanent = true) {
    const accessToken = `${user.id}-${randomBytes(20).toString('base64url')}`
    accessTokens.set(accessToken, Date.now() + ACCESS_TTL_S * 1000)
    const refreshToken = `${user.id}-${randomBytes(22).toString('base64url')}`
    if (permanent) refreshTokens.add(refreshToken)
    return { accessToken, refreshToken, expiresIn: ACCESS_TTL_S }
  }

  const windowHeaders = (used: number, remaining: number) => {
    const reset = WINDOW_S - (Math.floor(Date.now() / 1000) % WINDOW_S)
    return { 'x-ratelimit-used': String(used), 'x-ratelimit-remaining': String(remaining), 'x-ratelimit-reset': String(reset) }
  }
  const json = (status: number, body: unknown): LoopbackAnswer => ({ status, json: body, headers: windowHeaders(1, 599) })
  const submitErrors = (...errors: Array<[string, string, string]>) => json(200, { json: { errors } })
  const sub = (name: string) => subreddits.find((s) => s.name.toLowerCase() === name.toLowerCase())

  function oauth(request: LoopbackRequest): LoopbackAnswer {
    const q = request.url.searchParams
    if (request.method === 'GET' && request.url.pathname === '/api/v1/authorize') {
      const redirectUri = q.get('redirect_uri') ?? ''
      if (q.get('client_id') !== clientId || q.get('response_type') !== 'code' || !redirectUri || !q.get('state')) return { status: 400, raw: '<p>invalid client id or redirect uri</p>' }
      const code = randomBytes(15).toString('base64url')
      codes.set(code, { redirectUri, permanent: q.get('duration') === 'permanent', used: false })
      const back = new URL(redirectUri)
      back.searchParams.set('state', q.get('state')!)
      back.searchParams.set('code', code)
      // Reddit appends `#_` to the redirect (a fragment: the callback never sees it).
      back.hash = '_'
      return { status: 302, headers: { location: back.toString() } }
    }
    const [id, secret] = Buffer.from(/^Basic (.+)$/.exec(request.headers.authorization ?? '')?.[1] ?? '', 'base64').toString().split(':')
    if (id !== clientId || secret !== clientSecret) return { status: 401, json: { message: 'Unauthorized', error: 401 } }
    const f = fieldsOf(request)
    if (f.grant_type === 'authorization_code') {
      counters.tokenExchanges++
      const pending = codes.get(f.code ?? '')
      if (!pending || pending.used || pending.redirectUri !== f.redirect_uri) return { status: 200, json: { error: 'invalid_grant' } }
      pending.used = true
      const t = issueTokens(pending.permanent)
      return { status: 200, json: { access_token: t.accessToken, token_type: 'bearer', expires_in: t.expiresIn, scope: 'identity submit read flair history', ...(pending.permanent ? { refresh_token: t.refreshToken } : {}) } }
    }
    if (f.grant_type === 'refresh_token') {
      counters.refreshes++
      if (!refreshTokens.has(f.refresh_token ?? '')) return { status: 400, json: { error: 'invalid_grant' } }
      const t = issueTokens(false)
      return { status: 200, json: { access_token: t.accessToken, token_type: 'bearer', expires_in: t.expiresIn, scope: 'identity submit read flair history', refresh_token: f.refresh_token } }
    }
    return { status: 400, json: { error: 'unsupported_grant_type' } }
  }

  function submit(f: Record<string, string>): LoopbackAnswer {
    const target = sub(f.sr ?? '')
    if (f.api_type !== 'json') return { status: 200, raw: '{"jquery": []}' }
    if (!target) return submitErrors(['SUBREDDIT_NOEXIST', 'that subreddit doesn\'t exist', 'sr'])
    const title = f.title ?? ''
    if (!title.trim()) return submitErrors(['NO_TEXT', 'we need something here', 'title'])
    if ([...title].length > 300) return submitErrors(['TOO_LONG', 'this is too long (max: 300)', 'title'])
    if (f.kind !== 'self' && f.kind !== 'link') return submitErrors(['INVALID_OPTION', 'that option is not valid', 'kind'])
    if (f.kind === 'link' && !/^https?:\/\/\S+$/.test(f.url ?? '')) return submitErrors(['BAD_URL', 'you should check that url', 'url'])
    const flair = target.flairs.find((x) => x.id === f.flair_id)
    if (f.flair_id && !flair) return submitErrors(['BAD_FLAIR_TARGET', 'not a valid flair', 'flair'])
    if (target.flairRequired && !flair) return submitErrors(['SUBMIT_VALIDATION_FLAIR_REQUIRED', 'Your post must contain post flair.', 'flair'])
    const n = (next++).toString(36)
    const post: RedditPost = {
      id: n,
      name: `t3_${n}`,
      subreddit: target.name,
      title,
      kind: f.kind,
      text: f.kind === 'self' ? (f.text ?? '') : '',
      url: f.kind === 'link' ? f.url! : `https://www.reddit.com/r/${target.name}/comments/${n}/`,
      flairId: flair?.id ?? null,
      flairText: flair ? (f.flair_text || flair.text) : null,
      createdUtc: Math.floor(Date.now() / 1000),
      author: user.name,
    }
    posts.push(post)
    counters.postsCreated++
    return json(200, { json: { errors: [], data: { url: `https://www.reddit.com/r/${target.name}/comments/${n}/`, drafts_count: 0, id: n, name: post.name } } })
  }

  function handle(request: LoopbackRequest): LoopbackAnswer {
    const path = request.url.pathname
    // The consent page is the user's browser; everything else is the app's client.
    if (path === '/api/v1/authorize') return oauth(request)
    const agent = request.headers['user-agent'] ?? ''
    userAgents.add(agent)
    // Generic User-Agents (a runtime's default) are throttled hard by Reddit.
    if (!agent || /^(node|undici|python-requests|curl)\b/i.test(agent)) return { status: 429, raw: '<p>Too Many Requests</p>', headers: windowHeaders(600, 0) }
    if (path === '/api/v1/access_token') return oauth(request)
    const expires = accessTokens.get(/^bearer (.+)$/i.exec(request.headers.authorization ?? '')?.[1] ?? '')
    if (!expires || expires < Date.now()) return { status: 401, json: { message: 'Unauthorized', error: 401 }, headers: { 'www-authenticate': 'Bearer realm="reddit", error="invalid_token"' } }
    const f = fieldsOf(request)
    if (request.method === 'GET' && path === '/api/v1/me') return json(200, { name: user.name, id: user.id, link_karma: 1, comment_karma: 1 })
    const about = /^\/r\/([^/]+)\/about$/.exec(path)
    if (request.method === 'GET' && about) {
      const target = sub(about[1]!)
      return target ? json(200, { kind: 't5', data: { display_name: target.name, subreddit_type: 'public', submission_type: 'any' } }) : json(404, { message: 'Not Found', error: 404 })
    }
    const requirements = /^\/api\/v1\/([^/]+)\/post_requirements$/.exec(path)
    if (request.method === 'GET' && requirements) {
      const target = sub(requirements[1]!)
      return target ? json(200, { is_flair_required: target.flairRequired, title_text_max_length: null, body_restriction_policy: 'none' }) : json(404, { message: 'Not Found', error: 404 })
    }
    const flairs = /^\/r\/([^/]+)\/api\/link_flair_v2$/.exec(path)
    if (request.method === 'GET' && flairs) {
      const target = sub(flairs[1]!)
      return target ? json(200, target.flairs.map((x) => ({ id: x.id, text: x.text, text_editable: false, type: 'text', mod_only: false }))) : json(404, { message: 'Not Found', error: 404 })
    }
    if (request.method === 'POST' && path === '/api/submit') {
      const fault = faults.take('POST', 'submit')
      if (fault?.kind === 'rate-limit') {
        const seconds = Math.max(1, Math.round((fault.resetAt.getTime() - Date.now()) / 1000))
        return { status: 429, raw: '<p>Too Many Requests</p>', headers: { 'x-ratelimit-used': '600', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(seconds) } }
      }
      if (fault?.kind === 'submit-ratelimit') {
        return json(200, { json: { ratelimit: fault.minutes * 60 - 0.5, errors: [['RATELIMIT', `Looks like you've been doing that a lot. Take a break for ${fault.minutes} minutes before trying again.`, 'ratelimit']] } })
      }
      const unavailable: LoopbackAnswer = { status: 503, raw: '<p>all of our servers are busy right now</p>' }
      if (fault && !fault.apply) return fault.kind === 'reset' ? 'reset' : unavailable
      const answer = submit(f)
      if (fault?.kind === 'reset') return 'reset'
      if (fault?.kind === 'unavailable') return unavailable
      return answer
    }
    const submitted = /^\/user\/([^/]+)\/submitted$/.exec(path)
    if (request.method === 'GET' && submitted) {
      const limit = Math.min(100, Number(f.limit ?? 25))
      counters.listingReads++
      const mine = posts.filter((p) => p.author === submitted[1] && (listingCache === null || listingCache.has(p.id))).sort((a, b) => b.createdUtc - a.createdUtc || b.id.localeCompare(a.id)).slice(0, limit)
      const children = mine.map((p) => ({
        kind: 't3',
        data: {
          id: p.id,
          name: p.name,
          title: p.title,
          selftext: p.text,
          url: p.url,
          is_self: p.kind === 'self',
          subreddit: p.subreddit,
          created_utc: p.createdUtc,
          permalink: `/r/${p.subreddit}/comments/${p.id}/`,
          author: p.author,
          link_flair_text: p.flairText,
        },
      }))
      return json(200, { kind: 'Listing', data: { after: null, dist: children.length, children, before: null } })
    }
    if (request.method === 'POST' && path === '/api/del') {
      const index = posts.findIndex((p) => p.name === f.id)
      if (index >= 0) posts.splice(index, 1)
      return json(200, {})
    }
    return json(404, { message: 'Not Found', error: 404 })
  }

  const http = await startHttpBase(handle)
  return {
    url: http.url,
    clientId,
    clientSecret,
    user,
    subreddits,
    posts,
    counters,
    get staleListing() {
      return listingCache !== null
    },
    set staleListing(stale: boolean) {
      listingCache = stale ? new Set(posts.map((p) => p.id)) : null
    },
    userAgents,
    issueTokens: () => issueTokens(),
    injectFault: (rule) => faults.inject(rule),
    close: () => http.close(),
  }
}
