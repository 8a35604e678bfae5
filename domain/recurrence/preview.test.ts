import { previewRecurrence, RecurrencePreviewInputSchema } from './preview'

const body = { rule: 'FREQ=WEEKLY;BYDAY=TU,TH;COUNT=10', start: '2026-03-20T09:00', timezone: 'Europe/Berlin', limit: 50 }

describe('previewRecurrence', () => {
  it('returns the text and the occurrences in UTC and local time', () => {
    const r = previewRecurrence(body)
    expect(r.ok).toBe(true)
    if (!r.ok) return
    expect(r.value.text).toBe('every Tuesday and Thursday at 9:00, 10 times')
    expect(r.value.occurrences).toHaveLength(10)
    expect(r.value.occurrences[0]).toEqual({ at: '2026-03-24T08:00:00.000Z', local: '2026-03-24T09:00' })
    expect(r.value.occurrences[2]).toEqual({ at: '2026-03-31T07:00:00.000Z', local: '2026-03-31T09:00' })
  })

  it('applies the limit (default 50, max 500)', () => {
    const long = { ...body, rule: 'FREQ=DAILY;COUNT=1000' }
    const { limit: _, ...noLimit } = long
    const r = previewRecurrence(noLimit)
    expect(r.ok && r.value.occurrences.length).toBe(50)
    const r3 = previewRecurrence({ ...long, limit: 3 })
    expect(r3.ok && r3.value.occurrences.map((o) => o.local)).toEqual(['2026-03-20T09:00', '2026-03-21T09:00', '2026-03-22T09:00'])
    expect(previewRecurrence({ ...long, limit: 501 })).toEqual({
      ok: false,
      issues: [{ field: 'limit', message: 'limit must be at most 500' }],
    })
  })

  it('reports bad input with field names', () => {
    const r = previewRecurrence({ ...body, timezone: 'Europe/Nowhere', rule: 'FREQ=DAILY;COUNT=x' })
    expect(r.ok).toBe(false)
    if (r.ok) return
    expect(r.issues.map((i) => i.field).sort()).toEqual(['rule', 'timezone'])
  })

  it('exports the input schema for the HTTP route', () => {
    expect(RecurrencePreviewInputSchema.safeParse(body).success).toBe(true)
    expect(RecurrencePreviewInputSchema.parse({ ...body, limit: undefined }).limit).toBe(50)
  })
})
