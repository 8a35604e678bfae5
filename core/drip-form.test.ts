import { DripInputSchema } from '../domain/drip/schema'
import { amountToDelay, delayToAmount, describeTrigger, dripToFormValues, fieldOfErrorPath, formDataToValues, formValuesToInput, type DripFormValues } from './drip-form'

/** What a browser posts for these values (the editor's field names). */
function post(v: DripFormValues): FormData {
  const f = new FormData()
  const add = (k: string, value: string) => f.append(k, value)
  add('name', v.name)
  add('timezone', v.timezone)
  add('triggerCount', String(v.triggers.length))
  v.triggers.forEach((t, i) => {
    const p = `triggers.${i}.`
    Object.entries({ kind: t.kind, formId: t.formId, event: t.event, field: t.dateField, time: t.dateTime, segmentId: t.segmentId, activity: t.activity, dripId: t.dripId, step: t.step, url: t.url, times: t.times, to: t.to, toNumber: t.toNumber, keyword: t.keyword }).forEach(([k, value]) => add(p + k, value))
  })
  add('reentry', v.reentry)
  add('goals', v.goals)
  add('attributionDays', v.attributionDays)
  if (v.utm) add('utm', 'on')
  add('campaign', v.campaign)
  if (v.windowOn) add('windowOn', 'on')
  v.windowDays.forEach((d) => add('window.days', d))
  add('window.start', v.windowStart)
  add('window.end', v.windowEnd)
  if (v.quietOn) add('quietOn', 'on')
  add('quietHours.start', v.quietStart)
  add('quietHours.end', v.quietEnd)
  add('stepCount', String(v.steps.length))
  v.steps.forEach((s, i) => Object.entries(s).forEach(([k, value]) => add(`steps.${i}.${k}`, value)))
  return f
}

/** One of each action (decision 079), as the API stores them. */
const ACTIONS = [
  { type: 'set_field', field: 'plan', op: 'set', value: 'pro' },
  { type: 'set_field', field: 'seats', op: 'set', value: 3 },
  { type: 'set_field', field: 'logins', op: 'increment', value: 2 },
  { type: 'set_field', field: 'credits', op: 'decrement', value: 1.5 },
  { type: 'add_tag', tag: 'vip' },
  { type: 'remove_tag', tag: 'trial' },
  { type: 'score', points: -3 },
  { type: 'enroll', dripId: '6d0c7a52-0a8b-4c3e-9d4e-2a9f0f1b2c10' },
  { type: 'unenroll', dripId: '6d0c7a52-0a8b-4c3e-9d4e-2a9f0f1b2c11' },
  { type: 'webhook', url: 'https://hooks.example.com/trickle' },
] as const

describe('the drip builder form', () => {
  it('round-trips a stored drip through the posted form to the same input', () => {
    const stored = DripInputSchema.parse({
      name: 'Onboarding',
      timezone: 'Europe/Berlin',
      utm: true,
      campaign: 'Spring launch',
      triggers: [
        { kind: 'event', event: 'signup' },
        { kind: 'form', formId: '6d0c7a52-0a8b-4c3e-9d4e-2a9f0f1b2c00' },
        { kind: 'date', field: 'birthday', time: '08:30' },
        { kind: 'segment', segmentId: '6d0c7a52-0a8b-4c3e-9d4e-2a9f0f1b2c01' },
        { kind: 'email_activity', activity: 'clicked', dripId: '6d0c7a52-0a8b-4c3e-9d4e-2a9f0f1b2c02', step: 1, url: 'https://example.com/pricing' },
        { kind: 'email_activity', activity: 'opened' },
      ],
      reentry: 'once_at_a_time',
      goals: ['purchase', 'demo_booked'],
      attributionDays: 14,
      window: { days: ['MO', 'TU', 'WE'], start: '09:00', end: '17:30' },
      quietHours: { start: '22:00', end: '07:00' },
      steps: [
        { id: '6d0c7a52-0a8b-4c3e-9d4e-2a9f0f1b2c3d', subject: 'Hi', markdown: 'Welcome', delay: 'P0D' },
        { id: '6d0c7a52-0a8b-4c3e-9d4e-2a9f0f1b2c3e', subject: 'Tips', markdown: 'Two', delay: 'PT36H', condition: { kind: 'email', activity: 'opened', step: 0, withinDays: 3 }, onFalse: 'exit' },
        { id: '6d0c7a52-0a8b-4c3e-9d4e-2a9f0f1b2c3f', subject: 'Offer', markdown: 'Three', delay: 'P2W', after: 'enrollment', condition: { kind: 'event', event: 'purchase', negate: true }, onFalse: { goto: 3 } },
        { id: '6d0c7a52-0a8b-4c3e-9d4e-2a9f0f1b2c40', subject: 'Last', markdown: 'Four', delay: 'P1M', condition: { kind: 'rule', rule: { match: 'all', conditions: [{ kind: 'field', field: 'city', op: 'eq', value: 'Berlin' }] } } },
        ...ACTIONS.map((action, k) => ({ id: `6d0c7a52-0a8b-4c3e-9d4e-2a9f0f1b2d${String(k).padStart(2, '0')}`, kind: 'action' as const, action, delay: 'PT1H' })),
      ],
    })
    const { name, timezone, steps, utm, campaign, ...settings } = stored
    const values = dripToFormValues({ name, timezone, utm, campaign, settings, steps: steps.map((s) => ({ ...s, id: s.id!, subject: s.subject ?? '', markdown: s.markdown ?? '', settings: s })) })
    const again = DripInputSchema.parse(formValuesToInput(formDataToValues(post(values))))
    expect(again).toEqual(stored)
  })

  it('writes delays as ISO durations and reads them back as one amount and unit', () => {
    expect(amountToDelay('3', 'days')).toBe('P3D')
    expect(amountToDelay('', 'hours')).toBe('P0D')
    expect(amountToDelay('90', 'minutes')).toBe('PT90M')
    expect(delayToAmount('P1DT12H')).toEqual({ amount: '36', unit: 'hours' })
    expect(delayToAmount('P14D')).toEqual({ amount: '2', unit: 'weeks' })
    expect(delayToAmount('P1Y')).toEqual({ amount: '12', unit: 'months' })
    expect(delayToAmount('PT45M')).toEqual({ amount: '45', unit: 'minutes' })
  })

  it('names the field a schema error belongs to, and refuses a fractional delay', () => {
    const values = dripToFormValues({ name: 'x', timezone: 'UTC', settings: { triggers: [{ kind: 'manual' }], reentry: 'once_ever', goals: [] }, steps: [{ id: '', subject: 's', markdown: 'm', settings: { delay: 'P0D', after: 'previous-step', onFalse: 'skip' } }] })
    values.steps[0]!.delayAmount = '1.5'
    const result = DripInputSchema.safeParse(formValuesToInput(values))
    expect(result.success).toBe(false)
    expect(fieldOfErrorPath(result.error!.issues[0]!.path.join('.'))).toBe('steps.0.delayAmount')
    expect(fieldOfErrorPath('steps.2.condition.step')).toBe('steps.2.conditionStep')
    expect(fieldOfErrorPath('window.days.0')).toBe('window.days')
    expect(fieldOfErrorPath('goals.3')).toBe('goals')
    expect(fieldOfErrorPath('triggers.1.segmentId')).toBe('triggers.1.segmentId')
    expect(fieldOfErrorPath('triggers.2')).toBe('triggers.2.kind')
    expect(fieldOfErrorPath('triggers.0.kind')).toBe('triggers.0.kind')
  })

  it('shows an action step’s errors under its fields; a non-number increment is handed on as text to be named', () => {
    const values = dripToFormValues({ name: 'x', timezone: 'UTC', settings: { triggers: [{ kind: 'manual' }], reentry: 'once_ever', goals: [] }, steps: [{ id: '', subject: '', markdown: '', action: { type: 'score', points: 2 }, settings: { delay: 'P0D', after: 'previous-step', onFalse: 'skip' } }] })
    expect(values.steps[0]).toMatchObject({ kind: 'action', actionType: 'score', actionPoints: '2' })
    values.steps[0]!.actionPoints = ''
    const result = DripInputSchema.safeParse(formValuesToInput(values))
    expect(fieldOfErrorPath(result.error!.issues[0]!.path.join('.'))).toBe('steps.0.actionPoints')
    Object.assign(values.steps[0]!, { actionType: 'set_field', actionField: 'logins', actionOp: 'increment', actionValue: 'two' })
    expect(formValuesToInput(values).steps[0]).toMatchObject({ kind: 'action', action: { type: 'set_field', op: 'increment', value: 'two' } })
    expect(formValuesToInput(values).steps[0]).not.toHaveProperty('subject')
    expect(fieldOfErrorPath('steps.1.action.dripId')).toBe('steps.1.actionDripId')
    expect(fieldOfErrorPath('steps.1.action.value')).toBe('steps.1.actionValue')
    expect(fieldOfErrorPath('steps.1.action')).toBe('steps.1.actionType')
    expect(fieldOfErrorPath('triggers.1.dripId')).toBe('triggers.1.dripId')
  })

  it('reads one `trigger` as `triggers: [trigger]`; refuses duplicates, manual beside others, more than 10 and both keys', () => {
    const base = { name: 'x', steps: [{ subject: 's', markdown: 'm' }] }
    expect(DripInputSchema.parse(base).triggers).toEqual([{ kind: 'manual' }])
    expect(DripInputSchema.parse({ ...base, trigger: { kind: 'event', event: 'signup' } }).triggers).toEqual([{ kind: 'event', event: 'signup' }])
    const issue = (input: object) => {
      const r = DripInputSchema.safeParse({ ...base, ...input })
      return r.success ? null : { path: r.error.issues[0]!.path.join('.'), message: r.error.issues[0]!.message }
    }
    const event = (n: number) => ({ kind: 'event', event: `e${n}` })
    expect(issue({ triggers: [event(1), event(2), event(1)] })).toEqual({ path: 'triggers.2', message: 'the same trigger as trigger 1' })
    expect(issue({ triggers: [event(1), { kind: 'manual' }] })).toMatchObject({ path: 'triggers.1.kind' })
    expect(issue({ triggers: Array.from({ length: 11 }, (_, i) => event(i)) })).toEqual({ path: 'triggers', message: 'at most 10 triggers' })
    expect(issue({ triggers: [] })).toEqual({ path: 'triggers', message: 'add at least one trigger' })
    expect(issue({ triggers: [event(1)], trigger: event(2) })).toMatchObject({ path: 'trigger' })
    expect(issue({ triggers: [event(1), { kind: 'segment', segmentId: 'nope' }] })).toEqual({ path: 'triggers.1.segmentId', message: 'must be a segment id' })
    expect(DripInputSchema.parse({ ...base, triggers: Array.from({ length: 10 }, (_, i) => event(i)) }).triggers).toHaveLength(10)
  })
})

describe('SMS steps and sms_reply triggers in the form (decision 081)', () => {
  it('round-trips an SMS step with its quiet hours and a keyword trigger through the posted form', () => {
    const input = DripInputSchema.parse({
      name: 'Texts',
      triggers: [{ kind: 'sms_reply', keyword: 'demo' }, { kind: 'sms_reply' }],
      steps: [{ subject: 'Hi', markdown: 'Hello' }, { kind: 'sms', text: 'Hi {{ contact.first_name }} ✓', delay: 'PT2H' }],
    })
    expect(input.steps[1]).toMatchObject({ kind: 'sms', text: 'Hi {{ contact.first_name }} ✓', quietHours: { start: '21:00', end: '08:00' } })
    expect(input.triggers).toEqual([{ kind: 'sms_reply', keyword: 'DEMO' }, { kind: 'sms_reply' }])
    const values = dripToFormValues({
      name: input.name,
      timezone: input.timezone,
      settings: { triggers: input.triggers, reentry: input.reentry, goals: input.goals },
      steps: input.steps.map((s, i) => ({ id: `s${i}`, kind: s.kind, subject: s.subject ?? '', markdown: s.markdown ?? '', text: s.text, settings: { delay: s.delay, after: s.after, onFalse: s.onFalse, quietHours: s.quietHours } })),
    })
    expect(values.steps.map((s) => s.kind)).toEqual(['email', 'sms'])
    const again = formValuesToInput(formDataToValues(post(values)))
    expect(again.steps[1]).toMatchObject({ kind: 'sms', text: 'Hi {{ contact.first_name }} ✓', delay: 'PT2H' })
    expect(again.steps[1]).not.toHaveProperty('subject')
    expect(again.triggers).toEqual([{ kind: 'sms_reply', keyword: 'DEMO' }, { kind: 'sms_reply' }])
    expect(fieldOfErrorPath('triggers.0.keyword')).toBe('triggers.0.keyword')
    expect(fieldOfErrorPath('steps.1.text')).toBe('steps.1.text')
  })

  it('refuses a STOP word as a trigger keyword', () => {
    const result = DripInputSchema.safeParse({ name: 'x', triggers: [{ kind: 'sms_reply', keyword: 'stop' }], steps: [{ subject: 'a', markdown: 'b' }] })
    expect(result.success).toBe(false)
    expect(result.error!.issues[0]!.path).toEqual(['triggers', 0, 'keyword'])
  })
})

describe('behaviour triggers in the form (decision 096)', () => {
  it('round-trips soft-bounce and field-changed triggers (a number field’s value stays a number) and names their fields', () => {
    const triggers = [
      { kind: 'email_activity', activity: 'soft_bounced', times: 3 },
      { kind: 'email_activity', activity: 'bounced', dripId: '6d0c7a52-0a8b-4c3e-9d4e-2a9f0f1b2c3d', step: 1 },
      { kind: 'field_changed', field: 'lifecycle_stage', to: 'customer' },
      { kind: 'field_changed', field: 'seats', to: 10 },
      { kind: 'field_changed', field: 'plan' },
    ] as const
    const input = DripInputSchema.parse({ name: 'Behaviour', triggers, steps: [{ subject: 'Hi', markdown: 'Hello' }] })
    const values = dripToFormValues({
      name: input.name,
      timezone: input.timezone,
      settings: { triggers: input.triggers, reentry: input.reentry, goals: input.goals },
      steps: input.steps.map((s) => ({ id: '', kind: s.kind, subject: s.subject ?? '', markdown: s.markdown ?? '', settings: { delay: s.delay, after: s.after, onFalse: s.onFalse } })),
    })
    const again = DripInputSchema.parse(formValuesToInput(formDataToValues(post(values))))
    expect(again.triggers).toEqual(triggers)
    expect(fieldOfErrorPath('triggers.2.to')).toBe('triggers.2.to')
    expect(fieldOfErrorPath('triggers.0.times')).toBe('triggers.0.times')
    expect(describeTrigger(input.triggers[0]!)).toBe('Soft bounce on any email (3 times)')
    expect(describeTrigger(input.triggers[2]!, new Map([['lifecycle_stage', 'Lifecycle stage']]))).toBe('“Lifecycle stage” changes to “customer”')
  })
})

describe('wait-until and notify steps in the form (decision 096)', () => {
  it('round-trips both through the posted form and names their fields', () => {
    const steps = [
      { subject: 'Hi', markdown: 'Hello' },
      { kind: 'action', action: { type: 'wait_until', until: { kind: 'email', activity: 'clicked', step: 0 }, timeout: 'P2W' } },
      { kind: 'action', action: { type: 'wait_until', until: { kind: 'date', field: 'renewal', time: '10:00' }, timeout: 'PT12H' } },
      { kind: 'action', action: { type: 'wait_until', until: { kind: 'event', event: 'purchase' }, timeout: 'P3D' } },
      { kind: 'action', action: { type: 'notify', userId: '6d0c7a52-0a8b-4c3e-9d4e-2a9f0f1b2c3d', subject: 'Lead {{ contact.email }}', text: 'Call them' } },
    ] as const
    const input = DripInputSchema.parse({ name: 'Waits', steps })
    const values = dripToFormValues({
      name: input.name,
      timezone: input.timezone,
      settings: { triggers: input.triggers, reentry: input.reentry, goals: input.goals },
      steps: input.steps.map((s) => ({ id: '', kind: s.kind, action: s.action, subject: s.subject ?? '', markdown: s.markdown ?? '', settings: { delay: s.delay, after: s.after, onFalse: s.onFalse } })),
    })
    const again = DripInputSchema.parse(formValuesToInput(formDataToValues(post(values))))
    expect(again.steps.map((s) => s.action)).toEqual(steps.map((s) => ('action' in s ? s.action : undefined)))
    expect(fieldOfErrorPath('steps.3.action.until.event')).toBe('steps.3.actionEvent')
    expect(fieldOfErrorPath('steps.2.action.until.field')).toBe('steps.2.actionDateField')
    expect(fieldOfErrorPath('steps.1.action.timeout')).toBe('steps.1.actionTimeoutAmount')
    expect(fieldOfErrorPath('steps.4.action.userId')).toBe('steps.4.actionUserId')
  })
})

describe('bounce, complaint and unsubscribe conditions in the form (decision 096)', () => {
  it('round-trips them (with a step, or the contact as a whole) and refuses what they cannot mean, naming the field', () => {
    const steps = [
      { subject: 'Hi', markdown: 'Hello' },
      { kind: 'sms', text: 'Hi by text', condition: { kind: 'email', activity: 'bounced', step: 0, withinDays: 2 } },
      { kind: 'action', action: { type: 'add_tag', tag: 'spam' }, condition: { kind: 'email', activity: 'complained' } },
      { subject: 'Still there?', markdown: 'x', condition: { kind: 'email', activity: 'unsubscribed', negate: true }, onFalse: 'exit' },
    ] as const
    const input = DripInputSchema.parse({ name: 'Branches', steps })
    const values = dripToFormValues({
      name: input.name,
      timezone: input.timezone,
      settings: { triggers: input.triggers, reentry: input.reentry, goals: input.goals },
      steps: input.steps.map((s) => ({ id: '', kind: s.kind, action: s.action, text: s.text, subject: s.subject ?? '', markdown: s.markdown ?? '', settings: { delay: s.delay, after: s.after, condition: s.condition, onFalse: s.onFalse } })),
    })
    expect(values.steps.map((s) => [s.condition, s.conditionStep])).toEqual([['none', '1'], ['bounced', '1'], ['complained', ''], ['not-unsubscribed', '']])
    const again = DripInputSchema.parse(formValuesToInput(formDataToValues(post(values))))
    expect(again.steps.map((s) => s.condition)).toEqual(steps.map((s) => ('condition' in s ? s.condition : undefined)))
    const refuse = (condition: unknown, first: object = { subject: 'Hi', markdown: 'Hello' }) => {
      const r = DripInputSchema.safeParse({ name: 'x', steps: [first, { subject: 'Two', markdown: 'two', condition }] })
      return r.success ? 'accepted' : `${r.error.issues[0]!.path.join('.')}: ${r.error.issues[0]!.message}`
    }
    expect(refuse({ kind: 'email', activity: 'opened' })).toBe('steps.1.condition.step: choose the earlier email step that was opened')
    expect(refuse({ kind: 'email', activity: 'bounced', withinDays: 3 })).toBe('steps.1.condition.withinDays: counts days after an email step: choose the step, or leave the days out')
    expect(refuse({ kind: 'email', activity: 'complained', step: 0 }, { kind: 'sms', text: 'hi' })).toBe('steps.1.condition.step: must name an email step')
    expect(refuse({ kind: 'email', activity: 'bounced', step: 1 })).toBe('steps.1.condition.step: must name an earlier step')
    expect(refuse({ kind: 'email', activity: 'soft_bounced' })).toMatch(/^steps\.1\.condition\.activity: activity must be one of opened, clicked, bounced, complained, unsubscribed/)
    expect(fieldOfErrorPath('steps.1.condition.withinDays')).toBe('steps.1.conditionDays')
    expect(fieldOfErrorPath('steps.1.condition.activity')).toBe('steps.1.condition')
  })
})
