import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto'
import { AUTHORIZATION_LIFETIME_MS } from '#connectors/oauth'
import { finishAccountConnection, startAccountConnection, type AccountSummary, type PendingConnection, type Services } from '../core.server'
import { appCookie } from './session.server'

/** The OAuth connection flow's web glue: the pending authorization travels in a cookie between the redirect and the callback. */

// ---------------------------------------------------------------------------------------------------
// The pending authorization lives in a short-lived cookie, encrypted (it holds the PKCE verifier and, for
// Mastodon, the instance app's secret) with a key derived from SESSION_SECRET and bound to the session
// (its id hash is the associated data), so it opens only in the session that started the flow.

const PENDING_COOKIE = 'trickle_oauth'

function pendingCookie(services: Services) {
  return appCookie(services.config, PENDING_COOKIE, { maxAgeSeconds: AUTHORIZATION_LIFETIME_MS / 1000 })
}

function pendingKey(services: Services): Buffer {
  return Buffer.from(hkdfSync('sha256', services.config.SESSION_SECRET, '', 'trickle.oauth-pending', 32))
}

function sealPending(services: Services, sessionIdHash: string, value: PendingConnection): string {
  const nonce = randomBytes(12)
  const cipher = createCipheriv('aes-256-gcm', pendingKey(services), nonce)
  cipher.setAAD(Buffer.from(`trickle.oauth.${sessionIdHash}`))
  const body = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()])
  return Buffer.concat([nonce, cipher.getAuthTag(), body]).toString('base64url')
}

function openPending(services: Services, sessionIdHash: string, sealed: unknown): PendingConnection | null {
  if (typeof sealed !== 'string') return null
  const raw = Buffer.from(sealed, 'base64url')
  if (raw.length < 29) return null
  try {
    const decipher = createDecipheriv('aes-256-gcm', pendingKey(services), raw.subarray(0, 12))
    decipher.setAAD(Buffer.from(`trickle.oauth.${sessionIdHash}`))
    decipher.setAuthTag(raw.subarray(12, 28))
    const value = JSON.parse(Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8')) as PendingConnection
    return { ...value, pending: { ...value.pending, expiresAt: new Date(value.pending.expiresAt) } }
  } catch {
    // Another session's cookie, a tampered one, or one sealed under an old SESSION_SECRET.
    return null
  }
}

/**
 * Start connecting (or reconnecting) an account: returns the network's authorization URL and the
 * Set-Cookie that keeps the pending authorization for the callback. `server` is the user's own server
 * for networks that need one; a reconnect takes it from the stored credentials.
 */
export async function beginConnection(
  services: Services,
  args: { workspaceId: string; userId: string; sessionIdHash: string } & ({ kind: string; server?: string } | { accountId: string }),
): Promise<{ url: string; setCookie: string } | null> {
  const { sessionIdHash, ...rest } = args
  const started = await startAccountConnection(services, rest)
  if (!started) return null
  const sealed = sealPending(services, sessionIdHash, started.connection)
  return { url: started.url, setCookie: await pendingCookie(services).serialize(sealed) }
}

/** The Set-Cookie that removes the pending authorization (every callback sends it, whatever the outcome). */
export function clearPendingCookie(services: Services): Promise<string> {
  return pendingCookie(services).serialize('', { maxAge: 0, expires: new Date(0) })
}

/**
 * Handle the network's redirect back: opens this session's pending authorization from its cookie
 * (the caller clears the cookie on every outcome) and lets core/ check it and store the account.
 */
export async function completeConnection(
  services: Services,
  args: { request: Request; kind: string; workspaceId: string; userId: string; sessionIdHash: string },
): Promise<AccountSummary> {
  const sealed: unknown = await pendingCookie(services).parse(args.request.headers.get('Cookie'))
  const connection = openPending(services, args.sessionIdHash, sealed)
  return finishAccountConnection(services, {
    kind: args.kind,
    workspaceId: args.workspaceId,
    userId: args.userId,
    params: new URL(args.request.url).searchParams,
    connection,
  })
}
