import { createHash, randomBytes } from 'node:crypto'
import type { Connector } from './types'

/** How long a pending authorization (its state and PKCE verifier) stays usable. */
export const AUTHORIZATION_LIFETIME_MS = 10 * 60_000

/** An unguessable, single-use `state` value (bind it to the user's session). */
export function createOAuthState(): string {
  return randomBytes(32).toString('base64url')
}

/** A PKCE code verifier (RFC 7636: 43–128 characters of [A-Za-z0-9-._~]). */
export function createCodeVerifier(): string {
  return randomBytes(64).toString('base64url')
}

/** The S256 code challenge of a verifier: base64url(SHA-256(verifier)), unpadded. */
export function codeChallengeFor(verifier: string): string {
  return createHash('sha256').update(verifier, 'ascii').digest('base64url')
}

/** What the web app keeps in the user's session until the callback arrives. */
export type PendingAuthorization = {
  state: string
  codeVerifier: string
  redirectUri: string
  expiresAt: Date
  /** From the connector's `prepareAuthorization` (e.g. the Mastodon instance and its app registration). */
  context?: Record<string, string>
}

/** Start an OAuth authorization: the URL to send the user to and what to keep for the callback. */
export async function startAuthorization(args: {
  connector: Pick<Connector, 'kind' | 'authorizeUrl' | 'prepareAuthorization'>
  redirectUri: string
  /** The user's own server, for networks that have many (a Mastodon instance). */
  server?: string
  now: Date
}): Promise<{ url: string; pending: PendingAuthorization }> {
  if (!args.connector.authorizeUrl) throw new Error(`connector ${args.connector.kind} does not connect through OAuth`)
  const context = await args.connector.prepareAuthorization?.({ redirectUri: args.redirectUri, server: args.server })
  const state = createOAuthState()
  const codeVerifier = createCodeVerifier()
  const url = args.connector.authorizeUrl({ redirectUri: args.redirectUri, state, codeChallenge: codeChallengeFor(codeVerifier), context })
  return {
    url,
    pending: { state, codeVerifier, redirectUri: args.redirectUri, expiresAt: new Date(args.now.getTime() + AUTHORIZATION_LIFETIME_MS), context },
  }
}

/**
 * Check a callback's `state` against the pending authorization taken out of the session (the caller
 * removes it from the session first, which makes it single-use). Returns a reason when it must be rejected.
 */
export function checkAuthorizationState(args: { pending: PendingAuthorization | null | undefined; state: string | null; now: Date }): string | null {
  if (!args.pending) return 'no authorization is pending in this session'
  if (!args.state || args.state !== args.pending.state) return 'state does not match this session'
  if (args.now.getTime() > args.pending.expiresAt.getTime()) return 'authorization expired, start again'
  return null
}

/** The `Authorization` header of a token request that authenticates the client with HTTP Basic (RFC 6749 §2.3.1). */
export function basicAuthorization(clientId: string, clientSecret: string): string {
  return `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`
}
