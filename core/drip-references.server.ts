import { mailTemplates } from '../domain/mail/piece'
import type { DbOrTx } from '../db/client'
import { listFieldDefinitions } from '../db/queries/contacts'
import { listMembers } from '../db/queries/workspaces'
import { ownedDripIds, ownedDripReferences } from '../db/queries/drips'
import type { DripAction } from '../domain/drip/actions'
import type { DripCondition, DripTrigger } from '../domain/drip/schema'
import { describeTemplateProblem, templateProblems } from '../domain/email/liquid'
import { isCalendarDate } from '../domain/email/contact'
import { InputError } from './errors'

/** What a drip names: its triggers, and each step's template and condition (input or stored). */
export type DripReferences = { triggers: DripTrigger[]; steps: Array<{ subject?: string; markdown?: string; /** An SMS step's text. */ text?: string; /** A direct-mail step's HTML. */ mail?: { front?: string; back?: string; file?: string }; condition?: DripCondition; action?: DripAction }> }

export type ReferenceProblem = { field: string; message: string }

/**
 * A drip names signup forms and segments by id; each must belong to the drip's own workspace, or a drip
 * of workspace B would enroll on the confirmations of workspace A's form (or read A's segment rules).
 * A date trigger names a contact field that must exist and hold dates; every merge field of a step's
 * subject and body must be a built-in or a defined field (a typo would send an empty string). Each
 * problem names its field (`triggers.1.segmentId`, `steps.0.markdown`); an unknown id and another
 * workspace's get the same answer. Checked when saving (`requireValidDripReferences`) and again when
 * activating (core/drips.server.ts `activationProblems`: a field may have been deleted in between).
 */
export async function dripReferenceProblems(db: DbOrTx, args: { workspaceId: string; /** The drip being edited (absent: a new one). */ dripId?: string; drip: DripReferences }): Promise<ReferenceProblem[]> {
  const { triggers, steps } = args.drip
  const problems: ReferenceProblem[] = []
  const problem = (field: string, message: string) => problems.push({ field, message })
  const refs: Array<{ field: string; of: string; kind: 'form' | 'segment'; id: string }> = []
  triggers.forEach((t, i) => {
    if (t.kind === 'form') refs.push({ field: `triggers.${i}.formId`, of: `trigger ${i + 1}`, kind: 'form', id: t.formId })
    if (t.kind === 'segment') refs.push({ field: `triggers.${i}.segmentId`, of: `trigger ${i + 1}`, kind: 'segment', id: t.segmentId })
  })
  steps.forEach((step, i) => {
    if (step.condition?.kind === 'segment') refs.push({ field: `steps.${i}.condition.segmentId`, of: `the condition of step ${i + 1}`, kind: 'segment', id: step.condition.segmentId })
  })
  const fields = await listFieldDefinitions(db, { workspaceId: args.workspaceId })
  const fieldKeys = fields.map((f) => f.key)
  steps.forEach((step, i) => {
    for (const part of ['subject', 'markdown', 'text'] as const) {
      const [first] = templateProblems(step[part] ?? '', { fieldKeys })
      if (first) problem(`steps.${i}.${part}`, `step ${i + 1} ${part === 'subject' ? 'subject' : part === 'text' ? 'text message' : 'message'}, ${describeTemplateProblem(first, fieldKeys)}`)
    }
    for (const { part, html } of step.mail ? mailTemplates(step.mail) : []) {
      const [first] = templateProblems(html, { fieldKeys })
      if (first) problem(`steps.${i}.mail.${part}`, `step ${i + 1} ${part === 'file' ? 'letter' : `${part} of the postcard`}, ${describeTemplateProblem(first, fieldKeys)}`)
    }
  })
  problems.push(...(await actionProblems(db, { workspaceId: args.workspaceId, dripId: args.dripId, triggers, steps, fields })))
  triggers.forEach((t, i) => {
    if (t.kind !== 'field_changed') return
    const field = fields.find((f) => f.key === t.field)
    if (!field) {
      problem(`triggers.${i}.field`, `trigger ${i + 1}: no contact field “${t.field}”; ${fields.length ? `fields: ${fieldKeys.join(', ')}` : 'define one under Contacts → Fields first'}`)
    } else if (t.to !== undefined) {
      if (field.type === 'number' && typeof t.to !== 'number') problem(`triggers.${i}.to`, `trigger ${i + 1}: “${t.field}” is a number field: give a number`)
      else if (field.type !== 'number' && typeof t.to === 'number') problem(`triggers.${i}.to`, `trigger ${i + 1}: “${t.field}” is a ${field.type} field: give text`)
      else if (field.type === 'date' && !isCalendarDate(String(t.to))) problem(`triggers.${i}.to`, `trigger ${i + 1}: “${t.field}” is a date field: give a date, YYYY-MM-DD`)
    }
  })
  triggers.forEach((t, i) => {
    if (t.kind !== 'date') return
    const field = fields.find((f) => f.key === t.field)
    if (field?.type === 'date') return
    const dates = fields.filter((f) => f.type === 'date').map((f) => f.key)
    problem(
      `triggers.${i}.field`,
      `trigger ${i + 1}: ${field ? `“${t.field}” is a ${field.type} field, not a date` : `no contact field “${t.field}”`}; ${dates.length ? `date fields: ${dates.join(', ')}` : 'define a date field under Contacts → Fields first'}`,
    )
  })
  if (refs.length === 0) return problems
  const owned = await ownedDripReferences(db, {
    workspaceId: args.workspaceId,
    formIds: refs.filter((r) => r.kind === 'form').map((r) => r.id),
    segmentIds: refs.filter((r) => r.kind === 'segment').map((r) => r.id),
  })
  for (const ref of refs) {
    if (!(ref.kind === 'form' ? owned.formIds : owned.segmentIds).has(ref.id)) problem(ref.field, `${ref.of} names a ${ref.kind === 'form' ? 'signup form' : 'segment'} that is not in this workspace`)
  }
  return problems
}

/**
 * Action steps and email-activity triggers (decision 079): a set-field action names a defined field
 * (increment / decrement: a number field, and a number); enroll / unenroll and an email-activity
 * trigger's `dripId` name another drip of this workspace, never the drip itself (its own activity never
 * enrolls into it).
 */
async function actionProblems(
  db: DbOrTx,
  args: { workspaceId: string; dripId?: string; triggers: DripTrigger[]; steps: DripReferences['steps']; fields: Array<{ key: string; type: string }> },
): Promise<ReferenceProblem[]> {
  const problems: ReferenceProblem[] = []
  const dripRefs: Array<{ field: string; id: string }> = []
  const memberRefs: Array<{ field: string; id: string }> = []
  args.triggers.forEach((t, i) => {
    if (t.kind !== 'email_activity' || !t.dripId) return
    if (t.dripId === args.dripId) problems.push({ field: `triggers.${i}.dripId`, message: `trigger ${i + 1}: a drip’s own emails never enroll into it; choose another drip or any email` })
    else dripRefs.push({ field: `triggers.${i}.dripId`, id: t.dripId })
  })
  args.steps.forEach((step, i) => {
    const a = step.action
    const at = `steps.${i}.action`
    if (a?.type === 'set_field') {
      const def = args.fields.find((f) => f.key === a.field)
      if (!def) problems.push({ field: `${at}.field`, message: `step ${i + 1}: no contact field “${a.field}”; define it under Contacts → Fields first` })
      else if (a.op !== 'set' && def.type !== 'number') problems.push({ field: `${at}.field`, message: `step ${i + 1}: “${a.field}” is a ${def.type} field; only a number field can be incremented or decremented` })
      else if (a.op !== 'set' && typeof a.value !== 'number') problems.push({ field: `${at}.value`, message: `step ${i + 1}: must be a number` })
      else if (a.op === 'set' && def.type === 'number' && typeof a.value !== 'number') problems.push({ field: `${at}.value`, message: `step ${i + 1}: “${a.field}” is a number field: give a number` })
    }
    const until = a?.type === 'wait_until' ? a.until : null
    if (until?.kind === 'date') {
      const def = args.fields.find((f) => f.key === until.field)
      if (def?.type !== 'date') problems.push({ field: `${at}.until.field`, message: `step ${i + 1}: ${def ? `“${until.field}” is a ${def.type} field, not a date` : `no contact field “${until.field}”`}` })
    }
    if (until?.kind === 'email' && until.step !== undefined) {
      const ref = args.steps[until.step]
      if (until.step >= i || !ref || ref.action || ref.text !== undefined || ref.mail) problems.push({ field: `${at}.until.step`, message: `step ${i + 1}: must name an earlier email step` })
    }
    if (a?.type === 'notify') {
      memberRefs.push({ field: `${at}.userId`, id: a.userId })
      for (const part of ['subject', 'text'] as const) {
        const [first] = templateProblems(a[part], { fieldKeys: args.fields.map((f) => f.key) })
        if (first) problems.push({ field: `${at}.${part}`, message: `step ${i + 1} ${part === 'subject' ? 'notification subject' : 'notification'}, ${describeTemplateProblem(first, args.fields.map((f) => f.key))}` })
      }
    }
    if (a?.type === 'enroll' || a?.type === 'unenroll') {
      if (a.dripId === args.dripId) problems.push({ field: `${at}.dripId`, message: `step ${i + 1}: a drip cannot ${a.type === 'enroll' ? 'enroll into' : 'remove from'} itself` })
      else dripRefs.push({ field: `${at}.dripId`, id: a.dripId })
    }
  })
  const owned = await ownedDripIds(db, { workspaceId: args.workspaceId, dripIds: dripRefs.map((r) => r.id) })
  for (const ref of dripRefs) if (!owned.has(ref.id)) problems.push({ field: ref.field, message: 'names a drip that is not in this workspace' })
  if (memberRefs.length) {
    const members = new Set((await listMembers(db, { workspaceId: args.workspaceId })).map((m) => m.userId))
    for (const ref of memberRefs) if (!members.has(ref.id)) problems.push({ field: ref.field, message: 'names someone who is not a member of this workspace' })
  }
  return problems
}

/** Saving: throws a 400 naming the first problem's field. */
export async function requireValidDripReferences(db: DbOrTx, args: { workspaceId: string; dripId?: string; input: DripReferences }): Promise<void> {
  const [first] = await dripReferenceProblems(db, { workspaceId: args.workspaceId, dripId: args.dripId, drip: args.input })
  if (first) throw new InputError(first.field, `${first.field}: ${first.message}`)
}
