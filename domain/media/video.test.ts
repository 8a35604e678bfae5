import { makeMp4 } from '../../test/connectors/fixtures/mp4'
import { checkVideo, mastodonVideoLimits, readVideoInfo, X_VIDEO_LIMITS } from './video'

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
})
