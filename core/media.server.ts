/**
 * The media store: images uploaded for posts, scoped to a workspace. The bytes go to a directory under
 * DATA_DIR (`media/<workspaceId>/<mediaId>`), the `media` table indexes them. Type and size are checked
 * on upload (by the file's own bytes, not its name), so the editor can say what is wrong at once. The
 * web app (uploads, previews, validation) and the publishing pipeline (a step's channel content) both
 * read it through this module.
 */
import { createHash } from 'node:crypto'
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { z } from 'zod'
import type { ChannelContent } from '../connectors/types'
import { readVideoInfo, type VideoType } from '../domain/media/video'
import type { DbOrTx } from '../db/client'
import { deleteMediaRow, insertMedia, lockMedia, listMedia, listStepsUsingMedia, listWorkspaceMedia, pageWorkspaceMedia, setMediaAlt, type MediaRow } from '../db/queries/media'
import type { StepContent } from '../db/schema/index'
import { InputError } from './errors'
import type { Services } from './services.server'

/** The smallest limit of the networks we publish to (X: 5 MB), so an image fits everywhere. */
export const MAX_IMAGE_BYTES = 5 * 1024 * 1024
export const IMAGE_TYPES = ['image/jpeg', 'image/png', 'image/gif', 'image/webp'] as const
/**
 * The largest video Trickle takes at upload (decision 102): the web process buffers an upload whole, so
 * this stays well under X's 512 MB (X_VIDEO_LIMITS); each network's own limit (X 512 MB and 140 s,
 * Mastodon 40 MB or the instance's) is checked when the video is put in a post and again before upload.
 */
export const MAX_VIDEO_BYTES = 100 * 1024 * 1024
export { VIDEO_TYPES } from '../domain/media/video'

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

export type StoredMedia = { id: string; fileName: string; mimeType: string; size: number; url: string; /** Alt text kept with the image in the library (decision 098); '' until someone writes one. */ alt: string; createdAt: string }
const view = (row: MediaRow): StoredMedia => ({ id: row.id, fileName: row.fileName, mimeType: row.mimeType, size: row.size, url: `/app/media/${row.id}`, alt: row.alt, createdAt: row.createdAt.toISOString() })

/** Alt text as the post schema takes it (core/series/schemas.ts ImageRefSchema), empty allowed in the library. */
export const MediaAltSchema = z.string({ error: 'alt: must be text' }).trim().max(1000, { error: 'alt: at most 1000 characters' })

/**
 * Check and store one uploaded image or video (with its alt text, when the uploader wrote one); errors
 * name the field `file` (or `alt`). The type comes from the file's bytes: an image's signature, or an
 * MP4/MOV's `ftyp`/`moov` boxes (domain/media/video.ts).
 */
export async function storeImage(services: Services, args: { workspaceId: string; fileName: string; bytes: Uint8Array; alt?: string }): Promise<StoredMedia> {
  const alt = MediaAltSchema.safeParse(args.alt ?? '')
  if (!alt.success) throw new InputError('alt', alt.error.issues[0]!.message)
  if (args.bytes.byteLength === 0) throw new InputError('file', 'file: choose an image or a video (the file is empty)')
  const megabytes = (args.bytes.byteLength / 1024 / 1024).toFixed(1)
  if (args.bytes.byteLength > MAX_VIDEO_BYTES) {
    throw new InputError('file', `file: ${args.fileName} is ${megabytes} MB; videos can be at most ${MAX_VIDEO_BYTES / 1024 / 1024} MB and images 5 MB`, { status: 413 })
  }
  const mimeType: string | null = sniffImageType(args.bytes) ?? (readVideoInfo(args.bytes)?.mimeType satisfies VideoType | undefined) ?? null
  if (!mimeType) throw new InputError('file', `file: ${args.fileName} is not a JPEG, PNG, GIF or WebP image, nor an MP4 or MOV video`, { status: 415 })
  if (mimeType.startsWith('image/') && args.bytes.byteLength > MAX_IMAGE_BYTES) {
    throw new InputError('file', `file: ${args.fileName} is ${megabytes} MB; images can be at most 5 MB`, { status: 413 })
  }
  const fileName = z.string().trim().min(1).max(200).safeParse(path.basename(args.fileName)).data ?? 'image'
  const sha256 = createHash('sha256').update(args.bytes).digest('hex')
  const row = await insertMedia(services.database.db, { workspaceId: args.workspaceId, fileName, mimeType, size: args.bytes.byteLength, sha256, alt: alt.data, now: services.clock.now() })
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
        return found ? [{ mimeType: found.mimeType, data: found.data, altText: i.alt, mediaId: i.mediaId }] : []
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

// ─── The media library (decision 098) ─────────────────────────────────────────────────────────────

/** The library shows (and the composer's picker offers) at most this many images, newest first. */
export const LIBRARY_LIMIT = 200

/** The workspace's images, newest first: upload once, reuse in any post. */
export async function listLibrary(services: Services, args: { workspaceId: string }): Promise<StoredMedia[]> {
  return (await listWorkspaceMedia(services.database.db, { workspaceId: args.workspaceId, limit: LIBRARY_LIMIT })).map(view)
}

/** A page of the library (the page and the composer's picker): 48 images, a 4-, 3- or 2-column grid. */
export const LIBRARY_PAGE = 48

/** The cursor of the page after `row`: its creation instant and id, base64url (opaque to clients). */
const cursorOf = (row: MediaRow) => Buffer.from(`${row.createdAt.toISOString()}|${row.id}`).toString('base64url')

function readCursor(cursor: string): { createdAt: Date; id: string } {
  const [at, id] = Buffer.from(cursor, 'base64url').toString('utf8').split('|')
  const createdAt = new Date(at ?? '')
  if (!id || !z.uuid().safeParse(id).success || Number.isNaN(createdAt.getTime())) throw new InputError('cursor', 'cursor: not a page of this library (start from the first page)')
  return { createdAt, id }
}

/**
 * One page of the library, newest first (issue 20: the library listed at most 200 images): `query`
 * searches file names and alt texts; `cursor` is the previous page's `nextCursor` (null on the last page).
 */
export async function pageLibrary(services: Services, args: { workspaceId: string; query?: string; cursor?: string }): Promise<{ images: StoredMedia[]; nextCursor: string | null }> {
  const query = (args.query ?? '').slice(0, 200)
  const { rows, more } = await pageWorkspaceMedia(services.database.db, { workspaceId: args.workspaceId, query, after: args.cursor ? readCursor(args.cursor) : undefined, limit: LIBRARY_PAGE })
  return { images: rows.map(view), nextCursor: more ? cursorOf(rows.at(-1)!) : null }
}

const notFound = () => new InputError('mediaId', 'mediaId: no such image in this workspace', { status: 404 })

/** Change the alt text kept with an image (posts that already use it keep their own). */
export async function updateMediaAlt(services: Services, args: { workspaceId: string; mediaId: string; alt: unknown }): Promise<void> {
  if (!z.uuid().safeParse(args.mediaId).success) throw notFound()
  const alt = MediaAltSchema.safeParse(args.alt)
  if (!alt.success) throw new InputError('alt', alt.error.issues[0]!.message)
  if (!(await setMediaAlt(services.database.db, { workspaceId: args.workspaceId, mediaId: args.mediaId, alt: alt.data }))) throw notFound()
}

/**
 * Posts keep the alt text people write for an image; the library keeps the first one written for an
 * image that had none, so the next post that reuses it starts from it.
 */
export async function rememberAltTexts(services: Services, args: { workspaceId: string; images: Array<{ mediaId: string; alt: string }> }): Promise<void> {
  const first = new Map<string, string>()
  for (const image of args.images) if (image.alt.trim() && !first.has(image.mediaId) && UUID.test(image.mediaId)) first.set(image.mediaId, image.alt.trim())
  for (const [mediaId, alt] of first) await setMediaAlt(services.database.db, { workspaceId: args.workspaceId, mediaId, alt, onlyIfEmpty: true })
}

/**
 * Inside a series' save transaction: hold the images its posts use until it commits (an image deleted
 * meanwhile is refused, naming the field) so a delete cannot slip between the check and the save.
 */
export async function holdPostImages(tx: DbOrTx, args: { workspaceId: string; images: Array<{ mediaId: string; field: string }> }): Promise<void> {
  const ids = [...new Set(args.images.map((i) => i.mediaId).filter((id) => UUID.test(id)))]
  const found = new Set(await lockMedia(tx, { workspaceId: args.workspaceId, mediaIds: ids, mode: 'share' }))
  const gone = args.images.find((i) => !found.has(i.mediaId))
  if (gone) throw new InputError(gone.field, `${gone.field}: no such image in this workspace (it was deleted; choose or upload it again)`)
}

/** “Launch week” post 3 (posts 1-based, as people count them). */
const postName = (use: { sequenceName: string; position: number }) => `“${use.sequenceName}” post ${use.position + 1}`

/**
 * Delete an image from the library and the store. An image a post still uses is refused (409) with a
 * message naming those posts, so no scheduled post loses its image.
 */
export async function deleteMedia(services: Services, args: { workspaceId: string; mediaId: string }): Promise<void> {
  if (!z.uuid().safeParse(args.mediaId).success) throw notFound()
  const db = services.database.db
  const [row] = await listMedia(db, { workspaceId: args.workspaceId, mediaIds: [args.mediaId] })
  if (!row) throw notFound()
  await db.transaction(async (tx) => {
    // A series saved meanwhile holds its images FOR SHARE (holdPostImages): either it commits first and
    // its post is counted below, or it finds the image gone and is refused.
    if ((await lockMedia(tx, { workspaceId: args.workspaceId, mediaIds: [row.id], mode: 'update' })).length === 0) throw notFound()
    const uses = await listStepsUsingMedia(tx, { workspaceId: args.workspaceId, mediaId: args.mediaId })
    if (uses.length) {
      const named = uses.slice(0, 5).map(postName).join(', ') + (uses.length > 5 ? ` and ${uses.length - 5} more` : '')
      throw new InputError('mediaId', `${row.fileName} is used by ${uses.length === 1 ? 'a post' : `${uses.length} posts`}: ${named}. Remove it from ${uses.length === 1 ? 'that post' : 'those posts'} first.`, { status: 409 })
    }
    await deleteMediaRow(tx, { workspaceId: args.workspaceId, mediaId: args.mediaId })
  })
  await rm(path.join(mediaDirOf(services.config.DATA_DIR, args.workspaceId), row.id), { force: true })
}
