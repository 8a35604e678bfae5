import { and, desc, eq, lt, or } from 'drizzle-orm'
import type { DbOrTx } from '../client'
import { auditEvents, memberships, users } from '../schema'

/** The audit log's rows (core/audit.server.ts decides what goes in). Every read is scoped to a workspace. */

export type AuditEventRow = typeof auditEvents.$inferInsert

/** Append events (one per workspace they concern). */
export async function insertAuditEvents(db: DbOrTx, rows: AuditEventRow[]): Promise<void> {
  if (rows.length > 0) await db.insert(auditEvents).values(rows)
}

/** Where the previous page ended: events strictly older than this (time, then id) come next. */
export type AuditCursor = { at: Date; id: number }

/**
 * One page of a workspace's events, newest first, with the actor's email and name. Keyset paging on
 * (at, id) descending (the workspace-and-time index), so a page costs the same however deep it is.
 */
export async function listAuditEvents(
  db: DbOrTx,
  args: { workspaceId: string; kind?: string; actorUserId?: string; before?: AuditCursor; limit: number },
) {
  const { before } = args
  return db
    .select({
      id: auditEvents.id,
      kind: auditEvents.kind,
      actorUserId: auditEvents.actorUserId,
      actorEmail: users.email,
      actorName: users.name,
      targetType: auditEvents.targetType,
      targetId: auditEvents.targetId,
      ip: auditEvents.ip,
      userAgent: auditEvents.userAgent,
      detail: auditEvents.detail,
      at: auditEvents.at,
    })
    .from(auditEvents)
    .leftJoin(users, eq(users.id, auditEvents.actorUserId))
    .where(
      and(
        eq(auditEvents.workspaceId, args.workspaceId),
        args.kind ? eq(auditEvents.kind, args.kind) : undefined,
        args.actorUserId ? eq(auditEvents.actorUserId, args.actorUserId) : undefined,
        before ? or(lt(auditEvents.at, before.at), and(eq(auditEvents.at, before.at), lt(auditEvents.id, before.id))) : undefined,
      ),
    )
    .orderBy(desc(auditEvents.at), desc(auditEvents.id))
    .limit(args.limit)
}

/** The workspaces a user belongs to (their account's events are recorded in each). */
export async function listWorkspaceIdsOfUser(db: DbOrTx, args: { userId: string }): Promise<string[]> {
  const rows = await db.select({ workspaceId: memberships.workspaceId }).from(memberships).where(eq(memberships.userId, args.userId))
  return rows.map((r) => r.workspaceId)
}

/** Events older than `before`, in every workspace (retention). */
export async function pruneAuditEvents(db: DbOrTx, args: { before: Date }): Promise<number> {
  const rows = await db.delete(auditEvents).where(lt(auditEvents.at, args.before)).returning({ id: auditEvents.id })
  return rows.length
}
