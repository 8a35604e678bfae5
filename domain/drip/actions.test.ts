import { DripInputSchema } from './schema'
import { describeAction, fieldAfter, webhookNext } from './actions'

describe('drip action steps (pure)', () => {
  it('defaults a step to an email step and requires an action of an action step', () => {
    const ok = DripInputSchema.parse({ name: 'x', steps: [{ subject: 's', markdown: 'm' }, { kind: 'action', action: { type: 'add_tag', tag: 'vip' } }] })
    expect(ok.steps.map((s) => s.kind)).toEqual(['email', 'action'])
    const paths = (input: unknown) => DripInputSchema.safeParse(input).error?.issues.map((i) => i.path.join('.'))
    expect(paths({ name: 'x', steps: [{ kind: 'action' }] })).toEqual(['steps.0.action'])
    expect(paths({ name: 'x', steps: [{ markdown: 'm' }] })).toEqual(['steps.0.subject'])
    expect(paths({ name: 'x', steps: [{ kind: 'action', action: { type: 'score', points: 0 } }] })).toEqual(['steps.0.action.points'])
  })

  it('computes field values, labels and the webhook retry decisions', () => {
    expect(fieldAfter(4, { type: 'set_field', field: 'n', op: 'increment', value: 3 })).toBe(7)
    expect(fieldAfter(undefined, { type: 'set_field', field: 'n', op: 'decrement', value: 2 })).toBe(-2)
    expect(describeAction({ type: 'add_tag', tag: 'vip' })).toBe('Action: tag +vip')
    expect(describeAction({ type: 'score', points: -3 })).toBe('Action: score −3')
    const next = (outcome: Parameters<typeof webhookNext>[0]['outcome'], attempt = 1) => webhookNext({ outcome, attempt, maxAttempts: 3, baseDelayMs: 100 })
    expect(next({ status: 204 })).toEqual({ action: 'done' })
    expect(next({ status: 500 }, 2)).toEqual({ action: 'retry', delayMs: 200 })
    expect(next({ status: 500 }, 3)).toEqual({ action: 'fail', reason: 'HTTP 500 (after 3 attempts)' })
    expect(next({ status: 404 })).toEqual({ action: 'fail', reason: 'HTTP 404' })
    expect(next({ error: 'timeout', message: 'webhook timed out' })).toEqual({ action: 'retry', delayMs: 100 })
    expect(next({ error: 'refused', message: 'no' })).toEqual({ action: 'fail', reason: 'no' })
  })
})
