/**
 * The drip builder's action-step fields (decision 079): flat, named form fields (`steps.0.actionType`,
 * `steps.0.actionField`…) ⇄ a step's `action`. Isomorphic, like core/drip-form.ts which uses it.
 */
import type { DripAction } from '../domain/drip/actions'

export const ACTION_TYPES = ['set_field', 'add_tag', 'remove_tag', 'score', 'enroll', 'unenroll', 'webhook'] as const satisfies ReadonlyArray<DripAction['type']>
export type ActionType = (typeof ACTION_TYPES)[number]
export const FIELD_OPS = ['set', 'increment', 'decrement'] as const

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
}

export function emptyAction(): DripFormAction {
  return { actionType: 'add_tag', actionField: '', actionOp: 'set', actionValue: '', actionValueType: 'string', actionTag: '', actionPoints: '1', actionDripId: '', actionUrl: '' }
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
  }
}

/** `steps.2.action.field` → `steps.2.actionField`; `steps.2.action` (no action chosen) → `steps.2.actionType`. */
export function actionFieldOfErrorPath(i: string, sub: string | undefined): string {
  const names: Record<string, keyof DripFormAction> = { field: 'actionField', op: 'actionOp', value: 'actionValue', tag: 'actionTag', points: 'actionPoints', dripId: 'actionDripId', url: 'actionUrl' }
  return `steps.${i}.${names[sub ?? ''] ?? 'actionType'}`
}
