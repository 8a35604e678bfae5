import type { NodeOAuthClient, OAuthSession } from '@atproto/oauth-client-node'
import { ConnectorError } from '../types'

/**
 * Bluesky OAuth (atproto OAuth: PAR, PKCE, DPoP-bound tokens) through `@atproto/oauth-client-node`, as
 * a confidential web client (`private_key_jwt`) whose client id is the address of the client-metadata
 * document Trickle serves (decision 115). The library keeps its started authorizations and its
 * sessions in `store` (our PostgreSQL, sealed): the web process starts and finishes an authorization,
 * the worker restores the session and the library refreshes it under `store.lock`.
 *
 * The package is loaded on first use, like `@atproto/api` (./atproto.ts).
 */

/** The library's two stores and its lock, over our database (core/bluesky-oauth-store.server.ts). */
export type BlueskyOAuthStore = {
  get(kind: 'state' | 'session', key: string): Promise<unknown>
  /** A `state` lives ten minutes; a `session` until deleted. */
  set(kind: 'state' | 'session', key: string, value: unknown): Promise<void>
  del(kind: 'state' | 'session', key: string): Promise<void>
  /** Run `run` while no other process holds `name`. */
  lock<T>(name: string, run: () => Promise<T>): Promise<T>
}

export type BlueskyOAuthConfig = {
  /** Trickle's public https address (APP_URL): the client id and the redirect URI are under it. */
  appUrl: string
  /**
   * The client's ES256 private keys as JSON (BLUESKY_OAUTH_PRIVATE_KEY): one JWK, or an array of them during a
   * key rotation (decision 125): the first signs new connections, a session keeps signing with the key it was
   * made with, and every key's public half is served as the JWKS.
   */
  privateKeyJwk: string
  store: BlueskyOAuthStore
  /** Resolve handles through this XRPC service (com.atproto.identity.resolveHandle) instead of DNS and https (tests: the PDS). */
  handleResolverUrl?: string
  /** Resolve did:plc through this directory (default https://plc.directory; tests: their own). */
  plcDirectoryUrl?: string
}

/** What Trickle asks for: the account's repository (posts, blobs) through the transitional generic scope. */
export const BLUESKY_OAUTH_SCOPE = 'atproto transition:generic'

export const clientMetadataPath = '/oauth/bluesky/client-metadata.json'
export const jwksPath = '/oauth/bluesky/jwks.json'
export const callbackPath = '/oauth/bluesky/callback'

/** The client-metadata document the authorization server fetches from the client id. */
export function blueskyClientMetadata(appUrl: string) {
  const base = appUrl.replace(/\/+$/, '')
  return {
    client_id: `${base}${clientMetadataPath}`,
    client_name: 'Trickle',
    client_uri: base,
    application_type: 'web' as const,
    redirect_uris: [`${base}${callbackPath}`] as [string],
    grant_types: ['authorization_code', 'refresh_token'] as ['authorization_code', 'refresh_token'],
    response_types: ['code'] as ['code'],
    scope: BLUESKY_OAUTH_SCOPE,
    token_endpoint_auth_method: 'private_key_jwt' as const,
    token_endpoint_auth_signing_alg: 'ES256',
    dpop_bound_access_tokens: true,
    jwks_uri: `${base}${jwksPath}`,
  }
}

/** The public halves of BLUESKY_OAUTH_PRIVATE_KEY, as the JWKS document. Throws a message naming the variable. */
export function blueskyJwks(privateKeyJwk: string): { keys: Array<Record<string, string>> } {
  return { keys: parsePrivateJwks(privateKeyJwk).map((jwk) => ({ kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y, kid: jwk.kid, alg: 'ES256', use: 'sig' })) }
}

type EcJwk = { kty: string; crv: string; x: string; y: string; d: string; kid: string }

/** BLUESKY_OAUTH_PRIVATE_KEY's keys, in order: one JWK, or a non-empty array of them with distinct kids. */
export function parsePrivateJwks(value: string): EcJwk[] {
  let parsed: unknown
  try {
    parsed = JSON.parse(value)
  } catch {
    throw new Error('BLUESKY_OAUTH_PRIVATE_KEY: must be a JWK as JSON, or an array of JWKs')
  }
  const list = Array.isArray(parsed) ? parsed : [parsed]
  if (list.length === 0) throw new Error('BLUESKY_OAUTH_PRIVATE_KEY: the array holds no key')
  const keys = list.map((jwk, i) => checkPrivateJwk(jwk, Array.isArray(parsed) ? `BLUESKY_OAUTH_PRIVATE_KEY[${i}]` : 'BLUESKY_OAUTH_PRIVATE_KEY'))
  const kids = keys.map((k) => k.kid)
  const repeated = kids.find((kid, i) => kids.indexOf(kid) !== i)
  if (repeated !== undefined) throw new Error(`BLUESKY_OAUTH_PRIVATE_KEY: two keys have the kid "${repeated}" (each key needs its own)`)
  return keys
}

function checkPrivateJwk(value: unknown, name: string): EcJwk {
  const jwk = (value ?? {}) as Partial<EcJwk>
  if (typeof value !== 'object' || jwk.kty !== 'EC' || jwk.crv !== 'P-256' || !jwk.x || !jwk.y || !jwk.d) throw new Error(`${name}: must be a private P-256 (ES256) key as a JWK`)
  if (!jwk.kid) throw new Error(`${name}: the JWK needs a "kid"`)
  return jwk as EcJwk
}

/** Top-level domains an authorization server refuses in a client id (they never name a public host). */
const LOCAL_TLDS = new Set(['test', 'local', 'localhost', 'invalid', 'example'])

/** Whether `appUrl` can be a client id: https, a public host name (not an IP address, localhost or a reserved TLD). */
export function isPublicHttpsUrl(appUrl: string): boolean {
  const url = new URL(appUrl)
  const labels = url.hostname.toLowerCase().split('.')
  if (url.protocol !== 'https:' || labels.length < 2 || url.hostname.startsWith('[') || /^[\d.]+$/.test(url.hostname)) return false
  return !LOCAL_TLDS.has(labels.at(-1)!)
}

/** Errors of a session the library can no longer use: revoked, refresh refused, deleted, unreadable. */
const SESSION_ERRORS = new Set(['TokenRefreshError', 'TokenRevokedError', 'TokenInvalidError', 'AuthMethodUnsatisfiableError'])

export function isSessionGone(error: unknown): boolean {
  // Not TypeError, which the library also counts: fetch's own "fetch failed" is one, and a server that
  // could not be reached says nothing about the session.
  return error instanceof Error && (SESSION_ERRORS.has(error.constructor.name) || SESSION_ERRORS.has(error.name))
}

export type BlueskyOAuth = ReturnType<typeof createBlueskyOAuth>

export function createBlueskyOAuth(args: { config: BlueskyOAuthConfig; fetch: typeof fetch; allowHttp: boolean }) {
  const { config } = args
  let client: Promise<NodeOAuthClient> | undefined

  async function build(): Promise<NodeOAuthClient> {
    const lib = await import('@atproto/oauth-client-node')
    // The library signs a new session's client assertions with the first key and records its kid in the
    // session, which then refreshes with that key only (a session whose key is gone must be reconnected).
    const keyset = await Promise.all(parsePrivateJwks(config.privateKeyJwk).map((jwk) => lib.JoseKey.fromJWK(jwk as unknown as Record<string, unknown>, jwk.kid)))
    const { store } = config
    return new lib.NodeOAuthClient({
      clientMetadata: blueskyClientMetadata(config.appUrl),
      keyset,
      allowHttp: args.allowHttp,
      fetch: args.fetch,
      handleResolver: config.handleResolverUrl,
      plcDirectoryUrl: config.plcDirectoryUrl,
      stateStore: {
        get: async (key) => (await store.get('state', key)) as never,
        set: (key, value) => store.set('state', key, value),
        del: (key) => store.del('state', key),
      },
      sessionStore: {
        get: async (key) => (await store.get('session', key)) as never,
        set: (key, value) => store.set('session', key, value),
        del: (key) => store.del('session', key),
      },
      // Web and worker are different processes: one at a time refreshes a session.
      requestLock: (name, run) => store.lock(name, async () => run()),
    })
  }

  function load(): Promise<NodeOAuthClient> {
    client ??= build().catch((error: unknown) => {
      client = undefined
      throw error
    })
    return client
  }

  return {
    /** The authorization URL for `identifier` (a handle or DID); `appState` comes back from `callback`. */
    async authorize(identifier: string, appState: string): Promise<string> {
      const url = await (await load()).authorize(identifier, { state: appState, scope: BLUESKY_OAUTH_SCOPE })
      return url.toString()
    },

    /** The redirect back: exchanges the code (the library checks its state and the issuer). */
    async callback(params: URLSearchParams): Promise<{ session: OAuthSession; appState: string | null }> {
      const { session, state } = await (await load()).callback(params)
      return { session, appState: state }
    },

    /**
     * The account's session, refreshed by the library when its access token has expired. A session the
     * authorization server revoked or will not refresh, or one no longer stored, is `disconnected`:
     * the account must be reconnected by a person.
     */
    async restore(did: string, refresh: boolean | 'auto' = 'auto'): Promise<OAuthSession> {
      try {
        return await (await load()).restore(did, refresh)
      } catch (error) {
        if (isSessionGone(error)) throw new ConnectorError('disconnected', `The Bluesky OAuth session of ${did} can no longer be used: ${(error as Error).message}. Reconnect the account.`, { cause: error })
        throw new ConnectorError('transient', `Could not restore the Bluesky OAuth session of ${did}: ${(error as Error).message}`, { cause: error })
      }
    },

    /** Revoke the session at the authorization server and forget it (a disconnect). */
    async revoke(did: string): Promise<void> {
      await (await load()).revoke(did)
    },
  }
}
