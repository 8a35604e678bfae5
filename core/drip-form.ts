/**
 * The drip builder's form (docs/decisions/019-drip-builder-and-analytics.md): flat, named fields a
 * plain HTML form can post (`steps.0.subject`, `triggers.0.kind`, `window.days`…) ⇄ the nested input of
 * `DripInputSchema`. Isomorphic: the editor renders from `dripToFormValues`, the action reads
 * `formDataToValues` and validates `formValuesToInput` with the same schema as the API, so an error's
 * path (`steps.1.delay`) names the field the editor shows it under.
 */
import type { DripAction } from '../domain/drip/actions'
import type { MailStep } from '../domain/mail/piece'
import { parseIsoDuration } from '../domain/timing/duration'
import { actionFieldOfErrorPath, actionToForm, emptyAction, formDataToAction, formToAction, type DripFormAction } from './drip-form-actions'
import { EMAIL_ACTIVITIES, MAX_TRIGGERS, STEP_KINDS, type StepKind, type DripCondition, type DripInput, type DripSettings, type DripStepSettings, type DripTrigger, type DripTriggerKind, type EmailActivity, type OnFalse } from '../domain/drip/schema'

export const DELAY_UNITS = ['minutes', 'hours', 'days', 'weeks', 'months'] as const
export type DelayUnit = (typeof DELAY_UNITS)[number]

export const CONDITION_CHOICES = [
  'none', 'opened', 'not-opened', 'clicked', 'not-clicked',
  'bounced', 'not-bounced', 'complained', 'not-complained', 'unsubscribed', 'not-unsubscribed',
  'event', 'no-event', 'segment', 'not-segment', 'advanced',
] as const
/** Conditions on an email activity (a step chosen in `conditionStep`; for bounced / complained / unsubscribed an empty step: the contact's state now). */
export const EMAIL_CONDITION_CHOICES = ['opened', 'not-opened', 'clicked', 'not-clicked', 'bounced', 'not-bounced', 'complained', 'not-complained', 'unsubscribed', 'not-unsubscribed'] as const satisfies readonly ConditionChoice[]
/** Email conditions that need an earlier email step (opens and clicks). */
export const STEP_CONDITION_CHOICES = ['opened', 'not-opened', 'clicked', 'not-clicked'] as const satisfies readonly ConditionChoice[]
export type ConditionChoice = (typeof CONDITION_CHOICES)[number]

export const WEEKDAY_CHOICES = ['MO', 'TU', 'WE', 'TH', 'FR', 'SA', 'SU'] as const

export const TRIGGER_KINDS = ['manual', 'form', 'event', 'date', 'segment', 'email_activity', 'field_changed', 'sms_reply'] as const satisfies readonly DripTriggerKind[]

/** One trigger's fieldset: the kind and every kind's field (the ones of other kinds are ignored). */
export type DripFormTrigger = {
  kind: DripTriggerKind
  formId: string
  event: string
  /** date: the date field; field_changed: the custom field (both posted as `triggers.N.field`). */
  dateField: string
  dateTime: string
  segmentId: string
  /** email_activity: the activity, and optionally the drip whose emails count, its step (1-based) and the link. */
  activity: EmailActivity
  dripId: string
  step: string
  url: string
  /** email_activity soft_bounced: at the contact's N-th soft bounce (empty: every soft bounce). */
  times: string
  /** field_changed: the value it changes to (empty: any value), and whether the field holds numbers ('1'). */
  to: string
  toNumber: string
  /** sms_reply: the one-word reply (empty: any reply). */
  keyword: string
}

export type DripFormStep = DripFormAction & {
  id: string
  /** An email, an action (its fields are `DripFormAction`'s) or an SMS (`text`; decision 081). */
  kind: StepKind
  subject: string
  markdown: string
  text: string
} & DripFormMail & {
  delayAmount: string
  delayUnit: DelayUnit
  after: 'previous-step' | 'enrollment'
  condition: ConditionChoice
  /** 1-based step number an email condition looks at ('' for bounced / complained / unsubscribed: the contact's state now). */
  conditionStep: string
  conditionEvent: string
  conditionSegment: string
  conditionDays: string
  /** A condition the form cannot edit (a rule set through the API), kept as JSON. */
  conditionJson: string
  /** `skip`, `exit` or `goto:N` (1-based). */
  onFalse: string
}

/** A direct-mail step's fields (decision 089), named as posted (`steps.N.mail.front`) so the schema's errors land on them. */
export type DripFormMail = { 'mail.piece': 'postcard' | 'letter'; 'mail.front': string; 'mail.back': string; 'mail.size': string; 'mail.file': string; 'mail.pages': string }

const emptyMail = (): DripFormMail => ({ 'mail.piece': 'postcard', 'mail.front': '', 'mail.back': '', 'mail.size': '4x6', 'mail.file': '', 'mail.pages': '1' })

function mailToForm(m: MailStep | null | undefined): DripFormMail {
  if (!m) return emptyMail()
  return { 'mail.piece': m.piece, 'mail.front': m.front ?? '', 'mail.back': m.back ?? '', 'mail.size': m.size ?? '4x6', 'mail.file': m.file ?? '', 'mail.pages': String(m.pages ?? 1) }
}

/** The form's mail fields as the schema's `mail` (empty parts left out so the schema names what is missing). */
function formToMail(m: DripFormMail) {
  const part = (v: string) => (v.trim() === '' ? undefined : v)
  return m['mail.piece'] === 'letter'
    ? { piece: 'letter' as const, file: part(m['mail.file']), pages: m['mail.pages'].trim() === '' ? undefined : (m['mail.pages'] as unknown as number) }
    : { piece: 'postcard' as const, front: part(m['mail.front']), back: part(m['mail.back']), size: (m['mail.size'] || '4x6') as '4x6' }
}

export type DripFormValues = {
  name: string
  timezone: string
  triggers: DripFormTrigger[]
  reentry: DripSettings['reentry']
  goals: string
  /** Days; empty: the default (7). */
  attributionDays: string
  /** Tracked links carry UTM parameters (decision 084). */
  utm: boolean
  /** The campaign tag shared with series (decision 094); empty: none. */
  campaign: string
  windowOn: boolean
  windowDays: string[]
  windowStart: string
  windowEnd: string
  quietOn: boolean
  quietStart: string
  quietEnd: string
  steps: DripFormStep[]
}

export function emptyStep(): DripFormStep {
  return { ...emptyAction(), id: '', kind: 'email', subject: '', markdown: '', text: '', ...emptyMail(), delayAmount: '0', delayUnit: 'days', after: 'previous-step', condition: 'none', conditionStep: '1', conditionEvent: '', conditionSegment: '', conditionDays: '', conditionJson: '', onFalse: 'skip' }
}

/**
 * A trigger in words for lists ("Signup form “Newsletter”", "Event “purchase”"); `names` maps form and
 * segment ids (and date field keys) to their labels.
 */
export function describeTrigger(t: DripTrigger, names: ReadonlyMap<string, string> = new Map()): string {
  switch (t.kind) {
    case 'manual':
      return 'Added by hand, CSV or API'
    case 'form':
      return `Signup form “${names.get(t.formId) ?? 'deleted form'}”`
    case 'event':
      return `Event “${t.event}”`
    case 'date':
      return `Yearly on “${names.get(t.field) ?? t.field}” at ${t.time}`
    case 'segment':
      return `Enters segment “${names.get(t.segmentId) ?? 'deleted segment'}”`
    case 'field_changed':
      return t.to === undefined ? `“${names.get(t.field) ?? t.field}” changes` : `“${names.get(t.field) ?? t.field}” changes to “${t.to}”`
    case 'email_activity':
      return `${ACTIVITY_WORDS[t.activity]} ${t.dripId ? `an email of “${names.get(t.dripId) ?? 'a deleted drip'}”${t.step !== undefined ? ` (step ${t.step + 1})` : ''}` : 'any email'}${t.url ? ` (link ${t.url})` : ''}${t.times ? ` (${t.times} time${t.times === 1 ? '' : 's'})` : ''}`
    case 'sms_reply':
      return t.keyword ? `Replies “${t.keyword}” by SMS` : 'Replies by SMS'
  }
}

const ACTIVITY_WORDS: Record<EmailActivity, string> = {
  opened: 'Opened',
  clicked: 'Clicked',
  bounced: 'Hard bounce on',
  soft_bounced: 'Soft bounce on',
  complained: 'Complained about',
  unsubscribed: 'Unsubscribed from',
}

export function emptyTrigger(kind: DripTriggerKind = 'manual'): DripFormTrigger {
  return { kind, formId: '', event: '', dateField: '', dateTime: '09:00', segmentId: '', activity: 'clicked', dripId: '', step: '', url: '', times: '', to: '', toNumber: '', keyword: '' }
}

export function newDripValues(timezone: string): DripFormValues {
  return {
    name: '',
    timezone,
    triggers: [emptyTrigger()],
    reentry: 'once_ever',
    goals: '',
    attributionDays: '',
    utm: false,
    campaign: '',
    windowOn: false,
    windowDays: ['MO', 'TU', 'WE', 'TH', 'FR'],
    windowStart: '09:00',
    windowEnd: '17:00',
    quietOn: false,
    quietStart: '22:00',
    quietEnd: '07:00',
    steps: [{ ...emptyStep(), subject: 'Welcome, {{ contact.first_name | default: "there" }}!', markdown: 'Hi {{ contact.first_name | default: "there" }},\n\nThanks for signing up. Here is what to expect…' }],
  }
}

/** An ISO 8601 duration as one amount and unit (P1DT12H → 36 hours). */
export function delayToAmount(iso: string): { amount: string; unit: DelayUnit } {
  const d = parseIsoDuration(iso)
  if (!d) return { amount: '0', unit: 'days' }
  const months = d.years * 12 + d.months
  const minutes = d.hours * 60 + d.minutes + Math.ceil(d.seconds / 60)
  if (months && !d.weeks && !d.days && !minutes) return { amount: String(months), unit: 'months' }
  if (!minutes) {
    const days = d.weeks * 7 + d.days
    return days % 7 === 0 && days > 0 ? { amount: String(days / 7), unit: 'weeks' } : { amount: String(days), unit: 'days' }
  }
  const total = (d.weeks * 7 + d.days) * 1440 + minutes
  return total % 60 === 0 ? { amount: String(total / 60), unit: 'hours' } : { amount: String(total), unit: 'minutes' }
}

export function amountToDelay(amount: string, unit: DelayUnit): string {
  const n = amount.trim() === '' ? 0 : Number(amount)
  // Not a whole number: hand the schema something it names as invalid ("delay … is not an ISO 8601 duration").
  if (!Number.isInteger(n) || n < 0) return `P${amount}`
  if (n === 0) return 'P0D'
  return { minutes: `PT${n}M`, hours: `PT${n}H`, days: `P${n}D`, weeks: `P${n}W`, months: `P${n}M` }[unit]
}

function conditionToForm(c: DripCondition | undefined): Pick<DripFormStep, 'condition' | 'conditionStep' | 'conditionEvent' | 'conditionSegment' | 'conditionDays' | 'conditionJson'> {
  const base = { condition: 'none' as ConditionChoice, conditionStep: '1', conditionEvent: '', conditionSegment: '', conditionDays: '', conditionJson: '' }
  if (!c) return base
  switch (c.kind) {
    case 'email':
      return { ...base, condition: `${c.negate ? 'not-' : ''}${c.activity}` as ConditionChoice, conditionStep: c.step === undefined ? '' : String(c.step + 1), conditionDays: c.withinDays === undefined ? '' : String(c.withinDays) }
    case 'event':
      return { ...base, condition: c.negate ? 'no-event' : 'event', conditionEvent: c.event, conditionDays: c.withinDays === undefined ? '' : String(c.withinDays) }
    case 'segment':
      return { ...base, condition: c.negate ? 'not-segment' : 'segment', conditionSegment: c.segmentId }
    case 'rule':
      return { ...base, condition: 'advanced', conditionJson: JSON.stringify(c) }
  }
}

function formToCondition(s: DripFormStep): unknown {
  const days = s.conditionDays.trim() === '' ? undefined : Number(s.conditionDays)
  switch (s.condition) {
    case 'none':
      return undefined
    case 'opened':
    case 'clicked':
    case 'not-opened':
    case 'not-clicked':
    case 'bounced':
    case 'not-bounced':
    case 'complained':
    case 'not-complained':
    case 'unsubscribed':
    case 'not-unsubscribed': {
      const step = s.conditionStep.trim() === '' ? undefined : Number(s.conditionStep) - 1
      return { kind: 'email', activity: s.condition.replace('not-', ''), step, withinDays: days, negate: s.condition.startsWith('not-') || undefined }
    }
    case 'event':
    case 'no-event':
      return { kind: 'event', event: s.conditionEvent, withinDays: days, negate: s.condition === 'no-event' || undefined }
    case 'segment':
    case 'not-segment':
      return { kind: 'segment', segmentId: s.conditionSegment, negate: s.condition === 'not-segment' || undefined }
    case 'advanced':
      try {
        return JSON.parse(s.conditionJson) as unknown
      } catch {
        return { kind: 'rule', rule: s.conditionJson }
      }
  }
}

function onFalseToForm(o: OnFalse): string {
  return typeof o === 'object' ? `goto:${o.goto + 1}` : o
}

function formToOnFalse(v: string): unknown {
  const goto = /^goto:(\d+)$/.exec(v)
  return goto ? { goto: Number(goto[1]) - 1 } : v
}

/** A stored drip as the editor's values. */
export function dripToFormValues(d: { name: string; timezone: string; utm?: boolean; campaign?: string | null; settings: DripSettings; steps: Array<{ id: string; subject: string; markdown: string; text?: string; mail?: MailStep | null; kind?: StepKind; action?: DripAction | null; settings: DripStepSettings }> }): DripFormValues {
  const defaults = newDripValues(d.timezone)
  return {
    ...defaults,
    name: d.name,
    triggers: d.settings.triggers.map(triggerToForm),
    reentry: d.settings.reentry,
    goals: d.settings.goals.join(', '),
    attributionDays: d.settings.attributionDays === undefined ? '' : String(d.settings.attributionDays),
    utm: d.utm ?? false,
    campaign: d.campaign ?? '',
    windowOn: !!d.settings.window,
    windowDays: d.settings.window?.days ?? defaults.windowDays,
    windowStart: d.settings.window?.start ?? defaults.windowStart,
    windowEnd: d.settings.window?.end ?? defaults.windowEnd,
    quietOn: !!d.settings.quietHours,
    quietStart: d.settings.quietHours?.start ?? defaults.quietStart,
    quietEnd: d.settings.quietHours?.end ?? defaults.quietEnd,
    steps: d.steps.map((s) => {
      const delay = delayToAmount(s.settings.delay)
      return { ...emptyStep(), ...actionToForm(s.action), kind: s.kind ?? (s.action ? 'action' : 'email'), id: s.id, subject: s.subject, markdown: s.markdown, text: s.text ?? '', ...mailToForm(s.mail), delayAmount: delay.amount, delayUnit: delay.unit, after: s.settings.after, ...conditionToForm(s.settings.condition), onFalse: onFalseToForm(s.settings.onFalse) }
    }),
  }
}

function triggerToForm(t: DripTrigger): DripFormTrigger {
  const empty = emptyTrigger(t.kind)
  switch (t.kind) {
    case 'manual':
      return empty
    case 'form':
      return { ...empty, formId: t.formId }
    case 'event':
      return { ...empty, event: t.event }
    case 'date':
      return { ...empty, dateField: t.field, dateTime: t.time }
    case 'segment':
      return { ...empty, segmentId: t.segmentId }
    case 'email_activity':
      return { ...empty, activity: t.activity, dripId: t.dripId ?? '', step: t.step === undefined ? '' : String(t.step + 1), url: t.url ?? '', times: t.times === undefined ? '' : String(t.times) }
    case 'field_changed':
      return { ...empty, dateField: t.field, to: t.to === undefined ? '' : String(t.to), toNumber: typeof t.to === 'number' ? '1' : '' }
    case 'sms_reply':
      return { ...empty, keyword: t.keyword ?? '' }
  }
}

function formToTrigger(t: DripFormTrigger): DripTrigger {
  switch (t.kind) {
    case 'manual':
      return { kind: 'manual' }
    case 'form':
      return { kind: 'form', formId: t.formId }
    case 'event':
      return { kind: 'event', event: t.event }
    case 'date':
      return { kind: 'date', field: t.dateField, time: t.dateTime }
    case 'segment':
      return { kind: 'segment', segmentId: t.segmentId }
    case 'email_activity':
      return {
        kind: 'email_activity',
        activity: t.activity,
        ...(t.dripId ? { dripId: t.dripId } : {}),
        ...(t.dripId && t.step.trim() !== '' ? { step: Number(t.step) - 1 } : {}),
        ...(t.activity === 'clicked' && t.url.trim() !== '' ? { url: t.url.trim() } : {}),
        ...(t.activity === 'soft_bounced' && t.times.trim() !== '' ? { times: Number(t.times.trim()) } : {}),
      } as DripTrigger
    case 'field_changed': {
      const to = t.to.trim()
      // A number field's value goes as a number (the schema names a non-number); text as typed.
      const value = to === '' ? undefined : t.toNumber === '1' && to !== '' && Number.isFinite(Number(to)) ? Number(to) : to
      return { kind: 'field_changed', field: t.dateField, ...(value === undefined ? {} : { to: value }) } as DripTrigger
    }
    case 'sms_reply':
      return (t.keyword.trim() ? { kind: 'sms_reply', keyword: t.keyword.trim() } : { kind: 'sms_reply' }) as DripTrigger
  }
}

/** The editor's values as `DripInputSchema` input (validated by the caller). */
export function formValuesToInput(v: DripFormValues): DripInput {
  return {
    name: v.name,
    timezone: v.timezone,
    triggers: v.triggers.map(formToTrigger),
    reentry: v.reentry,
    goals: v.goals.split(',').map((g) => g.trim()).filter(Boolean),
    attributionDays: v.attributionDays.trim() === '' ? undefined : Number(v.attributionDays.trim()),
    utm: v.utm,
    campaign: v.campaign,
    window: v.windowOn ? ({ days: v.windowDays, start: v.windowStart, end: v.windowEnd } as DripSettings['window']) : undefined,
    quietHours: v.quietOn ? { start: v.quietStart, end: v.quietEnd } : undefined,
    steps: v.steps.map((s) => ({
      id: s.id || undefined,
      kind: s.kind,
      ...(s.kind === 'action' ? { action: formToAction(s) as DripAction } : s.kind === 'sms' ? { text: s.text } : s.kind === 'mail' ? { mail: formToMail(s) } : { subject: s.subject, markdown: s.markdown }),
      delay: amountToDelay(s.delayAmount, s.delayUnit),
      after: s.after,
      condition: formToCondition(s) as DripCondition | undefined,
      onFalse: formToOnFalse(s.onFalse) as OnFalse,
    })),
  }
}

/** The posted form as the editor's values (unknown choices fall back to their defaults). */
export function formDataToValues(form: FormData): DripFormValues {
  const get = (name: string) => {
    const value = form.get(name)
    return typeof value === 'string' ? value : ''
  }
  const pick = <T extends string>(name: string, allowed: readonly T[], fallback: T): T => (allowed.includes(get(name) as T) ? (get(name) as T) : fallback)
  const stepCount = Math.min(100, Number(get('stepCount')) || 0)
  // One more than allowed, so that the schema names the excess instead of the form dropping it.
  const triggerCount = Math.min(MAX_TRIGGERS + 1, Number(get('triggerCount')) || 0)
  const triggers = Array.from({ length: triggerCount }, (_, i): DripFormTrigger => {
    const p = `triggers.${i}.`
    return { kind: pick(`${p}kind`, TRIGGER_KINDS, 'manual'), formId: get(`${p}formId`), event: get(`${p}event`), dateField: get(`${p}field`), dateTime: get(`${p}time`), segmentId: get(`${p}segmentId`), activity: pick(`${p}activity`, EMAIL_ACTIVITIES, 'clicked'), dripId: get(`${p}dripId`), step: get(`${p}step`), url: get(`${p}url`), times: get(`${p}times`), to: get(`${p}to`), toNumber: get(`${p}toNumber`), keyword: get(`${p}keyword`) }
  })
  const steps: DripFormStep[] = []
  for (let i = 0; i < stepCount; i++) {
    const p = `steps.${i}.`
    steps.push({
      ...formDataToAction(get, p),
      id: get(`${p}id`),
      kind: pick(`${p}kind`, STEP_KINDS, 'email'),
      subject: get(`${p}subject`),
      markdown: get(`${p}markdown`),
      text: get(`${p}text`),
      'mail.piece': pick(`${p}mail.piece`, ['postcard', 'letter'] as const, 'postcard'),
      'mail.front': get(`${p}mail.front`),
      'mail.back': get(`${p}mail.back`),
      'mail.size': get(`${p}mail.size`),
      'mail.file': get(`${p}mail.file`),
      'mail.pages': get(`${p}mail.pages`),
      delayAmount: get(`${p}delayAmount`),
      delayUnit: pick(`${p}delayUnit`, DELAY_UNITS, 'days'),
      after: pick(`${p}after`, ['previous-step', 'enrollment'] as const, 'previous-step'),
      condition: pick(`${p}condition`, CONDITION_CHOICES, 'none'),
      conditionStep: get(`${p}conditionStep`),
      conditionEvent: get(`${p}conditionEvent`),
      conditionSegment: get(`${p}conditionSegment`),
      conditionDays: get(`${p}conditionDays`),
      conditionJson: get(`${p}conditionJson`),
      onFalse: get(`${p}onFalse`) || 'skip',
    })
  }
  return {
    name: get('name'),
    timezone: get('timezone'),
    triggers,
    reentry: pick('reentry', ['once_ever', 'once_at_a_time', 'every_time'] as const, 'once_ever'),
    goals: get('goals'),
    attributionDays: get('attributionDays'),
    utm: get('utm') === 'on',
    campaign: get('campaign'),
    windowOn: get('windowOn') === 'on',
    windowDays: form.getAll('window.days').filter((d): d is string => typeof d === 'string'),
    windowStart: get('window.start'),
    windowEnd: get('window.end'),
    quietOn: get('quietOn') === 'on',
    quietStart: get('quietHours.start'),
    quietEnd: get('quietHours.end'),
    steps,
  }
}

/**
 * The form field an error path belongs to: `steps.1.delay` → `steps.1.delayAmount`,
 * `steps.0.condition.step` → `steps.0.conditionStep`, `triggers.1` → `triggers.1.kind`, `window.end` → `window.end`.
 */
export function fieldOfErrorPath(path: string): string {
  const step = /^steps\.(\d+)\.(\w+)(?:\.(\w+))?(?:\.(\w+))?/.exec(path)
  if (step) {
    const [, i, key, sub, leaf] = step
    if (key === 'delay') return `steps.${i}.delayAmount`
    if (key === 'action') return actionFieldOfErrorPath(i!, sub, leaf)
    if (key === 'condition') return `steps.${i}.${sub === 'step' ? 'conditionStep' : sub === 'event' ? 'conditionEvent' : sub === 'segmentId' ? 'conditionSegment' : sub === 'withinDays' ? 'conditionDays' : 'condition'}`
    return `steps.${i}.${key}`
  }
  if (path.startsWith('goals')) return 'goals'
  const trigger = /^triggers\.(\d+)(?:\.(\w+))?/.exec(path)
  if (trigger) return `triggers.${trigger[1]}.${['formId', 'event', 'field', 'time', 'segmentId', 'activity', 'dripId', 'step', 'url', 'times', 'to', 'keyword'].includes(trigger[2] ?? '') ? trigger[2] : 'kind'}`
  if (path.startsWith('window.days')) return 'window.days'
  return path
}
