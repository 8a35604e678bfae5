/**
 * The drip builder's action-step fields (decision 079): flat, named form fields (`steps.0.actionType`,
 * `steps.0.actionField`…) ⇄ a step's `action`. Isomorphic, like core/drip-form.ts which uses it.
 */
import type { DripAction } from '../domain/drip/actions'

export const ACTION_TYPES = ['set_field', 'add_tag', 'remove_tag', 'score', 'enroll', 'unenroll', 'webhook', 'wait_until', 'notify'] as const satisfies ReadonlyArray<DripAction['type']>
export type ActionType = (typeof ACTION_TYPES)[number]
export const FIELD_OPS = ['set', 'increment', 'decrement'] as const
export const WAIT_KINDS = ['event', 'clicked', 'opened', 'date'] as const
export const TIMEOUT_UNITS = ['hours', 'days', 'weeks'] as const
const TIMEOUT_ISO = { hours: (n: string) => `PT${n}H`, days: (n: string) => `P${n}D`, weeks: (n: string) => `P${n}W` } as const

/** An action's fields (the ones of other action types are ignored). */
export type DripFormAction = {
  actionType: ActionType
  actionField: string
  actionOp: (typeof FIELD_OPS)[number]
  actionValue: string
  /** `number` when the set value is a number (a number field, or a stored number): kept through the form. */
  actionValueType: 'string' | 'number'
  actionTag: string
  /** Signed: `-2` takes two points. */
  actionPoints: string
  actionDripId: string
  actionUrl: string
  /** wait_until (decision 096): what it waits for, its event / 1-based step / date field and time, and the timeout. */
  actionWaitKind: (typeof WAIT_KINDS)[number]
  actionEvent: string
  actionStep: string
  actionDateField: string
  actionTime: string
  actionTimeoutAmount: string
  actionTimeoutUnit: (typeof TIMEOUT_UNITS)[number]
  /** notify (decision 096): the member (user id), subject and text. */
  actionUserId: string
  actionSubject: string
  actionText: string
}

export function emptyAction(): DripFormAction {
  return {
    actionType: 'add_tag',
    actionField: '',
    actionOp: 'set',
    actionValue: '',
    actionValueType: 'string',
    actionTag: '',
    actionPoints: '1',
    actionDripId: '',
    actionUrl: '',
    actionWaitKind: 'event',
    actionEvent: '',
    actionStep: '',
    actionDateField: '',
    actionTime: '09:00',
    actionTimeoutAmount: '3',
    actionTimeoutUnit: 'days',
    actionUserId: '',
    actionSubject: '',
    actionText: '',
  }
}

export function actionToForm(a: DripAction | null | undefined): DripFormAction {
  const empty = emptyAction()
  if (!a) return empty
  switch (a.type) {
    case 'set_field':
      return { ...empty, actionType: a.type, actionField: a.field, actionOp: a.op, actionValue: String(a.value), actionValueType: typeof a.value === 'number' ? 'number' : 'string' }
    case 'add_tag':
    case 'remove_tag':
      return { ...empty, actionType: a.type, actionTag: a.tag }
    case 'score':
      return { ...empty, actionType: a.type, actionPoints: String(a.points) }
    case 'enroll':
    case 'unenroll':
      return { ...empty, actionType: a.type, actionDripId: a.dripId }
    case 'webhook':
      return { ...empty, actionType: a.type, actionUrl: a.url }
    case 'wait_until': {
      const u = a.until
      const m = /^P(?:T(\d+)H|(\d+)D|(\d+)W)$/.exec(a.timeout)
      const timeout = m ? { actionTimeoutAmount: m[1] ?? m[2] ?? m[3]!, actionTimeoutUnit: m[1] ? ('hours' as const) : m[2] ? ('days' as const) : ('weeks' as const) } : { actionTimeoutAmount: a.timeout, actionTimeoutUnit: 'days' as const }
      const until =
        u.kind === 'event'
          ? { actionWaitKind: 'event' as const, actionEvent: u.event }
          : u.kind === 'email'
            ? { actionWaitKind: u.activity, actionStep: u.step === undefined ? '' : String(u.step + 1) }
            : { actionWaitKind: 'date' as const, actionDateField: u.field, actionTime: u.time }
      return { ...empty, actionType: a.type, ...until, ...timeout }
    }
    case 'notify':
      return { ...empty, actionType: a.type, actionUserId: a.userId, actionSubject: a.subject, actionText: a.text }
  }
}

/** A number when the text is one; otherwise the text, so that validation names the field ("must be a number"). */
function numberOr(text: string): number | string {
  const n = Number(text)
  return text.trim() !== '' && Number.isFinite(n) ? n : text
}

/** The action input of these fields (validated by the caller: a wrong value is named under `steps.N.action.…`). */
export function formToAction(f: DripFormAction): unknown {
  switch (f.actionType) {
    case 'set_field':
      return { type: f.actionType, field: f.actionField, op: f.actionOp, value: f.actionOp !== 'set' || f.actionValueType === 'number' ? numberOr(f.actionValue) : f.actionValue }
    case 'add_tag':
    case 'remove_tag':
      return { type: f.actionType, tag: f.actionTag }
    case 'score':
      return { type: f.actionType, points: numberOr(f.actionPoints) }
    case 'enroll':
    case 'unenroll':
      return { type: f.actionType, dripId: f.actionDripId }
    case 'webhook':
      return { type: f.actionType, url: f.actionUrl.trim() }
    case 'wait_until': {
      const until =
        f.actionWaitKind === 'event'
          ? { kind: 'event', event: f.actionEvent }
          : f.actionWaitKind === 'date'
            ? { kind: 'date', field: f.actionDateField, time: f.actionTime || '09:00' }
            : { kind: 'email', activity: f.actionWaitKind, ...(f.actionStep.trim() === '' ? {} : { step: Number(f.actionStep) - 1 }) }
      const amount = f.actionTimeoutAmount.trim()
      return { type: f.actionType, until, timeout: /^\d+$/.test(amount) ? TIMEOUT_ISO[f.actionTimeoutUnit](amount) : amount }
    }
    case 'notify':
      return { type: f.actionType, userId: f.actionUserId, subject: f.actionSubject, text: f.actionText }
  }
}

/** The posted action fields (unknown choices fall back to their defaults). */
export function formDataToAction(get: (name: string) => string, p: string): DripFormAction {
  const pick = <T extends string>(name: string, allowed: readonly T[], fallback: T): T => (allowed.includes(get(name) as T) ? (get(name) as T) : fallback)
  return {
    actionType: pick(`${p}actionType`, ACTION_TYPES, 'add_tag'),
    actionField: get(`${p}actionField`),
    actionOp: pick(`${p}actionOp`, FIELD_OPS, 'set'),
    actionValue: get(`${p}actionValue`),
    actionValueType: get(`${p}actionValueType`) === 'number' ? 'number' : 'string',
    actionTag: get(`${p}actionTag`),
    actionPoints: get(`${p}actionPoints`),
    actionDripId: get(`${p}actionDripId`),
    actionUrl: get(`${p}actionUrl`),
    actionWaitKind: pick(`${p}actionWaitKind`, WAIT_KINDS, 'event'),
    actionEvent: get(`${p}actionEvent`),
    actionStep: get(`${p}actionStep`),
    actionDateField: get(`${p}actionDateField`),
    actionTime: get(`${p}actionTime`),
    actionTimeoutAmount: get(`${p}actionTimeoutAmount`),
    actionTimeoutUnit: pick(`${p}actionTimeoutUnit`, TIMEOUT_UNITS, 'days'),
    actionUserId: get(`${p}actionUserId`),
    actionSubject: get(`${p}actionSubject`),
    actionText: get(`${p}actionText`),
  }
}

/** `steps.2.action.field` → `steps.2.actionField`; `steps.2.action.until.event` → `steps.2.actionEvent`; `steps.2.action` (no action chosen) → `steps.2.actionType`. */
export function actionFieldOfErrorPath(i: string, sub: string | undefined, leaf?: string): string {
  const names: Record<string, keyof DripFormAction> = {
    field: 'actionField',
    op: 'actionOp',
    value: 'actionValue',
    tag: 'actionTag',
    points: 'actionPoints',
    dripId: 'actionDripId',
    url: 'actionUrl',
    timeout: 'actionTimeoutAmount',
    userId: 'actionUserId',
    subject: 'actionSubject',
    text: 'actionText',
  }
  const until: Record<string, keyof DripFormAction> = { event: 'actionEvent', step: 'actionStep', field: 'actionDateField', time: 'actionTime', activity: 'actionWaitKind', kind: 'actionWaitKind' }
  if (sub === 'until') return `steps.${i}.${until[leaf ?? ''] ?? 'actionWaitKind'}`
  return `steps.${i}.${names[sub ?? ''] ?? 'actionType'}`
}
