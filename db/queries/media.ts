import { and, eq, inArray } from 'drizzle-orm'
import type { DbOrTx } from '../client'
import { media } from '../schema'

export type MediaRow = typeof media.$inferSelect

export async function insertMedia(
  db: DbOrTx,
  args: { workspaceId: string; fileName: string; mimeType: string; size: number; sha256: string; now: Date },
): Promise<MediaRow> {
  const [row] = await db.insert(media).values({ workspaceId: args.workspaceId, fileName: args.fileName, mimeType: args.mimeType, size: args.size, sha256: args.sha256, createdAt: args.now }).returning()
  return row!
}

/** The workspace's media rows among `mediaIds` (ids of other workspaces are simply absent). */
export async function listMedia(db: DbOrTx, args: { workspaceId: string; mediaIds: string[] }): Promise<MediaRow[]> {
  if (args.mediaIds.length === 0) return []
  return db
    .select()
    .from(media)
    .where(and(eq(media.workspaceId, args.workspaceId), inArray(media.id, args.mediaIds)))
}
