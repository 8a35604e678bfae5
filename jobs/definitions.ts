import type { Agenda } from 'agenda'
import { ConnectorError, type Connector } from '../connectors/types'
import type { Db } from '../db/client'
import { ensureFreshCredentials, refreshAccountCredentials } from '../core/credentials.server'
import { getAccountWithCredentials, reservePostQuota } from '../db/queries/accounts'
import type { Clock } from '../domain/clock'
import type { Keyring } from '../db/vault'
import { definePublishDelivery, type PipelineDeps, type PublishTarget } from './publish-delivery'
import { DEFAULT_RECONCILE_EVERY_MS, RECONCILE_DELIVERIES_JOB, defineReconcileDeliveries, reconcileDeliveries, type ReconcileDeps } from './reconcile-deliveries'

export type JobDeps = ReconcileDeps & {
  /** Publish jobs one worker runs at once. Default 10. */
  publishConcurrency?: number
  reconcileEveryMs?: number
}

/** Register every job of the publishing pipeline. Then call startPipeline once Agenda runs. */
export function defineJobs(agenda: Agenda, deps: JobDeps): void {
  definePublishDelivery(agenda, deps, { concurrency: deps.publishConcurrency })
  defineReconcileDeliveries(agenda, deps)
}

/**
 * Schedule the reconciler and run one pass now: deliveries that came due while no worker ran go out
 * (or become `missed`) right after a worker starts, and expired claims are recovered.
 */
export async function startPipeline(agenda: Agenda, deps: JobDeps): Promise<void> {
  // Workers starting together all upsert the one recurring job; a busy store (FerretDB on SQLite answers
  // SQLITE_BUSY under contention) gets a few more tries.
  for (let attempt = 1; ; attempt++) {
    try {
      await agenda.every(deps.reconcileEveryMs ?? DEFAULT_RECONCILE_EVERY_MS, RECONCILE_DELIVERIES_JOB, undefined, { skipImmediate: true })
      break
    } catch (error) {
      if (attempt === 5) throw error
      await new Promise((resolve) => setTimeout(resolve, 100 * attempt))
    }
  }
  await reconcileDeliveries(deps)
}

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
      if (posts > 0) await reservePostQuota(db, { connector, workspaceId, accountId, posts, clock })
      return { connector, credentials }
    },
    refreshCredentials: ({ workspaceId, accountId, connector, staleAccessToken }) =>
      refreshAccountCredentials({ db, keyring, connector, workspaceId, accountId, staleAccessToken, clock }),
  }
}
