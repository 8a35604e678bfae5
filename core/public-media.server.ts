/**
 * Signed, expiring public addresses of stored media (decision 111): Threads fetches a post's images
 * and videos from a public `image_url` / `video_url` (as Instagram could), so the publishing pipeline hands the
 * connector `publicMediaUrl(media)`, which names `APP_URL/m/{token}`. The token is the media id, its
 * workspace and an expiry, with an HMAC-SHA256 over them under a key derived from SESSION_SECRET (no new
 * secret to configure); nothing else can be reached through the route, and an unknown, expired or forged
 * token is the same 404. The route serves the stored file with its type and length, and byte ranges
 * (Meta reads videos in ranges).
 */
import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import path from 'node:path'
import { Readable } from 'node:stream'
import { isPublicAddress } from '../connectors/net-guard'
import { ConnectorError, type PostMedia } from '../connectors/types'
import type { DbOrTx } from '../db/client'
import { listMedia } from '../db/queries/media'
import type { Clock } from '../domain/clock'
import type { Config } from './env.server'
import { mediaDirOf } from './media.server'

/** How long a public media address works: long enough for the network to fetch and process the file. */
export const PUBLIC_MEDIA_TTL_MS = 60 * 60_000

export type PublicMediaConfig = Pick<Config, 'APP_URL' | 'SESSION_SECRET' | 'NODE_ENV'>

/**
 * Whether the networks can reach APP_URL: an https address on a public name or address. In tests only
 * (NODE_ENV=test), an http loopback APP_URL is allowed, so a loopback network server fetches from the
 * app itself. `reason` is the sentence the editor and a failed delivery show.
 */
export function publicMediaAvailability(config: Pick<Config, 'APP_URL' | 'NODE_ENV'>): { ok: true } | { ok: false; reason: string } {
  const url = new URL(config.APP_URL)
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase()
  const literal = /^[\d.]+$/.test(host) || host.includes(':')
  const loopback = host === 'localhost' || host.endsWith('.localhost') || host === '::1' || host.startsWith('127.')
  if (config.NODE_ENV === 'test' && loopback && (url.protocol === 'http:' || url.protocol === 'https:')) return { ok: true }
  const publicName = literal ? isPublicAddress(host) : host.includes('.') && !/\.(localhost|local|internal|lan|home\.arpa|test|invalid|example)$/.test(host)
  if (url.protocol === 'https:' && publicName) return { ok: true }
  return {
    ok: false,
    reason: `This network fetches images and videos from Trickle's own address, and APP_URL (${config.APP_URL}) is not a public https address it can reach: ask your administrator to serve Trickle over https on a public name and set APP_URL to it`,
  }
}

const derivedKeys = new Map<string, Buffer>()
function mediaKey(secret: string): Buffer {
  let key = derivedKeys.get(secret)
  if (!key) derivedKeys.set(secret, (key = Buffer.from(hkdfSync('sha256', secret, 'trickle', 'trickle.public-media.v1', 32))))
  return key
}

const uuidBytes = (id: string) => Buffer.from(id.replace(/-/g, ''), 'hex')
const uuidOf = (bytes: Buffer) => bytes.toString('hex').replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, '$1-$2-$3-$4-$5')
const macOf = (key: Buffer, payload: Buffer) => createHmac('sha256', key).update('trickle.media.v1.').update(payload).digest()
const EXTENSIONS: Record<string, string> = { 'image/jpeg': 'jpg', 'image/png': 'png', 'image/gif': 'gif', 'image/webp': 'webp', 'video/mp4': 'mp4', 'video/quicktime': 'mov' }

/** `<payload>.<mac>[.ext]`: payload = media id (16 bytes) ‖ workspace id (16) ‖ expiry (uint32 seconds), base64url. */
export function signMediaToken(args: { secret: string; mediaId: string; workspaceId: string; expiresAt: Date; mimeType?: string }): string {
  const payload = Buffer.alloc(36)
  uuidBytes(args.mediaId).copy(payload, 0)
  uuidBytes(args.workspaceId).copy(payload, 16)
  payload.writeUInt32BE(Math.ceil(args.expiresAt.getTime() / 1000), 32)
  const ext = args.mimeType ? EXTENSIONS[args.mimeType] : undefined
  return `${payload.toString('base64url')}.${macOf(mediaKey(args.secret), payload).toString('base64url')}${ext ? `.${ext}` : ''}`
}

/** The media a token names while it is valid at `now`; null for anything else (malformed, forged, expired), never saying which. */
export function verifyMediaToken(args: { secret: string; token: string; now: Date }): { mediaId: string; workspaceId: string } | null {
  const match = /^([A-Za-z0-9_-]{48})\.([A-Za-z0-9_-]{43})(?:\.[a-z0-9]{1,5})?$/.exec(args.token)
  if (!match) return null
  const payload = Buffer.from(match[1]!, 'base64url')
  const given = Buffer.from(match[2]!, 'base64url')
  const expected = macOf(mediaKey(args.secret), payload)
  if (payload.length !== 36 || given.length !== expected.length || !timingSafeEqual(given, expected)) return null
  if (payload.readUInt32BE(32) * 1000 <= args.now.getTime()) return null
  return { mediaId: uuidOf(payload.subarray(0, 16)), workspaceId: uuidOf(payload.subarray(16, 32)) }
}

/**
 * The pipeline's `publicMediaUrl` for one workspace's delivery: a signed address valid for
 * PUBLIC_MEDIA_TTL_MS from now. Where the networks cannot reach APP_URL, or the file has no stored copy,
 * it throws `invalid-content` with the sentence people read (nothing was sent).
 */
export function publicMediaUrlFor(args: { config: PublicMediaConfig; clock: Clock; workspaceId: string }): (media: PostMedia) => string {
  const availability = publicMediaAvailability(args.config)
  return (media) => {
    if (!availability.ok) throw new ConnectorError('invalid-content', availability.reason, { detail: { code: 'public-media-unavailable' } })
    if (!media.mediaId) throw new ConnectorError('invalid-content', 'This image or video has no stored copy the network could fetch', { detail: { code: 'public-media-unavailable' } })
    const token = signMediaToken({ secret: args.config.SESSION_SECRET, mediaId: media.mediaId, workspaceId: args.workspaceId, expiresAt: new Date(args.clock.now().getTime() + PUBLIC_MEDIA_TTL_MS), mimeType: media.mimeType })
    return new URL(`/m/${token}`, args.config.APP_URL).toString()
  }
}

/** One `bytes=` range of a file of `size` bytes: `[start, end]` inclusive, `'unsatisfiable'`, or null to serve the whole file (absent, several ranges, or not bytes). */
export function parseRange(header: string | null, size: number): { start: number; end: number } | 'unsatisfiable' | null {
  const match = /^bytes=(\d*)-(\d*)$/.exec((header ?? '').trim())
  if (!match || (match[1] === '' && match[2] === '')) return null
  if (match[1] === '') {
    const suffix = Number(match[2])
    if (suffix === 0 || size === 0) return 'unsatisfiable'
    return { start: Math.max(0, size - suffix), end: size - 1 }
  }
  const start = Number(match[1])
  const end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1)
  if (start >= size || end < start) return 'unsatisfiable'
  return { start, end }
}

const NOT_FOUND = () => new Response('Not found', { status: 404, headers: { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' } })

/**
 * The answer of `GET /m/{token}`: the stored file with its Content-Type and Content-Length, a 206 for a
 * satisfiable `Range` (416 otherwise), and the same 404 for every token that does not name, right now, a
 * file of the workspace it was signed for.
 */
export async function publicMediaResponse(deps: { db: DbOrTx; config: Pick<Config, 'SESSION_SECRET' | 'DATA_DIR'>; clock: Clock }, args: { token: string; range: string | null; head?: boolean }): Promise<Response> {
  const named = verifyMediaToken({ secret: deps.config.SESSION_SECRET, token: args.token, now: deps.clock.now() })
  if (!named) return NOT_FOUND()
  const [row] = await listMedia(deps.db, { workspaceId: named.workspaceId, mediaIds: [named.mediaId] })
  if (!row) return NOT_FOUND()
  const file = path.join(mediaDirOf(deps.config.DATA_DIR, named.workspaceId), row.id)
  const size = await stat(file).then((s) => s.size).catch(() => null)
  if (size === null) return NOT_FOUND()
  const headers: Record<string, string> = { 'Content-Type': row.mimeType, 'Accept-Ranges': 'bytes', 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' }
  const range = parseRange(args.range, size)
  if (range === 'unsatisfiable') return new Response(null, { status: 416, headers: { ...headers, 'Content-Range': `bytes */${size}` } })
  const { start, end } = range ?? { start: 0, end: size - 1 }
  const length = size === 0 ? 0 : end - start + 1
  const body = args.head || length === 0 ? null : (Readable.toWeb(createReadStream(file, { start, end })) as ReadableStream<Uint8Array>)
  return new Response(body, {
    status: range ? 206 : 200,
    headers: { ...headers, 'Content-Length': String(length), ...(range ? { 'Content-Range': `bytes ${start}-${end}/${size}` } : {}) },
  })
}
