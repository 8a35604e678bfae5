import { and, asc, eq } from 'drizzle-orm'
import type { DbOrTx } from '../client'
import { hashtagGroups } from '../schema'

export type HashtagGroup = typeof hashtagGroups.$inferSelect

export async function listHashtagGroups(db: DbOrTx, args: { workspaceId: string }): Promise<HashtagGroup[]> {
  return db.select().from(hashtagGroups).where(eq(hashtagGroups.workspaceId, args.workspaceId)).orderBy(asc(hashtagGroups.name), asc(hashtagGroups.id))
}

/** Add a group; null when the workspace has one of that name. */
export async function insertHashtagGroup(db: DbOrTx, args: { workspaceId: string; name: string; hashtags: string[]; at: Date }): Promise<HashtagGroup | null> {
  const [row] = await db
    .insert(hashtagGroups)
    .values({ workspaceId: args.workspaceId, name: args.name, hashtags: args.hashtags, createdAt: args.at, updatedAt: args.at })
    .onConflictDoNothing({ target: [hashtagGroups.workspaceId, hashtagGroups.name] })
    .returning()
  return row ?? null
}

export async function deleteHashtagGroup(db: DbOrTx, args: { workspaceId: string; groupId: string }): Promise<boolean> {
  const rows = await db.delete(hashtagGroups).where(and(eq(hashtagGroups.workspaceId, args.workspaceId), eq(hashtagGroups.id, args.groupId))).returning({ id: hashtagGroups.id })
  return rows.length > 0
}
