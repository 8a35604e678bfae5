import { and, desc, eq, gt, isNull } from 'drizzle-orm'
import type { DbOrTx } from '../client'
import { invitations, memberships, workspaces, type Role } from '../schema'

export async function insertInvitation(
  db: DbOrTx,
  args: { workspaceId: string; tokenHash: string; role: Role; createdByUserId: string; expiresAt: Date },
) {
  const [row] = await db.insert(invitations).values(args).returning()
  return row!
}

/** Invitations that can still be accepted, newest first. */
export async function listOpenInvitations(db: DbOrTx, args: { workspaceId: string; now: Date }) {
  return db
    .select({ id: invitations.id, role: invitations.role, expiresAt: invitations.expiresAt, createdAt: invitations.createdAt })
    .from(invitations)
    .where(
      and(
        eq(invitations.workspaceId, args.workspaceId),
        isNull(invitations.acceptedAt),
        isNull(invitations.revokedAt),
        gt(invitations.expiresAt, args.now),
      ),
    )
    .orderBy(desc(invitations.createdAt))
}

export async function revokeInvitation(db: DbOrTx, args: { workspaceId: string; invitationId: string; at: Date }): Promise<boolean> {
  const rows = await db
    .update(invitations)
    .set({ revokedAt: args.at })
    .where(
      and(
        eq(invitations.workspaceId, args.workspaceId),
        eq(invitations.id, args.invitationId),
        isNull(invitations.acceptedAt),
        isNull(invitations.revokedAt),
      ),
    )
    .returning({ id: invitations.id })
  return rows.length > 0
}

/** Unscoped by design: the token is what names the workspace. Returns only an invitation that can be accepted. */
export async function findOpenInvitation(db: DbOrTx, args: { tokenHash: string; now: Date }) {
  const [row] = await db
    .select({ id: invitations.id, workspaceId: invitations.workspaceId, workspaceName: workspaces.name, role: invitations.role, expiresAt: invitations.expiresAt })
    .from(invitations)
    .innerJoin(workspaces, eq(workspaces.id, invitations.workspaceId))
    .where(
      and(
        eq(invitations.tokenHash, args.tokenHash),
        isNull(invitations.acceptedAt),
        isNull(invitations.revokedAt),
        gt(invitations.expiresAt, args.now),
      ),
    )
    .limit(1)
  return row ?? null
}

/**
 * Use the invitation once (the conditional update wins for exactly one caller) and add the membership in
 * the same transaction. Returns null when the link is used, revoked, expired or unknown.
 */
export async function acceptInvitation(db: DbOrTx, args: { tokenHash: string; userId: string; now: Date }) {
  return db.transaction(async (tx) => {
    const [invitation] = await tx
      .update(invitations)
      .set({ acceptedAt: args.now, acceptedByUserId: args.userId })
      .where(
        and(
          eq(invitations.tokenHash, args.tokenHash),
          isNull(invitations.acceptedAt),
          isNull(invitations.revokedAt),
          gt(invitations.expiresAt, args.now),
        ),
      )
      .returning()
    if (!invitation) return null
    await tx
      .insert(memberships)
      .values({ workspaceId: invitation.workspaceId, userId: args.userId, role: invitation.role })
      .onConflictDoNothing({ target: [memberships.workspaceId, memberships.userId] })
    return { workspaceId: invitation.workspaceId, role: invitation.role }
  })
}
