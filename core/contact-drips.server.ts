import { z } from 'zod'
import { exitEnrollments, hasEnrollment, listContactEnrollments } from '../db/queries/contact-enrollments'
import { getContact } from '../db/queries/contacts'
import { getDrip, listDripRows } from '../db/queries/drips'
import type { Enrollment } from '../db/queries/enrollments'
import type { EnrollmentStatus } from '../domain/drip/schema'
import { isStorableText } from '../domain/email/contact'
import { InputError } from './errors'
import { parseInput } from './parse-input'
import type { Services } from './services.server'

/**
 * A contact's drips (decision 074): where it stands in each (the contact page), and removing it from a
 * drip (the contact page and `DELETE /api/v1/drips/{id}/enrollments/{contactId}`). Workspace-scoped;
 * another workspace's drip or contact is a 404 naming the field.
 */

export type ContactDripView = {
  enrollmentId: string
  dripId: string
  dripName: string
  dripStatus: 'active' | 'paused'
  status: EnrollmentStatus
  cycle: number
  /** Steps passed (0-based position of the next step to send). */
  stepPosition: number
  stepCount: number
  /** When the next step is due (active enrollments). */
  nextSendAt: Date | null
  enrolledAt: Date
  endedAt: Date | null
  endReason: string | null
  source: string
}

/** Every enrollment of the contact, newest first, with its drip and its place in it. */
export async function listContactDrips(services: Services, args: { workspaceId: string; contactId: string }): Promise<ContactDripView[]> {
  const rows = await listContactEnrollments(services.database.db, args)
  return rows.map((e) => ({
    enrollmentId: e.id,
    dripId: e.sequenceId,
    dripName: e.dripName,
    dripStatus: e.dripStatus === 'active' ? 'active' : 'paused',
    status: e.status,
    cycle: e.cycle,
    stepPosition: e.stepPosition,
    stepCount: e.stepCount,
    nextSendAt: e.status === 'active' ? e.nextDueAt : null,
    enrolledAt: e.startedAt,
    endedAt: e.endedAt,
    endReason: e.endReason,
    source: e.source,
  }))
}

/** The workspace's drips to pick from (name order). */
export async function listDripChoices(services: Services, args: { workspaceId: string }): Promise<Array<{ id: string; name: string; status: 'active' | 'paused' }>> {
  const rows = await listDripRows(services.database.db, args)
  return rows.map((d) => ({ id: d.id, name: d.name, status: d.status === 'active' ? ('active' as const) : ('paused' as const) })).sort((a, b) => a.name.localeCompare(b.name))
}

export const RemoveFromDripSchema = z.strictObject({
  reason: z.string().trim().max(200, { error: 'reason: at most 200 characters' }).refine(isStorableText, { error: 'reason: must not contain control characters' }).optional(),
})

/**
 * End the contact's active enrollment(s) in the drip: status `exited`, the reason recorded (`removed by
 * <who>`, plus the caller's reason). Nothing more is sent. 404 naming `dripId` or `contactId` when either
 * is not the workspace's, or the contact was never in the drip; an enrollment that had already ended is
 * left as it is (the answer lists none).
 */
export async function removeFromDrip(
  services: Services,
  args: { workspaceId: string; dripId: string; contactId: string; by: string; input?: unknown },
): Promise<{ exited: Enrollment[] }> {
  const { reason: given } = parseInput(RemoveFromDripSchema, args.input ?? {})
  const db = services.database.db
  const { workspaceId, dripId, contactId } = args
  if (!z.uuid().safeParse(dripId).success || !(await getDrip(db, { workspaceId, dripId }))) throw new InputError('dripId', 'dripId: no such drip', { status: 404 })
  if (!z.uuid().safeParse(contactId).success || !(await getContact(db, { workspaceId, contactId }))) throw new InputError('contactId', 'contactId: no such contact', { status: 404 })
  if (!(await hasEnrollment(db, { workspaceId, dripId, contactId }))) throw new InputError('contactId', 'contactId: this contact is not in the drip', { status: 404 })
  const reason = `removed by ${args.by}${given ? `: ${given}` : ''}`
  return { exited: await exitEnrollments(db, { workspaceId, dripId, contactId, reason, at: services.clock.now() }) }
}
