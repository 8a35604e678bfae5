import { compareSteps, dailyCsv, daysBetween, fillDaily, funnelOf, revenueByCurrency, stepMetrics, type StepAnalytics } from './analytics'

const counts = { sent: 4, bounced: 1, softBounced: 0, opened: 2, clicked: 1, unsubscribed: 1, complained: 0 }

describe('drip analytics (pure)', () => {
  it('derives delivered and the rates: bounced of sent, the others of delivered, click-to-open of opened', () => {
    const m = stepMetrics(counts, 1)
    expect(m.counts).toMatchObject({ delivered: 3, hardBounced: 1, conversions: 1 })
    expect(m.rates).toEqual({ delivered: 0.75, opened: 2 / 3, clicked: 1 / 3, clickToOpen: 0.5, unsubscribed: 1 / 3, bounced: 0.25, complained: 0, conversion: 1 / 3 })
    expect(stepMetrics({ ...counts, sent: 0, bounced: 0, opened: 0, clicked: 0, unsubscribed: 0 }, 0).rates.opened).toBe(0)
  })

  it('builds the funnel enrolled → each step → goal with rates of enrolled and of the stage before', () => {
    const f = funnelOf({ enrolled: 4, steps: [{ position: 0, sent: 4 }, { position: 1, sent: 2 }], goalReached: 1 })
    expect(f.map((s) => [s.label, s.count, s.rate, s.stepRate])).toEqual([
      ['Enrolled', 4, 1, 1],
      ['Step 1 sent', 4, 1, 1],
      ['Step 2 sent', 2, 0.5, 0.5],
      ['Goal reached', 1, 0.25, 0.5],
    ])
  })

  it('sums revenue by currency, only over goal events that carried a number', () => {
    expect(
      revenueByCurrency([
        { currency: 'EUR', revenue: 49.5, valued: 1 },
        { currency: 'EUR', revenue: 0.25, valued: 1 },
        { currency: null, revenue: 0, valued: 0 },
        { currency: 'USD', revenue: 10, valued: 2 },
      ]),
    ).toEqual([
      { currency: 'EUR', amount: 49.75 },
      { currency: 'USD', amount: 10 },
    ])
  })

  it('fills every day of the period and writes the CSV', () => {
    expect(daysBetween('2026-02-27', '2026-03-02')).toEqual(['2026-02-27', '2026-02-28', '2026-03-01', '2026-03-02'])
    const daily = fillDaily(daysBetween('2026-11-01', '2026-11-03'), [{ day: '2026-11-02', sends: 4, opens: 2, clicks: 3, conversions: 0 }])
    expect(daily.map((d) => d.sends)).toEqual([0, 4, 0])
    expect(dailyCsv(daily)).toBe('date,sends,opens,clicks,conversions\r\n2026-11-01,0,0,0,0\r\n2026-11-02,4,2,3,0\r\n2026-11-03,0,0,0,0\r\n')
  })

  it('compares two steps rate by rate', () => {
    const step = (c: typeof counts, conversions: number) => ({ ...stepMetrics(c, conversions) }) as StepAnalytics
    const rows = compareSteps(step(counts, 0), step({ ...counts, sent: 2, bounced: 0, opened: 2, clicked: 2 }, 1))
    expect(rows.find((r) => r.rate === 'opened')).toEqual({ rate: 'opened', a: 2 / 3, b: 1, difference: 1 - 2 / 3 })
    expect(rows.find((r) => r.rate === 'conversion')!.b).toBe(0.5)
  })
})
