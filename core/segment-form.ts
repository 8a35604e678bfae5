import { CONTACT_STATUSES, type SegmentCondition, type SegmentRule } from '../domain/email/types'

/**
 * The segment editor's form ⇄ the segment input (`{ name, rule }`), shared by the browser and the
 * server. The form is flat: `name`, `match`, `conditionCount` and `conditions.N.<key>` per condition. A
 * nested group (rules made through the API) travels whole as JSON in `conditions.N.json`.
 */

export const CONDITION_KINDS = ['field', 'tag', 'score', 'status', 'activity', 'group'] as const
export type SegmentFormConditionKind = (typeof CONDITION_KINDS)[number]

export const FIELD_OPS = ['eq', 'neq', 'contains', 'gt', 'gte', 'lt', 'lte', 'exists', 'missing'] as const
export const SCORE_OPS = ['gt', 'gte', 'lt', 'lte'] as const
export const ACTIVITIES = ['event', 'sent', 'opened', 'clicked'] as const
export const BUILT_IN_FIELDS = ['email', 'name', 'timezone'] as const

export type SegmentFormCondition = {
  kind: SegmentFormConditionKind
  field: string
  op: string
  value: string
  tag: string
  /** `yes`: has the tag; `no`: does not. */
  has: 'yes' | 'no'
  status: string
  activity: string
  /** The event name (activity `event`). */
  name: string
  withinDays: string
  /** `yes`: the contact did NOT do it. */
  negate: 'yes' | 'no'
  json: string
}

export type SegmentFormValues = { name: string; match: 'all' | 'any'; conditions: SegmentFormCondition[] }

const MAX_CONDITIONS = 50

export function emptyCondition(kind: SegmentFormConditionKind = 'tag'): SegmentFormCondition {
  return { kind, field: 'email', op: kind === 'score' ? 'gte' : 'eq', value: '', tag: '', has: 'yes', status: 'subscribed', activity: 'opened', name: '', withinDays: '', negate: 'no', json: '' }
}

export function newSegmentValues(): SegmentFormValues {
  return { name: '', match: 'all', conditions: [emptyCondition('tag')] }
}

function conditionToForm(c: SegmentCondition | SegmentRule): SegmentFormCondition {
  const base = emptyCondition()
  if ('match' in c) return { ...base, kind: 'group', json: JSON.stringify(c) }
  switch (c.kind) {
    case 'field':
      return { ...base, kind: 'field', field: c.field, op: c.op, value: c.value === undefined ? '' : String(c.value) }
    case 'tag':
      return { ...base, kind: 'tag', tag: c.tag, has: c.has ? 'yes' : 'no' }
    case 'score':
      return { ...base, kind: 'score', op: c.op, value: String(c.value) }
    case 'status':
      return { ...base, kind: 'status', status: c.status }
    case 'activity':
      return { ...base, kind: 'activity', activity: c.activity, name: c.name ?? '', withinDays: c.withinDays === undefined ? '' : String(c.withinDays), negate: c.negate ? 'yes' : 'no' }
  }
}

export function segmentToFormValues(segment: { name: string; rule: SegmentRule }): SegmentFormValues {
  return { name: segment.name, match: segment.rule.match, conditions: segment.rule.conditions.map(conditionToForm) }
}

const NUMBER = /^-?\d+(\.\d+)?$/

/** A number typed as one stays a number (so `gt 10` compares numbers), anything else is text. */
function comparable(value: string): string | number {
  const v = value.trim()
  return NUMBER.test(v) ? Number(v) : value
}

/** A number, or the raw text (the schema then names the field: expected a number). */
function numberOr(value: string): number | string {
  const v = value.trim()
  return v !== '' && Number.isFinite(Number(v)) ? Number(v) : value
}

function formToCondition(c: SegmentFormCondition): unknown {
  switch (c.kind) {
    case 'field':
      return { kind: 'field', field: c.field.trim(), op: c.op, ...(c.op === 'exists' || c.op === 'missing' ? {} : { value: comparable(c.value) }) }
    case 'tag':
      return { kind: 'tag', tag: c.tag.trim(), has: c.has !== 'no' }
    case 'score':
      return { kind: 'score', op: c.op, value: numberOr(c.value) }
    case 'status':
      return { kind: 'status', status: c.status }
    case 'activity':
      return {
        kind: 'activity',
        activity: c.activity,
        ...(c.activity === 'event' || c.name.trim() !== '' ? { name: c.name.trim() } : {}),
        ...(c.withinDays.trim() === '' ? {} : { withinDays: numberOr(c.withinDays) }),
        ...(c.negate === 'yes' ? { negate: true } : {}),
      }
    case 'group':
      try {
        return JSON.parse(c.json) as unknown
      } catch {
        return c.json
      }
  }
}

/** The input `SegmentInputSchema` validates. */
export function formValuesToInput(values: SegmentFormValues): { name: string; rule: { match: string; conditions: unknown[] } } {
  return { name: values.name, rule: { match: values.match, conditions: values.conditions.map(formToCondition) } }
}

export function formDataToValues(form: FormData): SegmentFormValues {
  const get = (name: string) => {
    const value = form.get(name)
    return typeof value === 'string' ? value : ''
  }
  const pick = <T extends string>(name: string, allowed: readonly T[], fallback: T): T => (allowed.includes(get(name) as T) ? (get(name) as T) : fallback)
  const count = Math.min(MAX_CONDITIONS + 1, Math.max(0, Math.floor(Number(get('conditionCount')) || 0)))
  const conditions: SegmentFormCondition[] = []
  for (let i = 0; i < count; i++) {
    const p = `conditions.${i}.`
    conditions.push({
      kind: pick(`${p}kind`, CONDITION_KINDS, 'tag'),
      field: get(`${p}field`),
      op: get(`${p}op`),
      value: get(`${p}value`),
      tag: get(`${p}tag`),
      has: pick(`${p}has`, ['yes', 'no'], 'yes'),
      status: get(`${p}status`),
      activity: get(`${p}activity`),
      name: get(`${p}name`),
      withinDays: get(`${p}withinDays`),
      negate: pick(`${p}negate`, ['yes', 'no'], 'no'),
      json: get(`${p}json`),
    })
  }
  return { name: get('name'), match: pick('match', ['all', 'any'], 'all'), conditions }
}

/** The form field an input error path (`rule.conditions.2.op`) is shown under (`conditions.2.op`). */
export function fieldOfErrorPath(path: string): string {
  if (path === 'name') return 'name'
  const condition = /^rule\.conditions\.(\d+)(?:\.(\w+))?(\.|$)/.exec(path)
  if (condition) {
    const [, i, key, more] = condition
    if (!key) return `conditions.${i}.kind`
    // Inside a nested group: shown under the group.
    if (more === '.' || key === 'conditions' || key === 'match') return `conditions.${i}.json`
    return `conditions.${i}.${key}`
  }
  if (path === 'rule.match') return 'match'
  if (path.startsWith('rule')) return 'conditions'
  return 'form'
}

export const STATUS_CHOICES = CONTACT_STATUSES
