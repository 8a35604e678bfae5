import { SegmentInputSchema } from './segments.server'
import { fieldOfErrorPath, formDataToValues, formValuesToInput, segmentToFormValues } from './segment-form'
import type { SegmentRule } from '../domain/email/types'

describe('segment form', () => {
  const rule: SegmentRule = {
    match: 'any',
    conditions: [
      { kind: 'field', field: 'plan', op: 'eq', value: 'pro' },
      { kind: 'field', field: 'seats', op: 'gt', value: 10 },
      { kind: 'field', field: 'company', op: 'exists' },
      { kind: 'tag', tag: 'vip', has: false },
      { kind: 'score', op: 'gte', value: 5 },
      { kind: 'status', status: 'subscribed' },
      { kind: 'activity', activity: 'event', name: 'demo_booked', withinDays: 30, negate: true },
      { kind: 'activity', activity: 'clicked' },
      { match: 'all', conditions: [{ kind: 'tag', tag: 'a', has: true }] },
    ],
  }

  it('round-trips a rule through the flat form fields', () => {
    const values = segmentToFormValues({ name: 'Mixed', rule })
    const form = new FormData()
    form.set('name', values.name)
    form.set('match', values.match)
    form.set('conditionCount', String(values.conditions.length))
    values.conditions.forEach((c, i) => Object.entries(c).forEach(([k, v]) => form.set(`conditions.${i}.${k}`, v)))
    const input = formValuesToInput(formDataToValues(form))
    expect(SegmentInputSchema.parse(input)).toEqual({ name: 'Mixed', rule })
  })

  it('shows each error path under its form field', () => {
    expect(fieldOfErrorPath('name')).toBe('name')
    expect(fieldOfErrorPath('rule.match')).toBe('match')
    expect(fieldOfErrorPath('rule.conditions.2.op')).toBe('conditions.2.op')
    expect(fieldOfErrorPath('rule.conditions.2')).toBe('conditions.2.kind')
    expect(fieldOfErrorPath('rule.conditions.8.conditions.0.tag')).toBe('conditions.8.json')
    expect(fieldOfErrorPath('rule.conditions')).toBe('conditions')
  })
})
