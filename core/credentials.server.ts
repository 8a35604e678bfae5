import { ConnectorError, type Connector, type Credentials } from '../connectors/types'
import type { Db } from '../db/client'
import { getAccountCredentials, lockAccountCredentials, setAccountStatus, storeCredentials } from '../db/queries/accounts'
import type { Keyring } from '../db/vault'
import type { Clock } from '../domain/clock'

export type RefreshArgs = {
  db: Db
  keyring: Keyring
  connector: Pick<Connector, 'refreshCredentials'>
  workspaceId: string
  accountId: string
  /** The access token the caller found wanting (expired, or rejected with `auth`). */
  staleAccessToken: string
  clock: Clock
}

/**
 * Refresh an account's credentials at most once across every process (refresh tokens are single-use on
 * X: a second use revokes the whole token family). The account row is locked for the duration; a caller
 * that finds a different access token stored than the stale one it holds knows someone else already
 * refreshed and takes that one. Only `disconnected` (invalid_grant) marks the account `reconnect_needed`.
 *
 * Works on the embedded single-connection engine too: everything inside runs on the transaction, and
 * PGlite queues concurrent transactions instead of interleaving them.
 */
export async function refreshAccountCredentials(args: RefreshArgs): Promise<Credentials> {
  const { db, connector } = args
  const refresh = connector.refreshCredentials?.bind(connector)
  const outcome = await db.transaction(async (tx): Promise<{ credentials: Credentials } | { error: unknown }> => {
    const locked = await lockAccountCredentials(tx, args)
    if (!locked) throw new Error(`accountId: no account ${args.accountId} in this workspace`)
    if (locked.status !== 'connected') {
      return { error: new ConnectorError('disconnected', `account ${args.accountId} needs to be reconnected (${locked.status})`) }
    }
    const stored = locked.credentials
    if (stored.accessToken !== args.staleAccessToken) return { credentials: stored }
    if (!refresh || !stored.refreshToken) {
      return { error: new ConnectorError('auth', `account ${args.accountId} has no way to refresh its credentials`) }
    }
    try {
      const fresh = await refresh(stored)
      return { credentials: await storeCredentials(tx, { ...args, credentials: fresh }) }
    } catch (error) {
      if (error instanceof ConnectorError && error.kind === 'disconnected') {
        await setAccountStatus(tx, { ...args, status: 'reconnect_needed', reason: error.message })
      }
      return { error }
    }
  })
  if ('error' in outcome) throw outcome.error
  return outcome.credentials
}

/** Credentials good for at least `marginMs` more (default 5 minutes), refreshing ahead of expiry. */
export async function ensureFreshCredentials(
  args: Omit<RefreshArgs, 'staleAccessToken'> & { marginMs?: number; /** Already read (saves the read). */ current?: Credentials },
): Promise<Credentials> {
  const current = args.current ?? (await getAccountCredentials(args.db, args))
  const margin = args.marginMs ?? 5 * 60_000
  if (!current.expiresAt || current.expiresAt.getTime() - args.clock.now().getTime() > margin) return current
  if (!args.connector.refreshCredentials || !current.refreshToken) return current
  return refreshAccountCredentials({ ...args, staleAccessToken: current.accessToken })
}

/**
 * Run a network call with the account's credentials: refreshed ahead of expiry, and on an `auth` answer
 * refreshed once (single-flight) and tried again. Safe for writes: an `auth` answer means nothing applied.
 */
export async function withAccountCredentials<T>(
  args: Omit<RefreshArgs, 'staleAccessToken'>,
  run: (credentials: Credentials) => Promise<T>,
): Promise<T> {
  const credentials = await ensureFreshCredentials(args)
  try {
    return await run(credentials)
  } catch (error) {
    if (!(error instanceof ConnectorError) || error.kind !== 'auth' || !args.connector.refreshCredentials) throw error
    const refreshed = await refreshAccountCredentials({ ...args, staleAccessToken: credentials.accessToken })
    return run(refreshed)
  }
}
