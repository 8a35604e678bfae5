import { CampaignSchema, campaignCsv, campaignFunnel, campaignTag } from './campaign'

describe('campaign funnel', () => {
  it('adds the channels and rates each stage of reach and of the stage before', () => {
    const stages = campaignFunnel({ social: { reach: 900, clicks: 30 }, email: { reach: 100, clicks: 20 }, enrollments: 10, conversions: 4 })
    expect(stages.map((s) => [s.key, s.social, s.email, s.total, s.rate, s.stepRate])).toEqual([
      ['reach', 900, 100, 1000, 1, 1],
      ['clicks', 30, 20, 50, 0.05, 0.05],
      ['enrollments', null, null, 10, 0.01, 0.2],
      ['conversions', null, null, 4, 0.004, 0.4],
    ])
    expect(campaignCsv(stages)).toBe('stage,social,email,total\r\nreach,900,100,1000\r\nclicks,30,20,50\r\nenrollments,,,10\r\nconversions,,,4\r\n')
    expect(campaignFunnel({ social: { reach: 0, clicks: 0 }, email: { reach: 0, clicks: 0 }, enrollments: 0, conversions: 0 })[1]).toMatchObject({ rate: 0, stepRate: 0 })
  })

  it('reads a campaign tag: trimmed, empty is none, bounded', () => {
    expect(CampaignSchema.parse('  Spring launch ')).toBe('Spring launch')
    expect(campaignTag(CampaignSchema.parse(''))).toBeNull()
    expect(CampaignSchema.parse(null)).toBeNull()
    expect(campaignTag(undefined)).toBeUndefined()
    expect(CampaignSchema.safeParse('x'.repeat(81)).success).toBe(false)
    expect(CampaignSchema.safeParse('a\nb').success).toBe(false)
    expect(CampaignSchema.safeParse(3).success).toBe(false)
  })
})
