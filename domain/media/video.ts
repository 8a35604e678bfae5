/**
 * Video checks before upload (issue #21): what an MP4 or QuickTime file says about itself in its
 * `ftyp`, `moov/mvhd` and `moov/trak/tkhd` boxes (brand, duration, dimensions, codec), and each network's
 * limits on type, size and duration. Pure: bytes in, facts or problems out; no decoder, no package.
 */

export const VIDEO_TYPES = ['video/mp4', 'video/quicktime'] as const
export type VideoType = (typeof VIDEO_TYPES)[number]

export type VideoInfo = {
  /** `video/quicktime` for a `qt  ` brand (or a file with no `ftyp`), `video/mp4` otherwise. */
  mimeType: VideoType
  /** The `ftyp` major brand, e.g. `isom`, `mp42`, `qt  ` ('' when the file has none). */
  brand: string
  durationSeconds: number
  /** The first video track's presentation size (from its `tkhd`); 0 × 0 for an audio-only file. */
  width: number
  height: number
  /** The first video track's sample entry, e.g. `avc1`, `hvc1` (from `stsd`), when present. */
  codec?: string
}

export type VideoProblem = { path: string; message: string }

type Box = { type: string; start: number; end: number; body: number }

/** The boxes between `from` and `to`: size (32 bit, 1 = 64-bit size follows, 0 = to the end) and type. */
function boxes(view: DataView, from: number, to: number): Box[] {
  const found: Box[] = []
  let at = from
  while (at + 8 <= to) {
    let size = view.getUint32(at)
    const type = String.fromCharCode(view.getUint8(at + 4), view.getUint8(at + 5), view.getUint8(at + 6), view.getUint8(at + 7))
    let header = 8
    if (size === 1) {
      if (at + 16 > to) break
      size = Number(view.getBigUint64(at + 8))
      header = 16
    } else if (size === 0) {
      size = to - at
    }
    if (size < header || at + size > to) {
      // A box that claims more than the file holds: the file is cut off; keep what is whole.
      if (type === 'mdat') found.push({ type, start: at, end: to, body: at + header })
      break
    }
    found.push({ type, start: at, end: at + size, body: at + header })
    at += size
  }
  return found
}

const child = (view: DataView, parent: Box, type: string) => boxes(view, parent.body, parent.end).find((b) => b.type === type)

function fourCc(view: DataView, at: number): string {
  return String.fromCharCode(view.getUint8(at), view.getUint8(at + 1), view.getUint8(at + 2), view.getUint8(at + 3))
}

/** The facts of an MP4/MOV file, or null when its bytes are not one (no `moov` with an `mvhd`). */
export function readVideoInfo(bytes: Uint8Array): VideoInfo | null {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  try {
    const top = boxes(view, 0, bytes.byteLength)
    if (top.length === 0 || !['ftyp', 'moov', 'mdat', 'free', 'wide', 'skip'].includes(top[0]!.type)) return null
    const ftyp = top.find((b) => b.type === 'ftyp')
    const brand = ftyp && ftyp.end - ftyp.body >= 4 ? fourCc(view, ftyp.body) : ''
    const moov = top.find((b) => b.type === 'moov')
    if (!moov) return null
    const mvhd = child(view, moov, 'mvhd')
    if (!mvhd) return null
    const version = view.getUint8(mvhd.body)
    // version 1: 64-bit creation and modification times and duration.
    const timescale = view.getUint32(mvhd.body + (version === 1 ? 20 : 12))
    const duration = version === 1 ? Number(view.getBigUint64(mvhd.body + 24)) : view.getUint32(mvhd.body + 16)
    if (timescale === 0) return null
    let width = 0
    let height = 0
    let codec: string | undefined
    for (const trak of boxes(view, moov.body, moov.end).filter((b) => b.type === 'trak')) {
      const tkhd = child(view, trak, 'tkhd')
      if (!tkhd) continue
      // width and height are 16.16 fixed point, the last 8 bytes of the box.
      const w = view.getUint32(tkhd.end - 8) / 65536
      const h = view.getUint32(tkhd.end - 4) / 65536
      if (w === 0 || h === 0) continue
      width = Math.round(w)
      height = Math.round(h)
      const mdia = child(view, trak, 'mdia')
      const stsd = mdia && [child(view, mdia, 'minf')].map((minf) => minf && child(view, minf, 'stbl')).map((stbl) => stbl && child(view, stbl, 'stsd'))[0]
      // stsd: version/flags (4), entry count (4), then sample entries as boxes.
      if (stsd && view.getUint32(stsd.body + 4) > 0) codec = fourCc(view, stsd.body + 12)
      break
    }
    const mimeType: VideoType = brand === 'qt  ' || brand === '' ? 'video/quicktime' : 'video/mp4'
    return { mimeType, brand, durationSeconds: duration / timescale, width, height, codec }
  } catch {
    // A DataView read past the end: a box lies about its size.
    return null
  }
}

export type VideoLimits = {
  /** The network's name, as people read it in a message. */
  network: string
  types: readonly VideoType[]
  maxBytes: number
  /** LinkedIn refuses files under 75 KB. */
  minBytes?: number
  minSeconds?: number
  maxSeconds?: number
}

/** X: MP4 or MOV, at most 512 MB, 0.5 to 140 seconds (media_category tweet_video). */
export const X_VIDEO_LIMITS: VideoLimits = { network: 'X', types: VIDEO_TYPES, maxBytes: 512 * 1024 * 1024, minSeconds: 0.5, maxSeconds: 140 }

/** Mastodon's default `configuration.media_attachments.video_size_limit` (40 MB); an instance may set its own. */
export const MASTODON_VIDEO_BYTES = 40 * 1024 * 1024
export function mastodonVideoLimits(videoSizeLimit?: number): VideoLimits {
  return { network: 'Mastodon', types: VIDEO_TYPES, maxBytes: videoSizeLimit && videoSizeLimit > 0 ? videoSizeLimit : MASTODON_VIDEO_BYTES }
}

/** Instagram reels: MP4 or MOV, at most 300 MB, 3 seconds to 15 minutes. */
export const INSTAGRAM_REEL_LIMITS: VideoLimits = { network: 'Instagram', types: VIDEO_TYPES, maxBytes: 300 * 1024 * 1024, minSeconds: 3, maxSeconds: 15 * 60 }

/** Facebook Page videos sent in one request (the non-resumable upload): at most 1 GB and 20 minutes. */
export const FACEBOOK_VIDEO_LIMITS: VideoLimits = { network: 'Facebook', types: VIDEO_TYPES, maxBytes: 1024 * 1024 * 1024, minSeconds: 1, maxSeconds: 20 * 60 }

/** LinkedIn (Videos API): MP4 only, 75 KB to 500 MB, 3 seconds to 30 minutes. */
export const LINKEDIN_VIDEO_LIMITS: VideoLimits = { network: 'LinkedIn', types: ['video/mp4'], maxBytes: 500 * 1024 * 1024, minBytes: 75 * 1024, minSeconds: 3, maxSeconds: 30 * 60 }

/** Bluesky (app.bsky.embed.video's blob: `accept: video/mp4`, `maxSize` 100,000,000 bytes): MP4, at most 3 minutes. */
export const BLUESKY_VIDEO_LIMITS: VideoLimits = { network: 'Bluesky', types: ['video/mp4'], maxBytes: 100_000_000, maxSeconds: 3 * 60 }

/** Threads (a `video_url` Threads fetches): MP4 or MOV, at most 1 GB and 5 minutes. */
export const THREADS_VIDEO_LIMITS: VideoLimits = { network: 'Threads', types: VIDEO_TYPES, maxBytes: 1024 * 1024 * 1024, maxSeconds: 5 * 60 }

export const isVideoType = (mimeType: string): mimeType is VideoType => (VIDEO_TYPES as readonly string[]).includes(mimeType)

const megabytes = (bytes: number) => `${Math.round((bytes / 1024 / 1024) * 10) / 10} MB`
const seconds = (s: number) => `${Math.round(s * 10) / 10} s`

/** The problems of `checkVideo`, as one `invalid-content` message for a publish that refuses the video before uploading it. */
export const describeVideoProblems = (problems: VideoProblem[]) => problems.map((p) => `${p.path}: ${p.message}`).join(' ')

/**
 * What is wrong with a video for one network, each problem naming its field (`<path>.mimeType`,
 * `<path>.data`, `<path>.duration`) and the limit. Checked before any byte is uploaded.
 */
export function checkVideo(args: { path: string; mimeType: string; data: Uint8Array; limits: VideoLimits }): VideoProblem[] {
  const { path, limits } = args
  const problems: VideoProblem[] = []
  if (!(limits.types as readonly string[]).includes(args.mimeType)) {
    problems.push({ path: `${path}.mimeType`, message: `${limits.network} takes ${limits.types.includes('video/quicktime') ? 'MP4 or MOV' : 'MP4'} videos.` })
    return problems
  }
  if (args.data.byteLength > limits.maxBytes) {
    problems.push({ path: `${path}.data`, message: `Too big for ${limits.network}: ${megabytes(args.data.byteLength)}, at most ${megabytes(limits.maxBytes)}.` })
  }
  if (limits.minBytes !== undefined && args.data.byteLength < limits.minBytes) {
    problems.push({ path: `${path}.data`, message: `Too small for ${limits.network}: ${Math.ceil(args.data.byteLength / 1024)} KB, at least ${Math.round(limits.minBytes / 1024)} KB.` })
  }
  const info = readVideoInfo(args.data)
  if (!info) {
    problems.push({ path: `${path}.data`, message: 'This file is not a readable MP4 or MOV video (no movie header).' })
    return problems
  }
  if (limits.maxSeconds !== undefined && info.durationSeconds > limits.maxSeconds) {
    problems.push({ path: `${path}.duration`, message: `Too long for ${limits.network}: ${seconds(info.durationSeconds)}, at most ${limits.maxSeconds} s.` })
  }
  if (limits.minSeconds !== undefined && info.durationSeconds < limits.minSeconds) {
    problems.push({ path: `${path}.duration`, message: `Too short for ${limits.network}: ${seconds(info.durationSeconds)}, at least ${limits.minSeconds} s.` })
  }
  return problems
}
