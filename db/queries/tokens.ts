import { and, desc, eq, isNull } from 'drizzle-orm'
import type { DbOrTx } from '../client'
import { apiTokens, memberships, users } from '../schema'

export async function insertApiToken(
  db: DbOrTx,
  args: { workspaceId: string; userId: string; name: string; tokenHash: string; prefix: string },
) {
  const [row] = await db.insert(apiTokens).values(args).returning()
  return row!
}

const tokenColumns = {
  id: apiTokens.id,
  name: apiTokens.name,
  prefix: apiTokens.prefix,
  userId: apiTokens.userId,
  userEmail: users.email,
  lastUsedAt: apiTokens.lastUsedAt,
  revokedAt: apiTokens.revokedAt,
  createdAt: apiTokens.createdAt,
}

/** Tokens of a workspace, newest first; with `userId`, only that user's. */
export async function listApiTokens(db: DbOrTx, args: { workspaceId: string; userId?: string }) {
  return db
    .select(tokenColumns)
    .from(apiTokens)
    .innerJoin(users, eq(users.id, apiTokens.userId))
    .where(and(eq(apiTokens.workspaceId, args.workspaceId), args.userId ? eq(apiTokens.userId, args.userId) : undefined))
    .orderBy(desc(apiTokens.createdAt))
}

export async function getApiToken(db: DbOrTx, args: { workspaceId: string; tokenId: string }) {
  const [row] = await db
    .select(tokenColumns)
    .from(apiTokens)
    .innerJoin(users, eq(users.id, apiTokens.userId))
    .where(and(eq(apiTokens.workspaceId, args.workspaceId), eq(apiTokens.id, args.tokenId)))
    .limit(1)
  return row ?? null
}

export async function revokeApiToken(db: DbOrTx, args: { workspaceId: string; tokenId: string; at: Date }): Promise<boolean> {
  const rows = await db
    .update(apiTokens)
    .set({ revokedAt: args.at })
    .where(and(eq(apiTokens.workspaceId, args.workspaceId), eq(apiTokens.id, args.tokenId), isNull(apiTokens.revokedAt)))
    .returning({ id: apiTokens.id })
  return rows.length > 0
}

/**
 * The one unscoped lookup: authentication, which is how a request learns its workspace. A token works
 * only while it is not revoked and its user is still a member; the member's current role applies.
 */
export async function findActiveApiToken(db: DbOrTx, args: { tokenHash: string }) {
  const [row] = await db
    .select({ tokenId: apiTokens.id, workspaceId: apiTokens.workspaceId, userId: apiTokens.userId, role: memberships.role })
    .from(apiTokens)
    .innerJoin(memberships, and(eq(memberships.workspaceId, apiTokens.workspaceId), eq(memberships.userId, apiTokens.userId)))
    .where(and(eq(apiTokens.tokenHash, args.tokenHash), isNull(apiTokens.revokedAt)))
    .limit(1)
  return row ?? null
}

export async function touchApiToken(db: DbOrTx, args: { workspaceId: string; tokenId: string; at: Date }) {
  await db
    .update(apiTokens)
    .set({ lastUsedAt: args.at })
    .where(and(eq(apiTokens.workspaceId, args.workspaceId), eq(apiTokens.id, args.tokenId)))
}
