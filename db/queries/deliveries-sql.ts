/**
 * The SQL pieces the delivery query modules share (deliveries.ts, deliveries-publish.ts,
 * deliveries-reconcile.ts): the version bump every write makes, the pending states, and the conditions
 * that scope a row to its workspace or to the attempt holding its claim.
 */
import { and, eq, inArray, sql, type SQL } from 'drizzle-orm'
import { PENDING_STATES } from '../../domain/delivery'
import { deliveries } from '../schema'
import { param } from './prepared'

export const bump = { version: sql`${deliveries.version} + 1` }
export const pending = inArray(deliveries.state, [...PENDING_STATES])

/** A value, or a prepared statement's placeholder (`param('name')`). */
export type Value = string | SQL

export function scoped(args: { workspaceId: Value; deliveryId: Value }): SQL {
  return and(eq(deliveries.workspaceId, args.workspaceId), eq(deliveries.id, args.deliveryId)) as SQL
}

/** `scoped` for prepared statements: values `workspaceId` and `deliveryId`. */
export const scopedPlaceholders = scoped({ workspaceId: param('workspaceId'), deliveryId: param('deliveryId') })

export function holding(args: { deliveryId: Value; attemptId: Value }): SQL {
  return and(eq(deliveries.id, args.deliveryId), eq(deliveries.attemptId, args.attemptId), eq(deliveries.state, 'publishing')) as SQL
}

/** `holding` for prepared statements: values `deliveryId` and `attemptId`. */
export const holdingPlaceholders = holding({ deliveryId: param('deliveryId'), attemptId: param('attemptId') })

/**
 * The parts of a thread known to be at the network (decision 023): the first one becomes the delivery's
 * remote id and url (a url already recorded stays when this one has none).
 */
export type ThreadProgress = { partIds: string[]; url: string | null }

export function threadProgress(progress: ThreadProgress | undefined) {
  if (!progress?.partIds.length) return {}
  return {
    remotePartIds: progress.partIds,
    remoteId: progress.partIds[0]!,
    remoteUrl: sql`coalesce(${progress.url}::text, ${deliveries.remoteUrl})`,
  }
}
