import { and, asc, eq, inArray, isNull, or } from 'drizzle-orm'
import type { DbOrTx } from '../client'
import { accounts, deliveries, notificationSettings, sequences, workspaces } from '../schema'

export type NotificationSettings = { emailOnProblems: boolean; extraRecipients: string[] }

const DEFAULTS: NotificationSettings = { emailOnProblems: true, extraRecipients: [] }

export async function getNotificationSettings(db: DbOrTx, args: { workspaceId: string }): Promise<NotificationSettings> {
  const [row] = await db
    .select({ emailOnProblems: notificationSettings.emailOnProblems, extraRecipients: notificationSettings.extraRecipients })
    .from(notificationSettings)
    .where(eq(notificationSettings.workspaceId, args.workspaceId))
  return row ?? DEFAULTS
}

export async function saveNotificationSettings(db: DbOrTx, args: { workspaceId: string; settings: NotificationSettings; at: Date }): Promise<void> {
  await db
    .insert(notificationSettings)
    .values({ workspaceId: args.workspaceId, ...args.settings, updatedAt: args.at })
    .onConflictDoUpdate({ target: notificationSettings.workspaceId, set: { ...args.settings, updatedAt: args.at } })
}

export type UnnotifiedProblem = {
  id: string
  workspaceId: string
  workspaceName: string
  seriesName: string
  /** `series` (a post) or `drip` (an email step: summarised by count, never listed by address). */
  kind: string
  accountHandle: string | null
  state: string
  dueAt: Date
  lastError: string | null
}

/**
 * Settled problems nobody was emailed about yet: failed, missed, and needs-review deliveries a person must
 * decide (no automatic lookup pending). Oldest first, across workspaces.
 */
export async function findUnnotifiedProblems(db: DbOrTx, args: { limit: number }): Promise<UnnotifiedProblem[]> {
  return db
    .select({
      id: deliveries.id,
      workspaceId: deliveries.workspaceId,
      workspaceName: workspaces.name,
      seriesName: sequences.name,
      kind: sequences.kind,
      accountHandle: accounts.handle,
      state: deliveries.state,
      dueAt: deliveries.dueAt,
      lastError: deliveries.lastError,
    })
    .from(deliveries)
    .innerJoin(workspaces, eq(workspaces.id, deliveries.workspaceId))
    .innerJoin(sequences, eq(sequences.id, deliveries.sequenceId))
    .leftJoin(accounts, eq(accounts.id, deliveries.accountId))
    .where(
      and(
        isNull(deliveries.notifiedAt),
        or(inArray(deliveries.state, ['failed', 'missed']), and(eq(deliveries.state, 'needs_review'), isNull(deliveries.nextAttemptAt))),
      ),
    )
    .orderBy(asc(deliveries.workspaceId), asc(deliveries.dueAt))
    .limit(args.limit)
}

export async function markNotified(db: DbOrTx, args: { workspaceId: string; deliveryIds: string[]; at: Date }): Promise<void> {
  if (args.deliveryIds.length === 0) return
  await db
    .update(deliveries)
    .set({ notifiedAt: args.at })
    .where(and(eq(deliveries.workspaceId, args.workspaceId), inArray(deliveries.id, args.deliveryIds), isNull(deliveries.notifiedAt)))
}
