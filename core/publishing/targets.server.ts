import { getConnector } from '../../connectors/registry'
import { ConnectorError, type Connector } from '../../connectors/types'
import type { Db } from '../../db/client'
import { getAccountWithCredentials, reservePostQuota } from '../../db/queries/accounts'
import type { Keyring } from '../../db/vault'
import type { Clock } from '../../domain/clock'
import { deliveryScheduler } from '../../jobs/enqueue'
import { ensureFreshCredentials, refreshAccountCredentials } from '../credentials.server'
import type { Services } from '../services.server'
import type { PipelineDeps, PublishTarget } from './publish.server'
import type { ReconcileDeps } from './reconcile.server'

/**
 * resolveTarget and refreshCredentials over the accounts table: the account's connector (by kind) and
 * its decrypted credentials; an account that is not connected cannot publish.
 */
export function accountTargets(args: {
  db: Db
  keyring: Keyring
  clock: Clock
  connectorFor(kind: string): Connector
}): Pick<PipelineDeps, 'resolveTarget' | 'refreshCredentials'> {
  const { db, keyring, clock } = args
  return {
    async resolveTarget({ workspaceId, accountId, posts }): Promise<PublishTarget> {
      const found = await getAccountWithCredentials(db, { workspaceId, accountId, keyring })
      if (!found) throw new ConnectorError('disconnected', `account ${accountId} no longer exists`)
      const { account } = found
      if (account.status !== 'connected') throw new ConnectorError('disconnected', `account @${account.handle} needs to be reconnected`)
      const connector = args.connectorFor(account.kind)
      // Refreshed ahead of expiry (single-flight); a spent app or workspace budget throws rate-limited.
      const credentials = await ensureFreshCredentials({ db, keyring, connector, workspaceId, accountId, clock, current: found.credentials })
      const count = typeof posts === 'function' ? posts(account.kind) : posts
      if (count > 0) await reservePostQuota(db, { connector, workspaceId, accountId, posts: count, clock })
      return { connector, credentials }
    },
    refreshCredentials: ({ workspaceId, accountId, connector, staleAccessToken }) =>
      refreshAccountCredentials({ db, keyring, connector, workspaceId, accountId, staleAccessToken, clock }),
  }
}

/** The dependencies of the publishing pipeline (publish and reconcile), built from the process's services. */
export function pipelineDeps(services: Services): ReconcileDeps {
  const { db } = services.database
  return {
    db,
    clock: services.clock,
    scheduler: deliveryScheduler(services.jobs.agenda),
    dataDir: services.config.DATA_DIR,
    appUrl: services.config.APP_URL,
    publicMedia: services.config,
    ...accountTargets({ db, keyring: services.keyring, clock: services.clock, connectorFor: (kind) => getConnector(services.connectors, kind) }),
  }
}
