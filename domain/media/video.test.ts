import { makeMp4 } from '../../test/connectors/fixtures/mp4'
import { BLUESKY_VIDEO_LIMITS, checkVideo, FACEBOOK_VIDEO_LIMITS, INSTAGRAM_REEL_LIMITS, LINKEDIN_VIDEO_LIMITS, mastodonVideoLimits, readVideoInfo, X_VIDEO_LIMITS } from './video'

describe('readVideoInfo', () => {
  it('reads brand, duration, size and codec from ftyp, mvhd, tkhd and stsd', () => {
    expect(readVideoInfo(makeMp4({ durationSeconds: 12.5, width: 1280, height: 720 }))).toEqual({
      mimeType: 'video/mp4',
      brand: 'isom',
      durationSeconds: 12.5,
      width: 1280,
      height: 720,
      codec: 'avc1',
    })
  })

  it('reads version 1 (64-bit) headers, a moov after the mdat, and a QuickTime brand', () => {
    const info = readVideoInfo(makeMp4({ version: 1, durationSeconds: 141, moovLast: true, brand: 'qt  ', codec: 'hvc1', totalBytes: 4096 }))
    expect(info).toMatchObject({ mimeType: 'video/quicktime', brand: 'qt  ', durationSeconds: 141, width: 320, height: 240, codec: 'hvc1' })
  })

  it('is null for what is not a movie: an image, random bytes, a file cut before its moov', () => {
    expect(readVideoInfo(new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0]))).toBeNull()
    expect(readVideoInfo(new Uint8Array(3))).toBeNull()
    const whole = makeMp4({ moovLast: true, totalBytes: 2000 })
    expect(readVideoInfo(whole.subarray(0, 1500))).toBeNull()
    // A moov (right after the 24-byte ftyp) that claims more bytes than the file holds.
    const lying = makeMp4()
    new DataView(lying.buffer).setUint32(24, 0xfffffff0)
    expect(readVideoInfo(lying)).toBeNull()
  })
})

describe('checkVideo', () => {
  const check = (data: Uint8Array, limits = X_VIDEO_LIMITS, mimeType = 'video/mp4') => checkVideo({ path: 'parts[0].media[0]', mimeType, data, limits })

  it('takes a 1 s MP4 or MOV on X and on Mastodon', () => {
    expect(check(makeMp4())).toEqual([])
    expect(check(makeMp4({ brand: 'qt  ' }), X_VIDEO_LIMITS, 'video/quicktime')).toEqual([])
    expect(check(makeMp4(), mastodonVideoLimits())).toEqual([])
  })

  it('names the duration and the limit of a video too long or too short for X', () => {
    expect(check(makeMp4({ durationSeconds: 141 }))).toEqual([{ path: 'parts[0].media[0].duration', message: 'Too long for X: 141 s, at most 140 s.' }])
    expect(check(makeMp4({ durationSeconds: 0.4 }))).toEqual([{ path: 'parts[0].media[0].duration', message: 'Too short for X: 0.4 s, at least 0.5 s.' }])
    expect(check(makeMp4({ durationSeconds: 140 }))).toEqual([])
  })

  it("names the size and the limit: Mastodon's 40 MB by default, or the instance's own", () => {
    const big = makeMp4({ totalBytes: 41 * 1024 * 1024 })
    expect(check(big, mastodonVideoLimits())).toEqual([{ path: 'parts[0].media[0].data', message: 'Too big for Mastodon: 41 MB, at most 40 MB.' }])
    expect(check(big, mastodonVideoLimits(99 * 1024 * 1024))).toEqual([])
    expect(check(makeMp4({ totalBytes: 2 * 1024 * 1024 }), mastodonVideoLimits(1024 * 1024))[0]?.message).toBe('Too big for Mastodon: 2 MB, at most 1 MB.')
  })

  it('refuses another type, and bytes that are not a movie', () => {
    expect(check(makeMp4(), X_VIDEO_LIMITS, 'video/webm')).toEqual([{ path: 'parts[0].media[0].mimeType', message: 'X takes MP4 or MOV videos.' }])
    expect(check(new Uint8Array(100))[0]?.path).toBe('parts[0].media[0].data')
  })

  it('applies each network\'s limits: MP4 only on LinkedIn and Bluesky, a floor of 75 KB on LinkedIn, reels of 3 s to 15 min', () => {
    const check = (limits: typeof X_VIDEO_LIMITS, data: Uint8Array, mimeType = 'video/mp4') => checkVideo({ path: 'v', mimeType, data, limits }).map((p) => `${p.path}: ${p.message}`)
    const mov = makeMp4({ durationSeconds: 5, brand: 'qt  ', totalBytes: 80_000 })
    expect(check(LINKEDIN_VIDEO_LIMITS, mov, 'video/quicktime')).toEqual(['v.mimeType: LinkedIn takes MP4 videos.'])
    expect(check(BLUESKY_VIDEO_LIMITS, mov, 'video/quicktime')).toEqual(['v.mimeType: Bluesky takes MP4 videos.'])
    expect(check(FACEBOOK_VIDEO_LIMITS, mov, 'video/quicktime')).toEqual([])
    expect(check(LINKEDIN_VIDEO_LIMITS, makeMp4({ durationSeconds: 5, totalBytes: 50_000 }))).toEqual(['v.data: Too small for LinkedIn: 49 KB, at least 75 KB.'])
    expect(check(INSTAGRAM_REEL_LIMITS, makeMp4({ durationSeconds: 2.5 }))).toEqual(['v.duration: Too short for Instagram: 2.5 s, at least 3 s.'])
    expect(check(BLUESKY_VIDEO_LIMITS, makeMp4({ durationSeconds: 180.5 }))).toEqual(['v.duration: Too long for Bluesky: 180.5 s, at most 180 s.'])
  })
})
