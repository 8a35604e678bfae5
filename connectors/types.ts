/**
 * The one interface every network or transport implements (see docs/decisions and shared conventions).
 * Generic code never branches on a connector's kind: a new need becomes a member here.
 */

export type ConnectorErrorKind =
  | 'auth' // credentials rejected: refresh once (single-flight), then reconnect
  | 'rate-limited' // reschedule at `resetAt`
  | 'invalid-content' // fail, tell the user
  | 'transient' // retry with backoff: only where the request provably did not apply
  | 'unknown-outcome' // never auto-retry: reconcile through `lookup` or ask a human
  | 'disconnected' // the account must be reconnected by a person

export class ConnectorError extends Error {
  override name = 'ConnectorError'
  readonly kind: ConnectorErrorKind
  /** For `rate-limited`: when the bucket resets. */
  readonly resetAt?: Date
  /** Machine-readable detail from the network (HTTP status, error code). */
  readonly detail?: { status?: number; code?: string }
  constructor(kind: ConnectorErrorKind, message: string, extra: { resetAt?: Date; detail?: { status?: number; code?: string }; cause?: unknown } = {}) {
    super(message, { cause: extra.cause })
    this.kind = kind
    this.resetAt = extra.resetAt
    this.detail = extra.detail
  }
}

export function isConnectorError(error: unknown): error is ConnectorError {
  return error instanceof ConnectorError
}

/** Content of one step for one channel. Social connectors read `parts` (a thread); email reads subject/html/text. */
export type ChannelContent = {
  /** One entry per post of a thread (a single post has one). */
  parts: Array<{ text: string; media?: Array<{ mimeType: string; data: Uint8Array; altText?: string }> }>
}

export type ContentProblem = { path: string; message: string }

export type ConnectorLimits = {
  /** Maximum weighted length of one post. */
  maxLength: number
  maxMediaPerPost: number
  maxThreadLength: number
}

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
}

export type LookupArgs = {
  credentials: Credentials
  content: ChannelContent
  idempotencyKey: string
  /** Only posts created at or after this instant can be ours. */
  since: Date
}

export type AuthorizeArgs = { redirectUri: string; state: string; codeChallenge: string }
export type CompleteAuthorizationArgs = { redirectUri: string; code: string; codeVerifier: string }
export type AuthorizedAccount = { credentials: Credentials; remoteAccountId: string; handle: string; displayName?: string }

export interface Connector<K extends string = string> {
  readonly kind: K
  readonly displayName: string
  readonly limits: ConnectorLimits
  /** Run when content is scheduled, so the editor can show problems while the user can fix them. */
  validate(content: ChannelContent): ContentProblem[]
  publish(args: PublishArgs): Promise<PublishResult>
  authorizeUrl?(args: AuthorizeArgs): string
  completeAuthorization?(args: CompleteAuthorizationArgs): Promise<AuthorizedAccount>
  refreshCredentials?(credentials: Credentials): Promise<Credentials>
  /** Find an already-published post to reconcile an unknown outcome; `null` when it provably does not exist. */
  lookup?(args: LookupArgs): Promise<PublishResult | null>
  delete?(args: { credentials: Credentials; remoteId: string }): Promise<void>
}
