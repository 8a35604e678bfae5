/**
 * A step's content as the connectors publish it, shared by the publishing pipeline (jobs/) and the app
 * (app/utils/media.server.ts): each part's `images` (media ids with alt text) become `media` with the
 * bytes from the media store (`<DATA_DIR>/media/<workspaceId>/<mediaId>`, indexed by the `media` table).
 */
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import type { ChannelContent } from '../connectors/types'
import type { DbOrTx } from '../db/client'
import { listMedia } from '../db/queries/media'
import type { StepContent } from '../db/schema/index'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

export type StoredImage = { mimeType: string; data: Uint8Array; fileName: string }

export function mediaDirOf(dataDir: string, workspaceId: string): string {
  return path.resolve(dataDir, 'media', workspaceId)
}

/** The workspace's images among `mediaIds`, with their bytes; ids of other workspaces or missing files are absent. */
export async function readStoredImages(db: DbOrTx, args: { dataDir: string; workspaceId: string; mediaIds: string[] }): Promise<Map<string, StoredImage>> {
  const ids = [...new Set(args.mediaIds)].filter((id) => UUID.test(id))
  const rows = await listMedia(db, { workspaceId: args.workspaceId, mediaIds: ids })
  const found = new Map<string, StoredImage>()
  for (const row of rows) {
    const bytes = await readFile(path.join(mediaDirOf(args.dataDir, args.workspaceId), row.id)).catch(() => null)
    if (bytes) found.set(row.id, { mimeType: row.mimeType, data: new Uint8Array(bytes), fileName: row.fileName })
  }
  return found
}

/** The media ids a step's content refers to that `images` lacks. */
export function missingImages(content: StepContent, images: Map<string, unknown>): string[] {
  return content.parts.flatMap((p) => (p.images ?? []).map((i) => i.mediaId)).filter((id) => !images.has(id))
}

/** Turn a step's content into what connectors publish, with the images found (a missing one is left out). */
export function toChannelContent(content: StepContent, images: Map<string, StoredImage>): ChannelContent {
  return {
    parts: content.parts.map((part) => {
      const media = (part.images ?? []).flatMap((i) => {
        const found = images.get(i.mediaId)
        return found ? [{ mimeType: found.mimeType, data: found.data, altText: i.alt }] : []
      })
      return media.length ? { text: part.text, media } : { text: part.text }
    }),
  }
}

/** Read a step's images from the media store and build its channel content. */
export async function loadChannelContent(
  db: DbOrTx,
  args: { dataDir: string | undefined; workspaceId: string; content: StepContent },
): Promise<{ content: ChannelContent; missing: string[] }> {
  const ids = args.content.parts.flatMap((p) => (p.images ?? []).map((i) => i.mediaId))
  const images = ids.length && args.dataDir ? await readStoredImages(db, { dataDir: args.dataDir, workspaceId: args.workspaceId, mediaIds: ids }) : new Map<string, StoredImage>()
  return { content: toChannelContent(args.content, images), missing: missingImages(args.content, images) }
}
