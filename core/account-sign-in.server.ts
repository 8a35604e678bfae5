import { ADDRESS_NOT_ALLOWED, isAddressNotAllowed, SERVER_UNREACHABLE } from '../connectors/net-guard'
import { isConnectorError, type AuthorizedAccount, type Connector, type ConnectorError } from '../connectors/types'
import { getAccount, getAccountCredentials, type AccountSummary } from '../db/queries/accounts'
import { configuredConnector, storeAuthorizedAccount } from './accounts.server'
import { InputError } from './errors'
import type { Services } from './services.server'

/**
 * Connecting an account with an app password typed into the Accounts page (Bluesky), for networks whose
 * connector signs in without a redirect (`connectWithAppPassword`). The app password is used for that one
 * sign-in and never stored: only the session the network returns is, sealed like every other network's
 * tokens. Signing in again as the same account (same remote id, a Bluesky DID) replaces its tokens.
 */

/** The connector's names for its arguments → the Accounts form's fields. */
const FIELDS: Record<string, string> = { service: 'server', identifier: 'identifier', appPassword: 'appPassword' }

export async function signInWithAppPassword(
  services: Services,
  args: { workspaceId: string; userId: string; kind: string; identifier: string; appPassword: string; server?: string },
): Promise<AccountSummary> {
  const connector = configuredConnector(services, args.kind)
  if (!connector?.connectWithAppPassword) throw new InputError('kind', `${connector?.displayName ?? args.kind} does not connect with an app password.`)
  let authorized: AuthorizedAccount
  try {
    authorized = await connector.connectWithAppPassword({ service: args.server || undefined, identifier: args.identifier, appPassword: args.appPassword })
  } catch (error) {
    throw signInError(services, connector, args.server || connector.appPasswords?.defaultServer || connector.displayName, error)
  }
  return storeAuthorizedAccount(services, { workspaceId: args.workspaceId, userId: args.userId, kind: args.kind, authorized })
}

/** What the Accounts form shows when an app-password account is reconnected: its handle and server, for a new app password. */
export async function appPasswordReconnection(
  services: Services,
  args: { workspaceId: string; accountId: string },
): Promise<{ kind: string; identifier: string; server: string } | null> {
  const account = await getAccount(services.database.db, args)
  if (!account || !configuredConnector(services, account.kind)?.connectWithAppPassword) return null
  const credentials = await getAccountCredentials(services.database.db, { ...args, keyring: services.keyring })
  return { kind: account.kind, identifier: account.handle, server: credentials.extra?.service ?? '' }
}

/**
 * A failed sign-in as an error under the field at fault. Every failure to talk to the server reads the
 * same (an open port that is no PDS, a closed one, a 5xx), so the form cannot probe ports (ASVS V1.3.6).
 */
function signInError(services: Services, connector: Connector, server: string, error: unknown): InputError {
  const name = connector.displayName
  // By name too: the web process's Remix build holds its own copy of the ConnectorError class.
  const failure = isConnectorError(error) || (error as Error | null)?.name === 'ConnectorError' ? (error as ConnectorError) : null
  const named = /^(\w+): ([\s\S]*)$/.exec((error as Error | null)?.message ?? '')
  if (named && FIELDS[named[1]!] && (!failure || failure.kind === 'auth')) return new InputError(FIELDS[named[1]!], named[2]!)
  if (!failure) throw error
  if (isAddressNotAllowed(error) || failure.detail?.code === 'EADDRNOTALLOWED') {
    return new InputError('server', `Could not sign in at ${server}: ${ADDRESS_NOT_ALLOWED}. Check the address and try again.`)
  }
  if (failure.kind === 'rate-limited') {
    const now = services.clock.now()
    const at = failure.resetAt && failure.resetAt > now ? failure.resetAt : null
    const when = at ? `after ${at.toISOString().slice(11, 16)} UTC (in ${Math.max(1, Math.ceil((at.getTime() - now.getTime()) / 60_000))} min)` : 'in a few minutes'
    return new InputError('form', `${name} is limiting sign-ins for now: try again ${when}.`, { status: 429 })
  }
  const status = failure.detail?.status
  if (failure.kind === 'auth' && (status === 401 || status === 403)) {
    return new InputError('appPassword', `${name} refused the handle or app password. Check both (an app password looks like xxxx-xxxx-xxxx-xxxx) and try again.`)
  }
  if (failure.kind === 'disconnected') {
    return new InputError('identifier', `${name} says this account cannot be used (${failure.detail?.code ?? 'unavailable'}): sign in on ${name} itself to see why.`)
  }
  return new InputError('server', `Could not sign in at ${server}: ${SERVER_UNREACHABLE} as a ${name} server. Check the address and try again.`)
}
