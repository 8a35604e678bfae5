/**
 * The one interface every network or transport implements (see docs/decisions and shared conventions).
 * Generic code never branches on a connector's kind: a new need becomes a member here.
 */

import type { PostalAddress } from '../domain/mail/address'

export type ConnectorErrorKind =
  | 'auth' // credentials rejected: refresh once (single-flight), then reconnect
  | 'rate-limited' // reschedule at `resetAt`
  | 'invalid-content' // fail, tell the user
  // Retry with backoff: only where the request provably did not apply (a refused connection, a failed DNS
  // lookup, a 4xx the network documents as not applied, or any failure of a read). A 5xx, a timeout or a
  // reset on a request that creates something does NOT prove that: it is `unknown-outcome`.
  | 'transient'
  // Never auto-retry: reconcile through `lookup` or ask a human. Also a create refused as a duplicate of a
  // post the account already has (X): most likely ours, from an attempt whose answer was lost.
  | 'unknown-outcome'
  | 'disconnected' // the account must be reconnected by a person

export class ConnectorError extends Error {
  override name = 'ConnectorError'
  readonly kind: ConnectorErrorKind
  /** For `rate-limited`: when the bucket resets. */
  readonly resetAt?: Date
  /** Machine-readable detail from the network (HTTP status, error code). */
  readonly detail?: { status?: number; code?: string }
  /** What did get published before a multi-part publish (a thread) stopped. */
  readonly partial?: PublishResult
  constructor(
    kind: ConnectorErrorKind,
    message: string,
    extra: { resetAt?: Date; detail?: { status?: number; code?: string }; partial?: PublishResult; cause?: unknown } = {},
  ) {
    super(message, { cause: extra.cause })
    this.kind = kind
    this.resetAt = extra.resetAt
    this.detail = extra.detail
    this.partial = extra.partial
  }
}

export function isConnectorError(error: unknown): error is ConnectorError {
  return error instanceof ConnectorError
}

/** One image or video of a post: its bytes, and `mediaId` when it comes from the media store (what `publicMediaUrl` names). */
export type PostMedia = { mimeType: string; data: Uint8Array; altText?: string; mediaId?: string }

/** Content of one step for one channel. Social connectors read `parts` (a thread); email reads subject/html/text. */
export type ChannelContent = {
  /** One entry per post of a thread (a single post has one). */
  parts: Array<{ text: string; media?: PostMedia[] }>
  /** Who may see the post, where the network has the notion (Mastodon); others ignore it. */
  visibility?: 'public' | 'unlisted' | 'private'
  /** One rendered email to one recipient (the email connector reads only this; `parts` may be empty). */
  email?: EmailContent
  /** One text message to one recipient (the SMS connector reads only this; decision 081). */
  sms?: { to: string; body: string; /** Where the provider posts delivery status changes. */ statusCallback?: string }
  /** One postcard or letter to one postal address (the direct-mail connector reads only this; decision 082). */
  mail?: {
    piece: 'postcard' | 'letter'
    to: PostalAddress
    from: PostalAddress
    /** Postcard sides (HTML with {{merge}} variables Lob fills in). */
    front?: string
    back?: string
    size?: '4x6' | '6x9' | '6x11'
    /** Letter HTML. */
    file?: string
    color?: boolean
    mergeVariables?: Record<string, string>
    metadata?: Record<string, string>
  }
}

export type EmailContent = {
  from: { name?: string; address: string }
  to: string
  replyTo?: string
  subject: string
  html: string
  text: string
  /** RFC 8058 one-click unsubscribe: the https URL (POST target) and a mailto alternative. */
  listUnsubscribe?: { url: string; mailto?: string }
}

export type ContentProblem = { path: string; message: string }

/**
 * A post's appearance on the network, for previews: `card` (a social post: avatar, name, handle) or
 * `message` (a plain chat message: Telegram, Discord, Slack); `linkCard` when the network itself turns
 * the first link of a post into a card with the page's title and image.
 */
export type PostLook = { layout: 'card' | 'message'; linkCard: boolean }

/** Per-account media limits read from the network when connecting (a Mastodon instance's own sizes; decision 111). */
export type AccountLimits = { maxImageBytes?: number; maxVideoBytes?: number; maxMediaPerPost?: number }

/** Per-account facts that change what is valid (e.g. an X Premium account's longer posts, an instance's media sizes). */
export type ValidateOptions = { maxLength?: number; limits?: AccountLimits }

export type ConnectorLimits = {
  /** Maximum weighted length of one post. */
  maxLength: number
  maxMediaPerPost: number
  maxThreadLength: number
}

/**
 * A network's daily post budget shared by every workspace of this installation (X's 24-hour app cap),
 * and the most one workspace may use of it.
 */
export type ConnectorQuota = { postsPerDay: number; postsPerDayPerWorkspace: number }

/** Decrypted credentials, shaped per connector; stored encrypted by the token vault. */
export type Credentials = {
  accessToken: string
  refreshToken?: string
  expiresAt?: Date
  /** Network-specific extras (instance URL, DID, handle...). */
  extra?: Record<string, string>
}

export type PublishResult = {
  remoteId: string
  url?: string
  /** For threads: the ids of every part, in order. */
  partIds?: string[]
}

export type PublishArgs = {
  credentials: Credentials
  content: ChannelContent
  /** Stable per delivery: lets networks that support it deduplicate, and lets `lookup` find the post. */
  idempotencyKey: string
  signal?: AbortSignal
  /**
   * Continue a thread whose first `partIds.length` parts are already at the network (an earlier attempt
   * stopped part-way): post part k as a reply to `partIds[k - 1]` (and whatever else the network needs to
   * chain it), never parts 0..k-1 again. The result's `partIds` is the full list, these first. When they
   * cover every part, nothing is sent. Connectors of single posts return the known post.
   */
  resume?: { partIds: string[] }
  /**
   * A signed, expiring public address of one of the post's stored media (decision 111), for networks
   * that fetch media from a URL (`fetchesMediaFromUrl`). Given by core, never built by a connector;
   * it throws `invalid-content` (with the sentence people read) where the network cannot reach Trickle.
   */
  publicMediaUrl?: (media: PostMedia) => string
}

export type LookupArgs = {
  credentials: Credentials
  content: ChannelContent
  idempotencyKey: string
  /** Only posts created at or after this instant can be ours. */
  since: Date
  /**
   * The first parts of a thread already known to exist (possibly older than `since`): look for the rest
   * after them. A result then starts with these ids; `null` only when nothing at all is known or found.
   */
  known?: { partIds: string[] }
}

/**
 * A published post's engagement as its network reports it (the first post of a thread). A count the
 * network does not report, or not to this account's access level, is absent, never 0.
 */
export type PostMetrics = {
  impressions?: number
  likes?: number
  reposts?: number
  replies?: number
  quotes?: number
  bookmarks?: number
}

export type MetricsArgs = {
  credentials: Credentials
  /** The post as the pipeline recorded it: its remote id (the first part of a thread) and every part's id. */
  post: { remoteId: string; partIds?: string[] }
  signal?: AbortSignal
}

/** `context` is what `prepareAuthorization` returned, kept with the pending authorization. */
export type AuthorizeArgs = { redirectUri: string; state: string; codeChallenge: string; context?: Record<string, string> }
export type CompleteAuthorizationArgs = { redirectUri: string; code: string; codeVerifier: string; context?: Record<string, string> }
export type AuthorizedAccount = {
  credentials: Credentials
  remoteAccountId: string
  handle: string
  displayName?: string
  /** The account's own post length limit when it differs from `limits.maxLength`. */
  maxPostLength?: number
  /** The account's own media limits, where the network says (stored with the account, given to `validate`). */
  limits?: AccountLimits
  /**
   * Further accounts the same consent can post as (the LinkedIn pages the member administers), each
   * stored as its own account with its own copy of the credentials.
   */
  alsoAuthorized?: Array<Omit<AuthorizedAccount, 'alsoAuthorized'>>
}

export type DelegatedAuthorization = {
  /** The client-metadata document served at the client id's address, and the public keys (JWKS) it names. */
  clientMetadata: Record<string, unknown>
  jwks: { keys: Array<Record<string, string>> }
  /** How the Accounts page asks for the account. */
  identifierField: { label: string; description: string; placeholder?: string }
  /** The authorization URL to send the user to. Bad input is an Error whose message starts with `identifier: `. */
  start(args: { identifier: string; appState: string }): Promise<string>
  /** The redirect back (its query): the account to store, and the `appState` given to `start`. */
  complete(params: URLSearchParams): Promise<{ account: AuthorizedAccount; appState: string | null }>
}

/** One field of a token form; `secret` ones are never shown back in the page or kept outside the vault. */
export type TokenFormField = { name: string; label: string; description: string; secret?: boolean; placeholder?: string; optional?: boolean }
export type TokenForm = {
  fields: TokenFormField[]
  /** How to get the values, one short paragraph. */
  help: string
  /** A guide on the network's site, and its link text. */
  helpLink?: { url: string; label: string }
}

export interface Connector<K extends string = string> {
  readonly kind: K
  readonly displayName: string
  readonly limits: ConnectorLimits
  /**
   * Which member of `ChannelContent` the connector sends: `parts` (posts to the account's own audience;
   * the default), `email` (one rendered email to one recipient) or `sms` (one text message to one
   * recipient). The accounts of `email` and `sms` connectors are senders, set up in their settings rather
   * than connected on the Accounts page.
   */
  readonly reads?: 'parts' | 'email' | 'sms' | 'mail'
  /**
   * The network fetches a post's images and videos from a public URL (Threads): it publishes media only
   * through `publishArgs.publicMediaUrl`, which needs a public https APP_URL (decision 111).
   */
  readonly fetchesMediaFromUrl?: boolean
  /** Set when the installation's app has a daily budget to share out (see `reservePostQuota`). */
  readonly quota?: ConnectorQuota
  /** Run when content is scheduled, so the editor can show problems while the user can fix them. */
  validate(content: ChannelContent, options?: ValidateOptions): ContentProblem[]
  /**
   * The length of a post's text as this network counts it against `limits.maxLength` (X weighs links
   * and CJK, Mastodon counts a link as 23, Bluesky counts graphemes): the counting `validate` uses.
   * Absent: Unicode code points.
   */
  measure?(text: string): number
  /** How the network shows a post, for the editor's preview (decision 091). Absent: a social card without a link card. */
  readonly look?: PostLook
  /**
   * Local work a first publish needs, such as loading the client library, done before the pipeline's
   * send deadline starts so it does not eat into it. Never touches the network; idempotent.
   */
  prepare?(): Promise<void>
  publish(args: PublishArgs): Promise<PublishResult>
  /**
   * Work needed before the authorize redirect, such as registering an app on the user's own server
   * (`server`: e.g. a Mastodon instance). The result travels with the pending authorization.
   */
  prepareAuthorization?(args: { redirectUri: string; server?: string }): Promise<Record<string, string>>
  /**
   * How the Accounts page asks for the value `prepareAuthorization` reads as `server` when it is not a
   * server address (a Pinterest board, a subreddit). Absent: "Your <network> server", a URL. The account's
   * credentials keep it as `extra.server`, so a reconnect needs no form.
   */
  readonly connectField?: { label: string; description: string; placeholder?: string; missing: string }
  authorizeUrl?(args: AuthorizeArgs): string
  /**
   * Networks whose accounts connect with an app password typed into a form rather than an OAuth redirect
   * (Bluesky): where the user makes one, and the server used when they name none of their own.
   */
  readonly appPasswords?: { settingsUrl: string; defaultServer: string }
  /**
   * Signs in with an app password (never the account's main password; used once, never stored) on
   * `service`, the user's own server (default `appPasswords.defaultServer`), and returns the account to
   * store. Bad input is an Error whose message starts with the argument's name (`service: …`).
   */
  connectWithAppPassword?(args: { service?: string; identifier: string; appPassword: string }): Promise<AuthorizedAccount>
  completeAuthorization?(args: CompleteAuthorizationArgs): Promise<AuthorizedAccount>
  /**
   * Networks whose OAuth client library runs the whole authorization itself (atproto OAuth: PAR, PKCE,
   * DPoP, its own state and sessions in the store it was given; decision 115). Present only when the
   * installation can offer it (Bluesky: a public https APP_URL and a client key). The user names their
   * account (`identifier`, e.g. a handle); `appState` comes back from `complete` so the caller can check
   * it against what it kept for this browser session.
   */
  readonly delegatedAuthorization?: DelegatedAuthorization
  /**
   * Networks whose accounts connect with values the user copies from the network into a form (a
   * Telegram bot token and channel, a Discord webhook URL, a webhook's URL and secret): the fields the
   * Accounts page shows, and where the user finds their values.
   */
  readonly tokenForm?: TokenForm
  /**
   * Checks the form's values against the network (e.g. the bot may post in the channel) and returns the
   * account to store; secret values go only into its sealed credentials. Bad input is an Error whose
   * message starts with the field's name (`botToken: …`).
   */
  connectWithToken?(fields: Record<string, string>): Promise<AuthorizedAccount>
  refreshCredentials?(credentials: Credentials): Promise<Credentials>
  /**
   * Find an already-published post to reconcile an unknown outcome; `null` when it provably does not
   * exist. For a thread: the longest prefix of its parts found in order, each a reply to the one before
   * (`partIds`), so the pipeline can continue from the first missing part.
   */
  lookup?(args: LookupArgs): Promise<PublishResult | null>
  /**
   * How long after a publish attempt `lookup` can be trusted to show the post, for networks whose
   * listings are cached (Reddit's). The reconciler runs no lookup before the attempt is this old, so its
   * `null` means the post does not exist rather than that the listing is behind. Default 0.
   */
  readonly lookupSettleMs?: number
  delete?(args: { credentials: Credentials; remoteId: string }): Promise<void>
  /**
   * A published post's metrics (likes, reposts…) read from the network; `null` when the post is gone.
   * A read: failures are `transient`, `auth` or `rate-limited` (with `resetAt`).
   */
  metrics?(args: MetricsArgs): Promise<PostMetrics | null>
  /** Release what the connector keeps open between publishes (pooled connections), at shutdown. */
  close?(): void
}
