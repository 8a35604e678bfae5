/**
 * The media store: images uploaded for posts, scoped to a workspace. The bytes go to a directory under
 * DATA_DIR (`media/<workspaceId>/<mediaId>`), the `media` table indexes them. Type and size are checked
 * on upload (by the file's own bytes, not its name), so the editor can say what is wrong at once. The
 * web app (uploads, previews, validation) and the publishing pipeline (a step's channel content) both
 * read it through this module.
 */
import { createHash } from 'node:crypto'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { z } from 'zod'
import type { ChannelContent } from '../connectors/types'
import type { DbOrTx } from '../db/client'
import { insertMedia, listMedia, type MediaRow } from '../db/queries/media'
import type { StepContent } from '../db/schema/index'
import { InputError } from './errors'
import type { Services } from './services.server'

/** The smallest limit of the networks we publish to (X: 5 MB), so an image fits everywhere. */
export const MAX_IMAGE_BYTES = 5 * 1024 * 1024
export const IMAGE_TYPES = ['image/jpeg', 'image/png', 'image/gif', 'image/webp'] as const

/** The image type its first bytes declare (not the name or the browser's guess). */
export function sniffImageType(bytes: Uint8Array): (typeof IMAGE_TYPES)[number] | null {
  const starts = (...sig: number[]) => sig.every((b, i) => bytes[i] === b)
  if (starts(0xff, 0xd8, 0xff)) return 'image/jpeg'
  if (starts(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)) return 'image/png'
  if (starts(0x47, 0x49, 0x46, 0x38)) return 'image/gif'
  if (starts(0x52, 0x49, 0x46, 0x46) && bytes[8] === 0x57 && bytes[9] === 0x45 && bytes[10] === 0x42 && bytes[11] === 0x50) return 'image/webp'
  return null
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

export type StoredImage = { mimeType: string; data: Uint8Array; fileName: string }

export function mediaDirOf(dataDir: string, workspaceId: string): string {
  return path.resolve(dataDir, 'media', workspaceId)
}

export type StoredMedia = { id: string; fileName: string; mimeType: string; size: number; url: string }
const view = (row: MediaRow): StoredMedia => ({ id: row.id, fileName: row.fileName, mimeType: row.mimeType, size: row.size, url: `/app/media/${row.id}` })

/** Check and store one uploaded image; errors name the field `file`. */
export async function storeImage(services: Services, args: { workspaceId: string; fileName: string; bytes: Uint8Array }): Promise<StoredMedia> {
  if (args.bytes.byteLength === 0) throw new InputError('file', 'file: choose an image (the file is empty)')
  if (args.bytes.byteLength > MAX_IMAGE_BYTES) {
    throw new InputError('file', `file: ${args.fileName} is ${(args.bytes.byteLength / 1024 / 1024).toFixed(1)} MB; images can be at most 5 MB`, { status: 413 })
  }
  const mimeType = sniffImageType(args.bytes)
  if (!mimeType) throw new InputError('file', `file: ${args.fileName} is not a JPEG, PNG, GIF or WebP image`, { status: 415 })
  const fileName = z.string().trim().min(1).max(200).safeParse(path.basename(args.fileName)).data ?? 'image'
  const sha256 = createHash('sha256').update(args.bytes).digest('hex')
  const row = await insertMedia(services.database.db, { workspaceId: args.workspaceId, fileName, mimeType, size: args.bytes.byteLength, sha256, now: services.clock.now() })
  const dir = mediaDirOf(services.config.DATA_DIR, args.workspaceId)
  await mkdir(dir, { recursive: true })
  await writeFile(path.join(dir, row.id), args.bytes)
  return view(row)
}

/** One image of the workspace with its bytes, or null (never another workspace's). */
export async function readImage(services: Services, args: { workspaceId: string; mediaId: string }): Promise<{ media: StoredMedia; bytes: Uint8Array } | null> {
  if (!z.uuid().safeParse(args.mediaId).success) return null
  const [row] = await listMedia(services.database.db, { workspaceId: args.workspaceId, mediaIds: [args.mediaId] })
  if (!row) return null
  const bytes = await readFile(path.join(mediaDirOf(services.config.DATA_DIR, args.workspaceId), row.id)).catch(() => null)
  return bytes ? { media: view(row), bytes: new Uint8Array(bytes) } : null
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

/** The same, through the services (editor validation). */
export function readImages(services: Services, args: { workspaceId: string; mediaIds: string[] }): Promise<Map<string, StoredImage>> {
  return readStoredImages(services.database.db, { dataDir: services.config.DATA_DIR, ...args })
}

/**
 * A step's content as the connectors publish it: each part's `images` (media ids with alt text) become
 * `media` with their bytes; an image missing from the store is left out and listed in `missing`. The
 * publishing pipeline calls it with its own database handle; the app through `stepChannelContent`.
 */
export async function loadChannelContent(
  db: DbOrTx,
  args: { dataDir: string | undefined; workspaceId: string; content: StepContent },
): Promise<{ content: ChannelContent; missing: string[] }> {
  const ids = args.content.parts.flatMap((p) => (p.images ?? []).map((i) => i.mediaId))
  const images = ids.length && args.dataDir ? await readStoredImages(db, { dataDir: args.dataDir, workspaceId: args.workspaceId, mediaIds: ids }) : new Map<string, StoredImage>()
  const content: ChannelContent = {
    parts: args.content.parts.map((part) => {
      const media = (part.images ?? []).flatMap((i) => {
        const found = images.get(i.mediaId)
        return found ? [{ mimeType: found.mimeType, data: found.data, altText: i.alt }] : []
      })
      return media.length ? { text: part.text, media } : { text: part.text }
    }),
  }
  return { content, missing: ids.filter((id) => !images.has(id)) }
}

export async function stepChannelContent(services: Services, args: { workspaceId: string; content: StepContent }): Promise<ChannelContent> {
  const { content } = await loadChannelContent(services.database.db, { dataDir: services.config.DATA_DIR, ...args })
  return content
}
