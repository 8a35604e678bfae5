import { seriesRunState } from './series-state'

describe('seriesRunState', () => {
  it('is finished when every delivery is settled, whatever the outcome', () => {
    expect(seriesRunState({ status: 'active', counts: { published: 3 } })).toBe('finished')
    expect(seriesRunState({ status: 'active', counts: { published: 1, failed: 1, missed: 1, skipped: 1, canceled: 1 } })).toBe('finished')
    expect(seriesRunState({ status: 'paused', counts: { published: 2 } })).toBe('finished')
  })
  it('is active or paused while a delivery is to come or in flight, or before any is planned', () => {
    expect(seriesRunState({ status: 'active', counts: { published: 2, queued: 1 } })).toBe('active')
    expect(seriesRunState({ status: 'active', counts: { published: 2, needs_review: 1 } })).toBe('active')
    expect(seriesRunState({ status: 'active', counts: { publishing: 1 } })).toBe('active')
    expect(seriesRunState({ status: 'paused', counts: { planned: 1 } })).toBe('paused')
    expect(seriesRunState({ status: 'active', counts: {} })).toBe('active')
  })
})
