import { z } from 'zod'
import { ADDRESS_NOT_ALLOWED, isAddressNotAllowed, SERVER_UNREACHABLE } from '../connectors/net-guard'
import { AUTHORIZATION_LIFETIME_MS, checkAuthorizationState, createOAuthState, startAuthorization, type PendingAuthorization } from '../connectors/oauth'
import { connectorKinds, isConnectorKind, type ConnectorKind } from '../connectors/registry'
import { isConnectorError, type AuthorizedAccount, type Connector, type TokenForm } from '../connectors/types'
import {
  connectAccount,
  deleteAccount,
  getAccount,
  getAccountCredentials,
  listAccounts,
  type AccountStatus,
  type AccountSummary,
} from '../db/queries/accounts'
import { recordAuditEvent } from './audit.server'
import type { Services } from './services.server'
import { publicMediaAvailability } from './public-media.server'
import { InputError } from './errors'

/**
 * Accounts of a workspace and the OAuth connection flow's use cases: which networks are connectable,
 * starting an authorization, and exchanging the code for an account with sealed credentials. Where the
 * pending authorization is kept between the two (an encrypted cookie) is the web app's business
 * (app/utils/accounts.server.ts).
 */

export type { AccountStatus, AccountSummary }

/** Names of networks that may be unconfigured (a configured connector says its own `displayName`). */
const NETWORK_NAMES: Partial<Record<ConnectorKind, string>> = { x: 'X', slack: 'Slack', linkedin: 'LinkedIn', threads: 'Threads', pinterest: 'Pinterest', reddit: 'Reddit', facebook: 'Facebook', instagram: 'Instagram' }

/** How an operator makes a network connectable (shown to owners on the Accounts page while it is not). */
const SETUP_HELP: Partial<Record<ConnectorKind, string>> = {
  x: 'An administrator sets X_CLIENT_ID and X_CLIENT_SECRET (from the X developer portal; callback URL {callback}) and restarts Trickle.',
  slack: 'An administrator creates a Slack app (api.slack.com/apps; bot scopes chat:write, chat:write.public, incoming-webhook, channels:history, groups:history; redirect URL {callback}), sets SLACK_CLIENT_ID and SLACK_CLIENT_SECRET and restarts Trickle.',
  linkedin:
    'An administrator creates a LinkedIn app (linkedin.com/developers; products "Sign In with LinkedIn using OpenID Connect" and "Share on LinkedIn"; redirect URL {callback}), sets LINKEDIN_CLIENT_ID and LINKEDIN_CLIENT_SECRET and restarts Trickle.',
  threads:
    'An administrator creates a Meta app with the Threads use case (developers.facebook.com/apps; permissions threads_basic, threads_content_publish, threads_read_replies; redirect callback URL {callback}), sets THREADS_APP_ID and THREADS_APP_SECRET and restarts Trickle.',
  pinterest:
    'An administrator creates a Pinterest app (developers.pinterest.com/apps; scopes user_accounts:read, boards:read, pins:read, pins:write; redirect URI {callback}), sets PINTEREST_APP_ID and PINTEREST_APP_SECRET and restarts Trickle.',
  facebook:
    'An administrator creates a Meta app of type Business with Facebook Login (developers.facebook.com/apps; permissions pages_show_list, pages_read_engagement, pages_manage_posts; valid OAuth redirect URI {callback}), sets FACEBOOK_APP_ID and FACEBOOK_APP_SECRET and restarts Trickle.',
  instagram:
    'An administrator creates a Meta app of type Business with Facebook Login and the Instagram product (developers.facebook.com/apps; permissions instagram_basic, instagram_content_publish, pages_show_list, pages_read_engagement, pages_manage_posts; valid OAuth redirect URI {callback}), sets FACEBOOK_APP_ID and FACEBOOK_APP_SECRET and restarts Trickle. The Instagram account must be a business or creator account linked to a Facebook Page.',
  reddit:
    'An administrator creates a Reddit app of type "web app" (reddit.com/prefs/apps; redirect uri {callback}), sets REDDIT_CLIENT_ID and REDDIT_CLIENT_SECRET (and REDDIT_USER_AGENT naming their Reddit account) and restarts Trickle.',
}

const ServerField = z.string().trim().max(200, 'Use at most 200 characters').optional()

/**
 * The one form of the Accounts page: start a connection, sign in with an app password (networks that
 * connect without a redirect), reconnect, or disconnect.
 */
export const AccountActionSchema = z.discriminatedUnion('intent', [
  z.object({
    intent: z.literal('connect'),
    kind: z.string().refine(isConnectorKind, 'Choose a network'),
    server: ServerField,
  }),
  z.object({
    intent: z.literal('sign-in'),
    kind: z.string().refine(isConnectorKind, 'Choose a network'),
    identifier: z.string().trim().min(1, 'Enter your handle, e.g. alice.bsky.social').max(253, 'Use at most 253 characters'),
    appPassword: z.string().trim().min(1, 'Enter an app password').max(100, 'Use at most 100 characters'),
    server: ServerField,
  }),
  // A token form (Telegram, Discord, webhook): its fields are the connector's (`field_<name>`, secret ones
  // `secret_<name>`, never echoed back into the page); core/account-token.server.ts reads them.
  z
    .object({
      intent: z.literal('token'),
      kind: z.string().refine(isConnectorKind, 'Choose a network'),
    })
    .catchall(z.string().max(2000, 'Use at most 2000 characters')),
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
  /** Why this account cannot post images and videos here (its network fetches them from APP_URL, which it cannot reach; decision 111), or null. */
  mediaWarning: string | null
}

export type NetworkView = {
  kind: string
  name: string
  configured: boolean
  /** The connection needs the user's own server (a Mastodon instance), or another value the connector names (`serverField`). */
  needsServer: boolean
  /** How the form asks for that value when it is not a server address (a Pinterest board, a subreddit). */
  serverField: { label: string; description: string; placeholder: string | null } | null
  /** Networks that connect with an app password in a form (Bluesky), not a redirect: where the user makes one, and the server used when they name none. */
  appPasswords: { settingsUrl: string; defaultServer: string } | null
  /** Networks that connect with values copied into a form (a bot token, a webhook URL): its fields and help. */
  tokenForm: TokenForm | null
  /** Networks whose OAuth library runs the authorization (Bluesky with a public https APP_URL): how the form asks for the account. */
  delegated: { label: string; description: string; placeholder: string | null } | null
  /** For networks that are not configured: what an operator does about it. */
  setupHelp: string | null
}

function setupHelp(services: Services, kind: string): string | null {
  return SETUP_HELP[kind as ConnectorKind]?.replace('{callback}', callbackUrl(services, kind)) ?? null
}

export function callbackUrl(services: Services, kind: string): string {
  return new URL(`/oauth/${kind}/callback`, services.config.APP_URL).toString()
}

export function configuredConnector(services: Services, kind: string): Connector | null {
  return isConnectorKind(kind) ? ((services.connectors[kind] as Connector | undefined) ?? null) : null
}

export function networkViews(services: Services): NetworkView[] {
  // Channels whose accounts are senders (email) are set up with their own settings, not connected here.
  const connectable = connectorKinds.filter((kind) => (configuredConnector(services, kind)?.reads ?? 'parts') === 'parts')
  return connectable.map((kind) => {
    const connector = configuredConnector(services, kind)
    return {
      kind,
      name: connector?.displayName ?? NETWORK_NAMES[kind] ?? kind,
      configured:
        connector?.authorizeUrl !== undefined ||
        connector?.delegatedAuthorization !== undefined ||
        connector?.connectWithAppPassword !== undefined ||
        connector?.connectWithToken !== undefined,
      needsServer: connector?.prepareAuthorization !== undefined,
      serverField: connector?.connectField
        ? { label: connector.connectField.label, description: connector.connectField.description, placeholder: connector.connectField.placeholder ?? null }
        : null,
      appPasswords: connector?.appPasswords ?? null,
      tokenForm: connector?.tokenForm ?? null,
      delegated: connector?.delegatedAuthorization
        ? { ...connector.delegatedAuthorization.identifierField, placeholder: connector.delegatedAuthorization.identifierField.placeholder ?? null }
        : null,
      setupHelp: connector ? null : setupHelp(services, kind),
    }
  })
}

/**
 * Whether the account's token renews without the user: its connector refreshes, and the network gave
 * this account a refresh token (LinkedIn grants them to approved apps only; without one the 60-day
 * token runs out and the page says to reconnect before then).
 */
async function renewsItself(services: Services, account: AccountSummary): Promise<boolean> {
  if (!configuredConnector(services, account.kind)?.refreshCredentials) return false
  if (!account.expiresAt) return true
  const credentials = await getAccountCredentials(services.database.db, { workspaceId: account.workspaceId, accountId: account.id, keyring: services.keyring })
  return credentials.refreshToken !== undefined
}

function toView(services: Services, account: AccountSummary, renews: boolean): AccountView {
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
    renewsItself: renews,
    mediaWarning: mediaWarning(services, connector),
  }
}

function mediaWarning(services: Services, connector: Connector | null): string | null {
  if (!connector?.fetchesMediaFromUrl) return null
  const availability = publicMediaAvailability(services.config)
  return availability.ok ? null : `Posts with images or videos cannot go to ${connector.displayName}. ${availability.reason}.`
}

export async function loadAccountsPage(services: Services, args: { workspaceId: string }) {
  const accounts = await listAccounts(services.database.db, args)
  const views = await Promise.all(accounts.map(async (a) => toView(services, a, await renewsItself(services, a))))
  return { accounts: views, networks: networkViews(services) }
}

export async function findAccountView(services: Services, args: { workspaceId: string; accountId: string }): Promise<AccountView | null> {
  const account = await getAccount(services.database.db, args)
  return account ? toView(services, account, await renewsItself(services, account)) : null
}

/** A started authorization as the callback needs it back: which network, for whom, and the connector's pending state. */
export type PendingConnection = { kind: string; workspaceId: string; userId: string; pending: PendingAuthorization }

/**
 * Start connecting (or reconnecting) an account: returns the network's authorization URL and the
 * pending connection to keep until the callback. `server` is the user's own server for networks that
 * need one; a reconnect takes it from the stored credentials. Null when the account is not in the workspace.
 */
export async function startAccountConnection(
  services: Services,
  args: { workspaceId: string; userId: string } & ({ kind: string; server?: string } | { accountId: string }),
): Promise<{ url: string; connection: PendingConnection } | null> {
  let kind: string
  let server: string | undefined
  if ('accountId' in args) {
    const account = await getAccount(services.database.db, { workspaceId: args.workspaceId, accountId: args.accountId })
    if (!account) return null
    kind = account.kind
    const credentials = await getAccountCredentials(services.database.db, { ...args, accountId: account.id, keyring: services.keyring })
    // A Mastodon instance, or what a connector's own connect field chose (a Pinterest board, a subreddit).
    server = credentials.extra?.instanceUrl ?? credentials.extra?.server
  } else {
    kind = args.kind
    server = args.server || undefined
  }
  const connector = configuredConnector(services, kind)
  if (connector?.connectWithToken && !connector.authorizeUrl) {
    throw new InputError('form', `${connector.displayName} connects with the values in its form: fill them in and press Connect ${connector.displayName}.`)
  }
  if (connector?.delegatedAuthorization) return startDelegatedConnection(services, { ...args, kind, connector, identifier: server })
  if (connector?.connectWithAppPassword && !connector.authorizeUrl) {
    throw new InputError('appPassword', `${connector.displayName} connects with an app password: enter your handle and an app password in its form.`)
  }
  if (!connector?.authorizeUrl) {
    // Not under the `kind` field: the page offers no form for a network that is not configured.
    const name = connector?.displayName ?? NETWORK_NAMES[kind as ConnectorKind] ?? kind
    throw new InputError(undefined, `${name} is not configured on this server. ${setupHelp(services, kind) ?? ''}`.trim())
  }
  if (connector.prepareAuthorization && !server) {
    throw new InputError('server', connector.connectField?.missing ?? `Enter the address of your ${connector.displayName} server, e.g. https://mastodon.social`)
  }
  let started: Awaited<ReturnType<typeof startAuthorization>>
  try {
    started = await startAuthorization({ connector, redirectUri: callbackUrl(services, kind), server, now: services.clock.now() })
  } catch (error) {
    // A refused address, or one message for every failure to talk to the server: the answer never tells
    // an open port from a closed one (ASVS V1.3.6). An address the connector cannot use says why.
    // (By name: the web process's Remix build holds its own copy of the ConnectorError class.)
    const reason = isAddressNotAllowed(error)
      ? ADDRESS_NOT_ALLOWED
      : isConnectorError(error) || (error as Error).name === 'ConnectorError'
        ? `${SERVER_UNREACHABLE} as a ${connector.displayName} server`
        : (error as Error).message.replace(/^[\w.]+: /, '')
    if (connector.connectField) throw new InputError('server', `${reason.charAt(0).toUpperCase()}${reason.slice(1)}.`)
    throw new InputError('server', `Could not start connecting to ${server ?? connector.displayName}: ${reason}. Check the address and try again.`)
  }
  return { url: started.url, connection: { kind, workspaceId: args.workspaceId, userId: args.userId, pending: started.pending } }
}

const START_AGAIN = 'Nothing was connected. Go back to Accounts and press Connect again.'

/**
 * Finish a connection when the network redirects back: `connection` is the pending connection this
 * session kept (null when none could be opened). It must match the `state` in `params` (single use:
 * the caller forgets it on every outcome), be under 10 minutes old, and belong to the current
 * workspace and user. Then the code is exchanged and the account is stored with sealed credentials.
 */
export async function finishAccountConnection(
  services: Services,
  args: { kind: string; workspaceId: string; userId: string; params: URLSearchParams; connection: PendingConnection | null },
): Promise<AccountSummary> {
  const connector = configuredConnector(services, args.kind)
  if (!connector?.completeAuthorization && !connector?.delegatedAuthorization) throw new InputError(undefined, 'There is no such network to connect.', { status: 404 })
  const params = args.params
  const pending = args.connection
  // A delegated authorization's `state` is its library's own key: ours comes back from the library.
  const state = connector.delegatedAuthorization ? (pending?.pending.state ?? null) : params.get('state')
  const rejection = checkAuthorizationState({ pending: pending?.pending, state, now: services.clock.now() })
  if (rejection || !pending) {
    const why = !pending
      ? 'This connection link was already used, or it was started in another browser or before you last logged in.'
      : rejection === 'authorization expired, start again'
        ? 'This connection took longer than 10 minutes to come back.'
        : 'This connection link does not belong to the connection you started in this browser.'
    throw new InputError(undefined, `${why} ${START_AGAIN}`)
  }
  if (pending.kind !== args.kind || pending.workspaceId !== args.workspaceId || pending.userId !== args.userId) {
    throw new InputError(undefined, `You switched workspace or network while connecting. ${START_AGAIN}`)
  }
  const denied = params.get('error')
  if (denied) {
    const description = params.get('error_description')
    throw new InputError(undefined, `${connector.displayName} did not grant access (${denied}${description ? `: ${description}` : ''}). ${START_AGAIN}`)
  }
  const code = params.get('code')
  if (!code) throw new InputError(undefined, `${connector.displayName} sent no authorization code. ${START_AGAIN}`)
  if (connector.delegatedAuthorization) {
    const authorized = await completeDelegatedConnection(services, { connector, params, appState: pending.pending.state })
    return storeAuthorizedAccount(services, { workspaceId: args.workspaceId, userId: args.userId, kind: args.kind, authorized })
  }
  let authorized: Awaited<ReturnType<NonNullable<Connector['completeAuthorization']>>>
  try {
    authorized = await connector.completeAuthorization!({
      redirectUri: pending.pending.redirectUri,
      code,
      codeVerifier: pending.pending.codeVerifier,
      context: pending.pending.context,
    })
  } catch (error) {
    if (!isConnectorError(error)) throw error
    const retryable = error.kind === 'transient' || error.kind === 'rate-limited' || error.kind === 'unknown-outcome'
    throw new InputError(undefined, `${connector.displayName} did not accept the authorization: ${error.message}. ${retryable ? 'It may be a temporary problem. ' : ''}${START_AGAIN}`, { status: retryable ? 502 : 400 })
  }
  return storeAuthorizedAccount(services, { workspaceId: args.workspaceId, userId: args.userId, kind: args.kind, authorized })
}

/**
 * Start a delegated authorization (Bluesky OAuth, decision 115): the library resolves the account's
 * server, pushes the request (PAR) and keeps its PKCE verifier and DPoP key in its state store; this
 * browser session keeps `appState`, which the library hands back at the callback.
 */
async function startDelegatedConnection(
  services: Services,
  args: { workspaceId: string; userId: string; kind: string; connector: Connector; identifier?: string },
): Promise<{ url: string; connection: PendingConnection }> {
  const { connector } = args
  const delegated = connector.delegatedAuthorization!
  const identifier = args.identifier?.trim()
  if (!identifier) throw new InputError('server', `Enter your ${connector.displayName} handle, e.g. ${delegated.identifierField.placeholder ?? 'alice.example.com'}`)
  const appState = createOAuthState()
  let url: string
  try {
    url = await delegated.start({ identifier, appState })
  } catch (error) {
    const reason = isAddressNotAllowed(error) ? ADDRESS_NOT_ALLOWED : (error as Error).message.replace(/^[\w.]+: /, '')
    throw new InputError('server', `Could not start connecting ${identifier}: ${reason}. Check the handle and try again.`)
  }
  const now = services.clock.now()
  const pending = { state: appState, codeVerifier: '', redirectUri: callbackUrl(services, args.kind), expiresAt: new Date(now.getTime() + AUTHORIZATION_LIFETIME_MS) }
  return { url, connection: { kind: args.kind, workspaceId: args.workspaceId, userId: args.userId, pending } }
}

/** The library exchanges the code (its own state, PKCE and DPoP); the app state it returns must be this session's. */
async function completeDelegatedConnection(services: Services, args: { connector: Connector; params: URLSearchParams; appState: string }): Promise<AuthorizedAccount> {
  const { connector } = args
  let completed: Awaited<ReturnType<NonNullable<Connector['delegatedAuthorization']>['complete']>>
  try {
    completed = await connector.delegatedAuthorization!.complete(args.params)
  } catch (error) {
    const message = (error as Error).message
    throw new InputError(undefined, `${connector.displayName} did not accept the authorization: ${message}. ${START_AGAIN}`, { status: isConnectorError(error) && error.kind === 'transient' ? 502 : 400 })
  }
  if (completed.appState !== args.appState) {
    throw new InputError(undefined, `This connection link does not belong to the connection you started in this browser. ${START_AGAIN}`)
  }
  return completed.account
}

/**
 * Store an account the network authorized, with sealed credentials: a new one, or the workspace's account
 * with the same remote id (reconnected: its credentials replaced, no second row). Audited either way.
 */
export async function storeAuthorizedAccount(
  services: Services,
  args: { workspaceId: string; userId: string; kind: string; authorized: AuthorizedAccount },
): Promise<AccountSummary> {
  const { authorized } = args
  const known = await listAccounts(services.database.db, { workspaceId: args.workspaceId })
  const account = await storeOne(services, { ...args, known })
  for (const also of authorized.alsoAuthorized ?? []) await storeOne(services, { ...args, authorized: also, known })
  return account
}

async function storeOne(
  services: Services,
  args: { workspaceId: string; userId: string; kind: string; authorized: AuthorizedAccount; known: AccountSummary[] },
): Promise<AccountSummary> {
  const { authorized, known } = args
  const account = await connectAccount(services.database.db, {
    workspaceId: args.workspaceId,
    kind: args.kind,
    remoteAccountId: authorized.remoteAccountId,
    handle: authorized.handle,
    displayName: authorized.displayName,
    maxPostLength: authorized.maxPostLength,
    limits: authorized.limits,
    credentials: authorized.credentials,
    keyring: services.keyring,
    clock: services.clock,
  })
  await recordAuditEvent(services, {
    workspaceIds: args.workspaceId,
    kind: known.some((a) => a.id === account.id) ? 'account.reconnected' : 'account.connected',
    actorUserId: args.userId,
    target: { type: 'account', id: account.id },
    detail: { network: account.kind, handle: account.handle },
  })
  return account
}

export async function disconnectAccount(services: Services, args: { workspaceId: string; accountId: string; actorUserId: string }): Promise<boolean> {
  const db = services.database.db
  const account = await getAccount(db, { workspaceId: args.workspaceId, accountId: args.accountId })
  if (!account || !(await deleteAccount(db, { workspaceId: args.workspaceId, accountId: args.accountId }))) return false
  await recordAuditEvent(services, {
    workspaceIds: args.workspaceId,
    kind: 'account.disconnected',
    actorUserId: args.actorUserId,
    target: { type: 'account', id: account.id },
    detail: { network: account.kind, handle: account.handle },
  })
  return true
}

/** The client-metadata document and JWKS a network's delegated authorization serves, or null where it has none on this server. */
export function delegatedClientDocuments(services: Services, kind: string): { clientMetadata: Record<string, unknown>; jwks: { keys: Array<Record<string, string>> } } | null {
  const delegated = configuredConnector(services, kind)?.delegatedAuthorization
  return delegated ? { clientMetadata: delegated.clientMetadata, jwks: delegated.jwks } : null
}
