import { and, eq, inArray, sql } from 'drizzle-orm'
import type { DbOrTx } from '../client'
import { contacts, suppressions, type ContactStatus, type SuppressionReason } from '../schema'

const STATUS_FOR: Record<SuppressionReason, ContactStatus> = {
  unsubscribed: 'unsubscribed',
  hard_bounce: 'bounced',
  complaint: 'complained',
  manual: 'unsubscribed',
}

/**
 * Put an address on the workspace's suppression list (idempotent: the first reason stays, except that
 * a bounce or a complaint replaces an unsubscribe, which could be lifted) and move its contact, if
 * any, to the matching status. Call inside the caller's transaction when other writes must go with it.
 */
export async function suppressAddress(db: DbOrTx, args: { workspaceId: string; email: string; reason: SuppressionReason; detail?: string; at: Date }): Promise<{ created: boolean }> {
  const email = args.email.trim().toLowerCase()
  const insert = db.insert(suppressions).values({ workspaceId: args.workspaceId, email, reason: args.reason, detail: args.detail ?? null, createdAt: args.at })
  const forGood = args.reason === 'hard_bounce' || args.reason === 'complaint'
  const inserted = await (
    forGood
      ? insert.onConflictDoUpdate({
          target: [suppressions.workspaceId, suppressions.email],
          set: { reason: args.reason, detail: args.detail ?? null },
          setWhere: inArray(suppressions.reason, ['unsubscribed', 'manual']),
        })
      : insert.onConflictDoNothing({ target: [suppressions.workspaceId, suppressions.email] })
  )
    // xmax = 0: this statement inserted the row (an escalated unsubscribe is not a new suppression).
    .returning({ id: suppressions.id, inserted: sql<boolean>`xmax = 0` })
  await db
    .update(contacts)
    .set({ status: STATUS_FOR[args.reason], updatedAt: args.at })
    .where(and(eq(contacts.workspaceId, args.workspaceId), eq(contacts.email, email)))
  return { created: inserted.some((r) => r.inserted) }
}

export async function isSuppressed(db: DbOrTx, args: { workspaceId: string; email: string }): Promise<boolean> {
  const [row] = await db
    .select({ id: suppressions.id })
    .from(suppressions)
    .where(and(eq(suppressions.workspaceId, args.workspaceId), eq(suppressions.email, args.email.trim().toLowerCase())))
    .limit(1)
  return row !== undefined
}

export type Suppression = typeof suppressions.$inferSelect

export async function getSuppression(db: DbOrTx, args: { workspaceId: string; email: string }): Promise<Suppression | null> {
  const [row] = await db
    .select()
    .from(suppressions)
    .where(and(eq(suppressions.workspaceId, args.workspaceId), eq(suppressions.email, args.email.trim().toLowerCase())))
  return row ?? null
}

/** Remove an unsubscribe (the person opted back in, or an editor undid a manual one). Bounces and complaints are never lifted this way. */
export async function liftUnsubscribe(db: DbOrTx, args: { workspaceId: string; email: string }): Promise<boolean> {
  const removed = await db
    .delete(suppressions)
    .where(and(eq(suppressions.workspaceId, args.workspaceId), eq(suppressions.email, args.email.trim().toLowerCase()), inArray(suppressions.reason, ['unsubscribed', 'manual'])))
    .returning({ id: suppressions.id })
  return removed.length > 0
}
