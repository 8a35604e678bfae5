import { bestAndWorst, heatMap, postAnalytics, postsCsv, totalsByNetwork, weekdayHour, type PostRow } from './analytics'

const none = { impressions: null, likes: null, reposts: null, replies: null, quotes: null, bookmarks: null }
const row = (i: number, network: string, publishedAt: string, metrics: Partial<PostRow['metrics']>, clicks = 0): PostRow => ({
  deliveryId: `d${i}`,
  stepId: `s${i}`,
  position: i,
  network,
  handle: 'me',
  publishedAt,
  url: null,
  metricsAge: Object.keys(metrics).length ? '24h' : null,
  metrics: { ...none, ...metrics },
  clicks,
})

describe('series analytics', () => {
  const posts = postAnalytics(
    [
      row(0, 'x', '2026-11-02T08:00:00Z', { impressions: 1000, likes: 10, reposts: 2, replies: 1, quotes: 1, bookmarks: 1 }, 5),
      row(1, 'mastodon', '2026-11-02T08:00:00Z', { likes: 3, reposts: 1, replies: 0 }, 1),
      row(2, 'x', '2026-11-04T17:30:00Z', { impressions: 50, likes: 0 }),
      row(3, 'bluesky', '2026-11-05T08:00:00Z', {}),
    ],
    () => 'text',
  )

  it('engagement counts interactions and clicks, not impressions', () => {
    expect(posts.map((p) => p.engagement)).toEqual([20, 5, 0, 0])
    expect(posts[0]!.engagementRate).toBe(0.02)
    expect(posts[1]!.engagementRate).toBeNull()
  })

  it('sums per network, leaving unreported metrics null', () => {
    expect(totalsByNetwork(posts)).toEqual([
      { network: 'x', posts: 2, clicks: 5, engagement: 20, impressions: 1050, likes: 10, reposts: 2, replies: 1, quotes: 1, bookmarks: 1 },
      { network: 'mastodon', posts: 1, clicks: 1, engagement: 5, impressions: null, likes: 3, reposts: 1, replies: 0, quotes: null, bookmarks: null },
      { network: 'bluesky', posts: 1, clicks: 0, engagement: 0, impressions: null, likes: null, reposts: null, replies: null, quotes: null, bookmarks: null },
    ])
  })

  it('best and worst among measured posts, never the same post twice', () => {
    const { best, worst } = bestAndWorst(posts, 3)
    expect(best.map((p) => p.deliveryId)).toEqual(['d0', 'd1'])
    expect(worst.map((p) => p.deliveryId)).toEqual(['d2'])
  })

  it('places posts by weekday and hour in the zone', () => {
    // 2026-11-02 is a Monday; 08:00 UTC is 09:00 in Berlin.
    expect(weekdayHour('Europe/Berlin', Date.parse('2026-11-02T08:00:00Z'))).toEqual({ weekday: 0, hour: 9 })
    expect(weekdayHour('America/Los_Angeles', Date.parse('2026-11-02T05:00:00Z'))).toEqual({ weekday: 6, hour: 21 })
    expect(heatMap(posts, 'Europe/Berlin')).toEqual([
      { weekday: 0, hour: 9, posts: 2, engagement: 25, average: 12.5 },
      { weekday: 2, hour: 18, posts: 1, engagement: 0, average: 0 },
      { weekday: 3, hour: 9, posts: 1, engagement: 0, average: 0 },
    ])
  })

  it('exports the posts as CSV', () => {
    expect(postsCsv(posts.slice(1, 2)).split(/\r?\n/)[1]).toBe('2026-11-02T08:00:00Z,2,mastodon,me,,24h,,3,1,0,,,1,5')
  })
})
