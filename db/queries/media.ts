import { and, asc, desc, eq, ilike, inArray, or, sql, type SQL } from 'drizzle-orm'
import type { DbOrTx } from '../client'
import { media, sequenceSteps, sequences } from '../schema'

export type MediaRow = typeof media.$inferSelect

export async function insertMedia(
  db: DbOrTx,
  args: { workspaceId: string; fileName: string; mimeType: string; size: number; sha256: string; alt?: string; now: Date },
): Promise<MediaRow> {
  const [row] = await db
    .insert(media)
    .values({ workspaceId: args.workspaceId, fileName: args.fileName, mimeType: args.mimeType, size: args.size, sha256: args.sha256, alt: args.alt ?? '', createdAt: args.now })
    .returning()
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

/** The workspace's media library, newest first (decision 098). */
export async function listWorkspaceMedia(db: DbOrTx, args: { workspaceId: string; limit: number }): Promise<MediaRow[]> {
  return db.select().from(media).where(eq(media.workspaceId, args.workspaceId)).orderBy(desc(media.createdAt), desc(media.id)).limit(args.limit)
}

/**
 * One page of the library, newest first (issue 20): images whose file name or alt text contains `query`
 * (case-insensitive, taken literally), strictly after the `after` cursor (the last image of the page
 * before: its creation instant and id, the sort key). `limit + 1` rows tell whether a next page exists.
 */
export async function pageWorkspaceMedia(
  db: DbOrTx,
  args: { workspaceId: string; query?: string; after?: { createdAt: Date; id: string }; limit: number },
): Promise<{ rows: MediaRow[]; more: boolean }> {
  const conditions: Array<SQL | undefined> = [eq(media.workspaceId, args.workspaceId)]
  const query = args.query?.trim()
  if (query) {
    const pattern = `%${query.replace(/[\\%_]/g, (c) => `\\${c}`)}%`
    conditions.push(or(ilike(media.fileName, pattern), ilike(media.alt, pattern)))
  }
  if (args.after) conditions.push(sql`(${media.createdAt}, ${media.id}) < (${args.after.createdAt.toISOString()}::timestamptz, ${args.after.id}::uuid)`)
  const rows = await db
    .select()
    .from(media)
    .where(and(...conditions))
    .orderBy(desc(media.createdAt), desc(media.id))
    .limit(args.limit + 1)
  return { rows: rows.slice(0, args.limit), more: rows.length > args.limit }
}

/** Set an image's alt text; false when the workspace has no such image. `onlyIfEmpty`: keep an alt text already stored. */
export async function setMediaAlt(db: DbOrTx, args: { workspaceId: string; mediaId: string; alt: string; onlyIfEmpty?: boolean }): Promise<boolean> {
  const rows = await db
    .update(media)
    .set({ alt: args.alt })
    .where(and(eq(media.workspaceId, args.workspaceId), eq(media.id, args.mediaId), ...(args.onlyIfEmpty ? [eq(media.alt, '')] : [])))
    .returning({ id: media.id })
  return rows.length > 0
}

/**
 * The series posts (steps) of the workspace whose content names the image: in a part, a thread part or a
 * network's variant. `mediaId` must be a uuid (the caller checks), so it holds no LIKE wildcard.
 */
export async function listStepsUsingMedia(db: DbOrTx, args: { workspaceId: string; mediaId: string }): Promise<Array<{ sequenceId: string; sequenceName: string; position: number }>> {
  return db
    .select({ sequenceId: sequences.id, sequenceName: sequences.name, position: sequenceSteps.position })
    .from(sequenceSteps)
    .innerJoin(sequences, and(eq(sequences.id, sequenceSteps.sequenceId), eq(sequences.workspaceId, args.workspaceId)))
    .where(and(eq(sequenceSteps.workspaceId, args.workspaceId), sql`${sequenceSteps.content}::text like ${`%"${args.mediaId}"%`}`))
    .orderBy(asc(sequences.name), asc(sequences.id), asc(sequenceSteps.position))
}

/** Remove an image's row (its bytes are the caller's); false when the workspace has no such image. */
export async function deleteMediaRow(db: DbOrTx, args: { workspaceId: string; mediaId: string }): Promise<boolean> {
  const rows = await db.delete(media).where(and(eq(media.workspaceId, args.workspaceId), eq(media.id, args.mediaId))).returning({ id: media.id })
  return rows.length > 0
}

/**
 * Lock the workspace's images among `mediaIds` for the rest of the transaction (FOR SHARE: a series
 * being saved with them; FOR UPDATE: an image being deleted) and return the ids found.
 */
export async function lockMedia(db: DbOrTx, args: { workspaceId: string; mediaIds: string[]; mode: 'share' | 'update' }): Promise<string[]> {
  if (args.mediaIds.length === 0) return []
  const query = db
    .select({ id: media.id })
    .from(media)
    .where(and(eq(media.workspaceId, args.workspaceId), inArray(media.id, args.mediaIds)))
  const rows = args.mode === 'share' ? await query.for('share') : await query.for('update')
  return rows.map((r) => r.id)
}
