import { and, asc, eq, sql } from 'drizzle-orm'
import type { DbOrTx } from '../client'
import { memberships, users, workspaces, type Role } from '../schema'
import { insertDefaultScoreRules } from './score-rules'

export async function createWorkspace(db: DbOrTx, args: { name: string; ownerUserId: string; timezone?: string }) {
  const [workspace] = await db.insert(workspaces).values({ name: args.name, timezone: args.timezone }).returning()
  await db.insert(memberships).values({ workspaceId: workspace!.id, userId: args.ownerUserId, role: 'owner' })
  await insertDefaultScoreRules(db, { workspaceId: workspace!.id, at: workspace!.createdAt })
  return workspace!
}

export async function getWorkspace(db: DbOrTx, args: { workspaceId: string }) {
  const [row] = await db.select().from(workspaces).where(eq(workspaces.id, args.workspaceId)).limit(1)
  return row ?? null
}

export async function updateWorkspace(db: DbOrTx, args: { workspaceId: string; name?: string; timezone?: string }) {
  const [row] = await db
    .update(workspaces)
    .set({ name: args.name, timezone: args.timezone })
    .where(eq(workspaces.id, args.workspaceId))
    .returning()
  return row ?? null
}

/** The workspaces a user belongs to, oldest membership first. */
export async function listWorkspacesOfUser(db: DbOrTx, args: { userId: string }) {
  return db
    .select({ workspaceId: workspaces.id, name: workspaces.name, role: memberships.role, membershipId: memberships.id })
    .from(memberships)
    .innerJoin(workspaces, eq(workspaces.id, memberships.workspaceId))
    .where(eq(memberships.userId, args.userId))
    .orderBy(asc(memberships.createdAt), asc(workspaces.name))
}

export async function getMembershipOfUser(db: DbOrTx, args: { workspaceId: string; userId: string }) {
  const [row] = await db
    .select()
    .from(memberships)
    .where(and(eq(memberships.workspaceId, args.workspaceId), eq(memberships.userId, args.userId)))
    .limit(1)
  return row ?? null
}

const memberColumns = {
  id: memberships.id,
  userId: users.id,
  email: users.email,
  name: users.name,
  role: memberships.role,
  createdAt: memberships.createdAt,
}

export async function listMembers(db: DbOrTx, args: { workspaceId: string }) {
  return db
    .select(memberColumns)
    .from(memberships)
    .innerJoin(users, eq(users.id, memberships.userId))
    .where(eq(memberships.workspaceId, args.workspaceId))
    .orderBy(asc(users.name), asc(users.email))
}

export async function getMember(db: DbOrTx, args: { workspaceId: string; membershipId: string }) {
  const [row] = await db
    .select(memberColumns)
    .from(memberships)
    .innerJoin(users, eq(users.id, memberships.userId))
    .where(and(eq(memberships.workspaceId, args.workspaceId), eq(memberships.id, args.membershipId)))
    .limit(1)
  return row ?? null
}

export async function countOwners(db: DbOrTx, args: { workspaceId: string }): Promise<number> {
  const [row] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(memberships)
    .where(and(eq(memberships.workspaceId, args.workspaceId), eq(memberships.role, 'owner')))
  return row?.n ?? 0
}

export async function setMemberRole(db: DbOrTx, args: { workspaceId: string; membershipId: string; role: Role }) {
  const [row] = await db
    .update(memberships)
    .set({ role: args.role })
    .where(and(eq(memberships.workspaceId, args.workspaceId), eq(memberships.id, args.membershipId)))
    .returning()
  return row ?? null
}

export async function removeMember(db: DbOrTx, args: { workspaceId: string; membershipId: string }): Promise<boolean> {
  const rows = await db
    .delete(memberships)
    .where(and(eq(memberships.workspaceId, args.workspaceId), eq(memberships.id, args.membershipId)))
    .returning({ id: memberships.id })
  return rows.length > 0
}

/** Adds the user with `role`; an existing membership keeps its role. */
export async function addMember(db: DbOrTx, args: { workspaceId: string; userId: string; role: Role }) {
  await db.insert(memberships).values(args).onConflictDoNothing({ target: [memberships.workspaceId, memberships.userId] })
  return getMembershipOfUser(db, args)
}
