import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto'
import { z } from 'zod'
import { AUTHORIZATION_LIFETIME_MS, checkAuthorizationState, startAuthorization, type PendingAuthorization } from '../../connectors/oauth'
import { connectorKinds, isConnectorKind, type ConnectorKind } from '../../connectors/registry'
import { isConnectorError, type Connector } from '../../connectors/types'
import {
  connectAccount,
  deleteAccount,
  getAccount,
  getAccountCredentials,
  listAccounts,
  type AccountStatus,
  type AccountSummary,
} from '../../db/queries/accounts'
import { appCookie } from './session.server'
import type { Services } from '../core.server'

/** How an operator makes a network connectable (shown on the Accounts page while it is not). */
const SETUP_HELP: Partial<Record<ConnectorKind, string>> = {
  x: 'An administrator sets X_CLIENT_ID and X_CLIENT_SECRET (from the X developer portal; callback URL {callback}) and restarts Trickle.',
}

/** The one form of the Accounts page: start a connection, reconnect, or disconnect. */
export const AccountActionSchema = z.discriminatedUnion('intent', [
  z.object({
    intent: z.literal('connect'),
    kind: z.string().refine(isConnectorKind, 'Choose a network'),
    server: z.string().trim().max(200, 'Use at most 200 characters').optional(),
  }),
  z.object({ intent: z.literal('reconnect'), accountId: z.uuid('Choose an account') }),
  z.object({ intent: z.literal('disconnect'), accountId: z.uuid('Choose an account') }),
])

export type AccountView = {
  id: string
  kind: string
  network: string
  handle: string
  displayName: string | null
  status: AccountStatus
  statusReason: string | null
  /** ISO instant the access token expires, when it does. */
  expiresAt: string | null
  /** Whether this connector renews the token by itself (so an expiry needs no action). */
  renewsItself: boolean
}

export type NetworkView = {
  kind: string
  name: string
  configured: boolean
  /** The connection needs the user's own server (a Mastodon instance). */
  needsServer: boolean
  /** For networks that are not configured: what an operator does about it. */
  setupHelp: string | null
}

export function callbackUrl(services: Services, kind: string): string {
  return new URL(`/oauth/${kind}/callback`, services.config.APP_URL).toString()
}

function configuredConnector(services: Services, kind: string): Connector | null {
  return isConnectorKind(kind) ? ((services.connectors[kind] as Connector | undefined) ?? null) : null
}

export function networkViews(services: Services): NetworkView[] {
  // Channels whose accounts are senders (email) are set up with their own settings, not connected here.
  const connectable = connectorKinds.filter((kind) => (configuredConnector(services, kind)?.reads ?? 'parts') === 'parts')
  return connectable.map((kind) => {
    const connector = configuredConnector(services, kind)
    return {
      kind,
      name: connector?.displayName ?? kind.toUpperCase(),
      configured: connector?.authorizeUrl !== undefined,
      needsServer: connector?.prepareAuthorization !== undefined,
      setupHelp: connector ? null : (SETUP_HELP[kind]?.replace('{callback}', callbackUrl(services, kind)) ?? null),
    }
  })
}

function toView(services: Services, account: AccountSummary): AccountView {
  const connector = configuredConnector(services, account.kind)
  return {
    id: account.id,
    kind: account.kind,
    network: connector?.displayName ?? account.kind,
    handle: account.handle,
    displayName: account.displayName,
    status: account.status,
    statusReason: account.statusReason,
    expiresAt: account.expiresAt?.toISOString() ?? null,
    renewsItself: connector?.refreshCredentials !== undefined,
  }
}

export async function loadAccountsPage(services: Services, args: { workspaceId: string }) {
  const accounts = await listAccounts(services.database.db, args)
  return { accounts: accounts.map((a) => toView(services, a)), networks: networkViews(services) }
}

export async function findAccountView(services: Services, args: { workspaceId: string; accountId: string }): Promise<AccountView | null> {
  const account = await getAccount(services.database.db, args)
  return account ? toView(services, account) : null
}

// ---------------------------------------------------------------------------------------------------
// The pending authorization lives in a short-lived cookie, encrypted (it holds the PKCE verifier and, for
// Mastodon, the instance app's secret) with a key derived from SESSION_SECRET and bound to the session
// (its id hash is the associated data), so it opens only in the session that started the flow.

const PENDING_COOKIE = 'trickle_oauth'

type PendingConnection = { kind: string; workspaceId: string; userId: string; pending: PendingAuthorization }

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

/** A user-facing failure: `field` when it belongs to a form field, `status` for the page. */
export class ConnectError extends Error {
  override name = 'ConnectError'
  constructor(
    message: string,
    readonly options: { field?: string; status?: number } = {},
  ) {
    super(message)
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
  let kind: string
  let server: string | undefined
  if ('accountId' in args) {
    const account = await getAccount(services.database.db, { workspaceId: args.workspaceId, accountId: args.accountId })
    if (!account) return null
    kind = account.kind
    const credentials = await getAccountCredentials(services.database.db, { ...args, accountId: account.id, keyring: services.keyring })
    server = credentials.extra?.instanceUrl
  } else {
    kind = args.kind
    server = args.server || undefined
  }
  const connector = configuredConnector(services, kind)
  if (!connector?.authorizeUrl) {
    throw new ConnectError(`${connector?.displayName ?? kind} is not configured on this server. ${SETUP_HELP[kind as ConnectorKind] ?? ''}`.trim(), {
      field: 'kind',
      status: 400,
    })
  }
  if (connector.prepareAuthorization && !server) {
    throw new ConnectError(`Enter the address of your ${connector.displayName} server, e.g. https://mastodon.social`, { field: 'server', status: 400 })
  }
  let started: Awaited<ReturnType<typeof startAuthorization>>
  try {
    started = await startAuthorization({ connector, redirectUri: callbackUrl(services, kind), server, now: services.clock.now() })
  } catch (error) {
    const reason = (error as Error).message.replace(/^[\w.]+: /, '')
    throw new ConnectError(`Could not start connecting to ${server ?? connector.displayName}: ${reason}. Check the address and try again.`, {
      field: 'server',
      status: 400,
    })
  }
  const sealed = sealPending(services, args.sessionIdHash, { kind, workspaceId: args.workspaceId, userId: args.userId, pending: started.pending })
  return { url: started.url, setCookie: await pendingCookie(services).serialize(sealed) }
}

/** The Set-Cookie that removes the pending authorization (every callback sends it, whatever the outcome). */
export function clearPendingCookie(services: Services): Promise<string> {
  return pendingCookie(services).serialize('', { maxAge: 0, expires: new Date(0) })
}

const START_AGAIN = 'Nothing was connected. Go back to Accounts and press Connect again.'

/**
 * Handle the network's redirect back: the pending authorization of this session must match the `state`
 * (single use: the caller clears the cookie on every outcome), be under 10 minutes old, and belong to
 * the current workspace. Then the code is exchanged and the account is stored with sealed credentials.
 */
export async function completeConnection(
  services: Services,
  args: { request: Request; kind: string; workspaceId: string; userId: string; sessionIdHash: string },
): Promise<AccountSummary> {
  const connector = configuredConnector(services, args.kind)
  if (!connector?.completeAuthorization) throw new ConnectError('There is no such network to connect.', { status: 404 })
  const params = new URL(args.request.url).searchParams
  const sealed: unknown = await pendingCookie(services).parse(args.request.headers.get('Cookie'))
  const pending = openPending(services, args.sessionIdHash, sealed)
  const rejection = checkAuthorizationState({ pending: pending?.pending, state: params.get('state'), now: services.clock.now() })
  if (rejection || !pending) {
    const why = !pending
      ? 'This connection link was already used, or it was started in another browser or before you last logged in.'
      : rejection === 'authorization expired, start again'
        ? 'This connection took longer than 10 minutes to come back.'
        : 'This connection link does not belong to the connection you started in this browser.'
    throw new ConnectError(`${why} ${START_AGAIN}`, { status: 400 })
  }
  if (pending.kind !== args.kind || pending.workspaceId !== args.workspaceId || pending.userId !== args.userId) {
    throw new ConnectError(`You switched workspace or network while connecting. ${START_AGAIN}`, { status: 400 })
  }
  const denied = params.get('error')
  if (denied) {
    const description = params.get('error_description')
    throw new ConnectError(`${connector.displayName} did not grant access (${denied}${description ? `: ${description}` : ''}). ${START_AGAIN}`, {
      status: 400,
    })
  }
  const code = params.get('code')
  if (!code) throw new ConnectError(`${connector.displayName} sent no authorization code. ${START_AGAIN}`, { status: 400 })
  let authorized: Awaited<ReturnType<NonNullable<Connector['completeAuthorization']>>>
  try {
    authorized = await connector.completeAuthorization({
      redirectUri: pending.pending.redirectUri,
      code,
      codeVerifier: pending.pending.codeVerifier,
      context: pending.pending.context,
    })
  } catch (error) {
    if (!isConnectorError(error)) throw error
    const retryable = error.kind === 'transient' || error.kind === 'rate-limited' || error.kind === 'unknown-outcome'
    throw new ConnectError(
      `${connector.displayName} did not accept the authorization: ${error.message}. ${retryable ? 'It may be a temporary problem. ' : ''}${START_AGAIN}`,
      { status: retryable ? 502 : 400 },
    )
  }
  return connectAccount(services.database.db, {
    workspaceId: args.workspaceId,
    kind: args.kind,
    remoteAccountId: authorized.remoteAccountId,
    handle: authorized.handle,
    displayName: authorized.displayName,
    maxPostLength: authorized.maxPostLength,
    credentials: authorized.credentials,
    keyring: services.keyring,
    clock: services.clock,
  })
}

export async function disconnectAccount(services: Services, args: { workspaceId: string; accountId: string }): Promise<boolean> {
  return deleteAccount(services.database.db, args)
}
