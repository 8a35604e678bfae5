import { and, eq } from 'drizzle-orm'
import type { DbOrTx } from '../client'
import { deliveries, enrollments } from '../schema'

/** Action steps (decision 079): the row-level writes of an action, always scoped to the workspace. */

/**
 * Inside the action's transaction: lock this attempt's delivery. True only while it is still this
 * attempt's and `publishing`, so an action already recorded (or taken over by another worker) is not applied again.
 */
export async function lockActionDelivery(tx: DbOrTx, args: { workspaceId: string; deliveryId: string; attemptId: string }): Promise<boolean> {
  const rows = await tx
    .select({ id: deliveries.id })
    .from(deliveries)
    .where(and(eq(deliveries.workspaceId, args.workspaceId), eq(deliveries.id, args.deliveryId), eq(deliveries.attemptId, args.attemptId), eq(deliveries.state, 'publishing')))
    .for('update')
  return rows.length > 0
}

/** End the contact's active enrollment in another drip (`exited`, with the reason). */
export async function exitEnrollments(tx: DbOrTx, args: { workspaceId: string; dripId: string; contactId: string; reason: string; at: Date }): Promise<number> {
  const rows = await tx
    .update(enrollments)
    .set({ status: 'exited', endReason: args.reason, endedAt: args.at, nextDueAt: null, claimId: null, claimedUntil: null, updatedAt: args.at })
    .where(and(eq(enrollments.workspaceId, args.workspaceId), eq(enrollments.sequenceId, args.dripId), eq(enrollments.contactId, args.contactId), eq(enrollments.status, 'active')))
    .returning({ id: enrollments.id })
  return rows.length
}
