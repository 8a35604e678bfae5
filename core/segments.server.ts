import { z } from 'zod'
import {
  countSegmentMembers,
  deleteSegmentRow,
  getSegment as getSegmentRow,
  insertSegment,
  listSegmentUses,
  listSegments as listSegmentRows,
  lockSegment,
  updateSegment as updateSegmentRow,
  walkSegmentMembers,
  type SegmentUse,
} from '../db/queries/segments'
import { isStorableJson, isStorableText } from '../domain/email/contact'
import { SegmentRuleSchema, type ContactStatus, type SegmentRule } from '../domain/email/types'
import { getScoreHalfLife } from './contacts.server'
import { fieldOfErrorPath, formDataToValues, formValuesToInput, type SegmentFormValues } from './segment-form'
import { InputError } from './errors'
import type { Services } from './services.server'

/**
 * Segments: saved rules over contacts (domain/email/segment evaluates them, for these counts exactly as
 * for the drip runner's segment triggers and conditions). List with member counts, get, create, update,
 * delete (refused while a drip uses the segment) and a preview of an unsaved rule. Every call is scoped
 * to one workspace; bad input is an `InputError` naming the field.
 */

const Storable = { error: 'must not contain NUL characters or unpaired surrogates' }

export const SegmentNameSchema = z.string().trim().min(1, { error: 'give the segment a name' }).max(200).refine(isStorableText, Storable)
const StorableRule = SegmentRuleSchema.refine(isStorableJson, Storable)

/** Create, and the whole of an edit from the editor. */
export const SegmentInputSchema = z.strictObject({ name: SegmentNameSchema, rule: StorableRule })
/** An edit through the API: either or both. */
export const SegmentPatchSchema = z.strictObject({ name: SegmentNameSchema.optional(), rule: StorableRule.optional() })
/** A preview: the rule being edited, not saved yet. */
export const SegmentPreviewInputSchema = z.strictObject({ rule: StorableRule })

export type SegmentInput = z.infer<typeof SegmentInputSchema>

export type SegmentDripUse = { id: string; name: string; as: 'trigger' | 'condition' }

export type SegmentView = {
  id: string
  name: string
  rule: SegmentRule
  /** Contacts matching the rule now (any status; a drip enrolls only the subscribed ones). */
  memberCount: number
  /** Drips naming the segment as their trigger or in a step condition. */
  usedBy: SegmentDripUse[]
  createdAt: Date
  updatedAt: Date
}

export type SegmentPreview = {
  count: number
  /** Up to `SAMPLE_SIZE` matching contacts, in the order the runner walks them. */
  sample: Array<{ id: string; email: string; name: string | null; status: ContactStatus }>
}

export const SAMPLE_SIZE = 10

/** The id in a route's params, or a 404 (an id that is not a uuid names no segment). */
export function segmentIdOf(params: { segmentId?: string }): string {
  const id = z.uuid().safeParse(params.segmentId)
  if (!id.success) throw notFound()
  return id.data
}

function notFound() {
  return new InputError(undefined, 'No such segment', { status: 404 })
}

/** Parse input with one of the schemas above or throw a 400 naming the first bad field (deepest in a rule). */
export function parseSegmentInput<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input)
  if (!result.success) throw invalidInput(result.error, input)
  return result.data
}

function invalidInput(error: z.ZodError, input: unknown): InputError {
  let issue: z.core.$ZodIssue = error.issues[0]!
  let path: PropertyKey[] = [...issue.path]
  // A rule's condition is a condition or a nested rule: name the field inside the branch its shape asks for.
  while (issue.code === 'invalid_union' && issue.errors.length > 0) {
    const value = valueAt(input, path)
    const nested = value !== null && typeof value === 'object' && 'match' in value && !('kind' in value)
    const branch = issue.errors[nested ? issue.errors.length - 1 : 0]
    if (!branch?.[0]) break
    issue = branch[0]
    path = [...path, ...issue.path]
  }
  if (issue.code === 'unrecognized_keys') path = [...path, ...issue.keys.slice(0, 1)]
  const field = path.map(String).join('.') || 'input'
  return new InputError(field, issue.message.startsWith(field) ? issue.message : `${field}: ${issue.message}`)
}

function valueAt(input: unknown, path: PropertyKey[]): unknown {
  let value = input
  for (const key of path) value = value !== null && typeof value === 'object' ? (value as Record<PropertyKey, unknown>)[key] : undefined
  return value
}

function usesOf(uses: SegmentUse[], segmentId: string): SegmentDripUse[] {
  return uses.filter((u) => u.segmentId === segmentId).map((u) => ({ id: u.dripId, name: u.dripName, as: u.as }))
}

type SegmentRow = NonNullable<Awaited<ReturnType<typeof getSegmentRow>>>

function toView(row: SegmentRow, memberCount: number, uses: SegmentUse[]): SegmentView {
  return { id: row.id, name: row.name, rule: row.rule, memberCount, usedBy: usesOf(uses, row.id), createdAt: row.createdAt, updatedAt: row.updatedAt }
}

async function countsOf(services: Services, args: { workspaceId: string; rows: SegmentRow[] }): Promise<Map<string, number>> {
  return countSegmentMembers(services.database.db, {
    workspaceId: args.workspaceId,
    rules: new Map(args.rows.map((r) => [r.id, r.rule])),
    now: services.clock.now(),
    halfLifeDays: await getScoreHalfLife(services, { workspaceId: args.workspaceId }),
    batchSize: 1000,
  })
}

/** The workspace's segments by name, each with its member count (one walk over the contacts for all) and the drips using it. */
export async function listSegments(services: Services, args: { workspaceId: string }): Promise<SegmentView[]> {
  const db = services.database.db
  const [rows, uses] = await Promise.all([listSegmentRows(db, args), listSegmentUses(db, args)])
  const counts = await countsOf(services, { workspaceId: args.workspaceId, rows })
  return rows.map((row) => toView(row, counts.get(row.id) ?? 0, uses))
}

export async function getSegment(services: Services, args: { workspaceId: string; segmentId: string }): Promise<SegmentView> {
  const db = services.database.db
  const row = await getSegmentRow(db, args)
  if (!row) throw notFound()
  const [counts, uses] = await Promise.all([countsOf(services, { workspaceId: args.workspaceId, rows: [row] }), listSegmentUses(db, { workspaceId: args.workspaceId, segmentIds: [row.id] })])
  return toView(row, counts.get(row.id) ?? 0, uses)
}

export async function createSegment(services: Services, args: { workspaceId: string; input: unknown }): Promise<SegmentView> {
  const input = parseSegmentInput(SegmentInputSchema, args.input)
  const row = await insertSegment(services.database.db, { workspaceId: args.workspaceId, name: input.name, rule: input.rule, at: services.clock.now() })
  return getSegment(services, { workspaceId: args.workspaceId, segmentId: row.id })
}

/** Change the name, the rule or both. Drips using the segment see the new rule from their next pass. */
export async function updateSegment(services: Services, args: { workspaceId: string; segmentId: string; input: unknown }): Promise<SegmentView> {
  const input = parseSegmentInput(SegmentPatchSchema, args.input)
  const row = await updateSegmentRow(services.database.db, { workspaceId: args.workspaceId, segmentId: args.segmentId, name: input.name, rule: input.rule, at: services.clock.now() })
  if (!row) throw notFound()
  return getSegment(services, { workspaceId: args.workspaceId, segmentId: args.segmentId })
}

/** Delete a segment no drip uses; while one does, a 409 names the drips (change or delete them first). */
export async function deleteSegment(services: Services, args: { workspaceId: string; segmentId: string }): Promise<void> {
  await services.database.db.transaction(async (tx) => {
    if (!(await lockSegment(tx, args))) throw notFound()
    const uses = await listSegmentUses(tx, { workspaceId: args.workspaceId, segmentIds: [args.segmentId] })
    if (uses.length > 0) {
      const names = [...new Set(uses.map((u) => `“${u.dripName}” (${u.as})`))].join(', ')
      throw new InputError('segment', `This segment is used by ${uses.length === 1 ? 'the drip' : 'the drips'} ${names}: change or delete ${uses.length === 1 ? 'it' : 'them'} first`, {
        status: 409,
      })
    }
    await deleteSegmentRow(tx, args)
  })
}

/** How many contacts an unsaved rule matches now, and the first few of them (walked in batches, like the drip runner). */
export async function previewSegment(services: Services, args: { workspaceId: string; input: unknown }): Promise<SegmentPreview> {
  const { rule } = parseSegmentInput(SegmentPreviewInputSchema, args.input)
  const halfLifeDays = await getScoreHalfLife(services, { workspaceId: args.workspaceId })
  let count = 0
  const sample: SegmentPreview['sample'] = []
  for await (const members of walkSegmentMembers(services.database.db, { workspaceId: args.workspaceId, rule, now: services.clock.now(), halfLifeDays, batchSize: 1000 })) {
    count += members.length
    for (const c of members.slice(0, SAMPLE_SIZE - sample.length)) sample.push({ id: c.id, email: c.email, name: c.name, status: c.status })
  }
  return { count, sample }
}

export type SegmentFormResult = { ok: true; segmentId: string } | { ok: false; status: number; fieldErrors: Record<string, string>; values: SegmentFormValues }

function formErrorOf(error: unknown): { status: number; field: string; message: string } {
  if (!(error instanceof InputError) || error.status === 404) throw error
  const message = error.field && error.message.startsWith(`${error.field}: `) ? error.message.slice(error.field.length + 2) : error.message
  return { status: error.status, field: fieldOfErrorPath(error.field ?? 'form'), message }
}

/** The segment editor's save (new when `segmentId` is left out): errors come back under the form's fields. */
export async function saveSegmentForm(services: Services, args: { workspaceId: string; segmentId?: string; form: FormData }): Promise<SegmentFormResult> {
  const values = formDataToValues(args.form)
  const input = formValuesToInput(values)
  try {
    const saved = args.segmentId
      ? await updateSegment(services, { workspaceId: args.workspaceId, segmentId: args.segmentId, input })
      : await createSegment(services, { workspaceId: args.workspaceId, input })
    return { ok: true, segmentId: saved.id }
  } catch (error) {
    const problem = formErrorOf(error)
    return { ok: false, status: problem.status, fieldErrors: { [problem.field]: problem.message }, values }
  }
}

/** The editor's live count: the rule being edited, from the form. */
export async function previewSegmentForm(
  services: Services,
  args: { workspaceId: string; form: FormData },
): Promise<{ ok: true; preview: SegmentPreview } | { ok: false; field: string; message: string }> {
  const { rule } = formValuesToInput(formDataToValues(args.form))
  try {
    return { ok: true, preview: await previewSegment(services, { workspaceId: args.workspaceId, input: { rule } }) }
  } catch (error) {
    const problem = formErrorOf(error)
    return { ok: false, field: problem.field, message: problem.message }
  }
}
