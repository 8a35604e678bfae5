import { createBlueskyConnector } from '../../connectors/bluesky/index'
import { createFacebookConnector } from '../../connectors/facebook/index'
import { createInstagramConnector } from '../../connectors/instagram/index'
import { createLinkedInConnector } from '../../connectors/linkedin/index'
import { createMastodonConnector } from '../../connectors/mastodon/index'
import type { ChannelContent } from '../../connectors/types'
import { createXConnector } from '../../connectors/x/index'
import { validatePost } from '../../core/series/validation.server'
import type { Services } from '../../core/services.server'
import {
  BLUESKY_VIDEO_LIMITS,
  checkVideo,
  FACEBOOK_VIDEO_LIMITS,
  INSTAGRAM_REEL_LIMITS,
  LINKEDIN_VIDEO_LIMITS,
  mastodonVideoLimits,
  X_VIDEO_LIMITS,
  type VideoLimits,
} from '../../domain/media/video'
import { makeMp4 } from '../connectors/fixtures/mp4'

/**
 * The editor's check of a post for an account (core/series/validation.server.ts validatePost, what the
 * series form and the API run before saving) refuses a video with the network's own limits from
 * domain/media/video.ts: the same ones each connector applies again before uploading (decision 105).
 */
const services = {
  connectors: {
    x: createXConnector({ clientId: 'id' }),
    mastodon: createMastodonConnector({}),
    linkedin: createLinkedInConnector({ clientId: 'id', clientSecret: 'secret' }),
    facebook: createFacebookConnector({ appId: 'id', appSecret: 'secret' }),
    instagram: createInstagramConnector({ appId: 'id', appSecret: 'secret' }),
    bluesky: createBlueskyConnector(),
  },
} as unknown as Services

const networks: Array<[keyof typeof services.connectors & string, VideoLimits]> = [
  ['x', X_VIDEO_LIMITS],
  ['mastodon', mastodonVideoLimits()],
  ['linkedin', LINKEDIN_VIDEO_LIMITS],
  ['facebook', FACEBOOK_VIDEO_LIMITS],
  ['instagram', INSTAGRAM_REEL_LIMITS],
  ['bluesky', BLUESKY_VIDEO_LIMITS],
]

const videos = {
  'a 2 s MP4 of 80 KB': { mimeType: 'video/mp4', data: makeMp4({ durationSeconds: 2, totalBytes: 80_000 }) },
  'a 20 min 1 s MP4': { mimeType: 'video/mp4', data: makeMp4({ durationSeconds: 1201, totalBytes: 80_000 }) },
  'a 10 s MOV': { mimeType: 'video/quicktime', data: makeMp4({ durationSeconds: 10, brand: 'qt  ', totalBytes: 80_000 }) },
  'a 10 s MP4 of 20 KB': { mimeType: 'video/mp4', data: makeMp4({ durationSeconds: 10, totalBytes: 20_000 }) },
}

describe.each(networks)('the editor checks a video for %s with its network limits', (kind, limits) => {
  it.each(Object.entries(videos))('%s', (_, video) => {
    const content: ChannelContent = { parts: [{ text: 'Our launch', media: [video] }] }
    const expected = checkVideo({ path: 'parts[0].media[0]', mimeType: video.mimeType, data: video.data, limits })
    expect(validatePost(services, { account: { kind, maxPostLength: null }, content })).toEqual(expected)
  })
})

it('the limits differ where the networks do', () => {
  const refused = (kind: string) => Object.entries(videos).filter(([, video]) => validatePost(services, { account: { kind, maxPostLength: null }, content: { parts: [{ text: 'x', media: [video] }] } }).length > 0).map(([name]) => name)
  expect(refused('x')).toEqual(['a 20 min 1 s MP4'])
  expect(refused('linkedin')).toEqual(['a 2 s MP4 of 80 KB', 'a 10 s MOV', 'a 10 s MP4 of 20 KB'])
  expect(refused('instagram')).toEqual(['a 2 s MP4 of 80 KB', 'a 20 min 1 s MP4'])
  expect(refused('facebook')).toEqual(['a 20 min 1 s MP4'])
  expect(refused('bluesky')).toEqual(['a 20 min 1 s MP4', 'a 10 s MOV'])
  expect(refused('mastodon')).toEqual([])
})
