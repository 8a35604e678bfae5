import type { DbOrTx } from '../db/client'
import { listFieldDefinitions } from '../db/queries/contacts'
import { ownedDripReferences } from '../db/queries/drips'
import type { DripInputParsed } from '../domain/drip/schema'
import { unknownMergeKeys } from '../domain/email/merge'
import { InputError } from './errors'

/**
 * A drip names signup forms and segments by id; each must belong to the drip's own workspace, or a drip
 * of workspace B would enroll on the confirmations of workspace A's form (or read A's segment rules).
 * A date trigger names a contact field that must exist and hold dates; every merge field of a step's
 * subject and body must be a built-in or a defined field (a typo would send an empty string). Throws a 400 naming the field;
 * the same answer for an unknown id and another workspace's.
 */
export async function requireValidDripReferences(db: DbOrTx, args: { workspaceId: string; input: DripInputParsed }): Promise<void> {
  const { trigger, steps } = args.input
  const refs: Array<{ field: string; kind: 'form' | 'segment'; id: string }> = []
  if (trigger.kind === 'form') refs.push({ field: 'trigger.formId', kind: 'form', id: trigger.formId })
  if (trigger.kind === 'segment') refs.push({ field: 'trigger.segmentId', kind: 'segment', id: trigger.segmentId })
  steps.forEach((step, i) => {
    if (step.condition?.kind === 'segment') refs.push({ field: `steps.${i}.condition.segmentId`, kind: 'segment', id: step.condition.segmentId })
  })
  const fields = await listFieldDefinitions(db, { workspaceId: args.workspaceId })
  steps.forEach((step, i) => {
    for (const part of ['subject', 'markdown'] as const) {
      const unknown = unknownMergeKeys({ template: step[part], knownKeys: fields.map((f) => f.key) })
      if (unknown.length) {
        const known = ['email', 'name', 'first_name', 'timezone', ...fields.map((f) => f.key)]
        throw new InputError(`steps.${i}.${part}`, `steps.${i}.${part}: no contact field “${unknown[0]}” (merge fields: ${known.join(', ')}); define it under Contacts → Fields or fix the spelling`)
      }
    }
  })
  if (trigger.kind === 'date') {
    const field = fields.find((f) => f.key === trigger.field)
    if (!field || field.type !== 'date') {
      const dates = fields.filter((f) => f.type === 'date').map((f) => f.key)
      throw new InputError(
        'trigger.field',
        `trigger.field: ${field ? `“${trigger.field}” is a ${field.type} field, not a date` : `no contact field “${trigger.field}”`}; ${dates.length ? `date fields: ${dates.join(', ')}` : 'define a date field under Contacts → Fields first'}`,
      )
    }
  }
  if (refs.length === 0) return
  const owned = await ownedDripReferences(db, {
    workspaceId: args.workspaceId,
    formIds: refs.filter((r) => r.kind === 'form').map((r) => r.id),
    segmentIds: refs.filter((r) => r.kind === 'segment').map((r) => r.id),
  })
  const foreign = refs.find((r) => !(r.kind === 'form' ? owned.formIds : owned.segmentIds).has(r.id))
  if (foreign) {
    const what = foreign.kind === 'form' ? 'signup form' : 'segment'
    throw new InputError(foreign.field, `${foreign.field}: no such ${what} in this workspace`)
  }
}
