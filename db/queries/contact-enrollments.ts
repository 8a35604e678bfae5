import { and, desc, eq, sql } from 'drizzle-orm'
import type { DbOrTx } from '../client'
import { enrollments, sequences, sequenceSteps } from '../schema'
import type { Enrollment } from './enrollments'

/** One contact's enrollments as the contact page and the API show and end them (decision 074); workspace-scoped. */

export type ContactEnrollment = Enrollment & { dripName: string; dripStatus: string; stepCount: number }

/** Every enrollment of the contact (all drips, all cycles), the newest first, with its drip's name, status and number of steps. */
export async function listContactEnrollments(db: DbOrTx, args: { workspaceId: string; contactId: string }): Promise<ContactEnrollment[]> {
  const rows = await db
    .select({
      enrollment: enrollments,
      dripName: sequences.name,
      dripStatus: sequences.status,
      stepCount: sql<number>`(SELECT count(*)::int FROM ${sequenceSteps} WHERE ${sequenceSteps.sequenceId} = ${sequences.id})`,
    })
    .from(enrollments)
    .innerJoin(sequences, and(eq(sequences.id, enrollments.sequenceId), eq(sequences.workspaceId, args.workspaceId)))
    .where(and(eq(enrollments.workspaceId, args.workspaceId), eq(enrollments.contactId, args.contactId)))
    .orderBy(desc(enrollments.startedAt), desc(enrollments.cycle))
  return rows.map((r) => ({ ...r.enrollment, dripName: r.dripName, dripStatus: r.dripStatus, stepCount: Number(r.stepCount) }))
}

/** Whether the contact was ever enrolled in the drip. */
export async function hasEnrollment(db: DbOrTx, args: { workspaceId: string; dripId: string; contactId: string }): Promise<boolean> {
  const [row] = await db
    .select({ id: enrollments.id })
    .from(enrollments)
    .where(and(eq(enrollments.workspaceId, args.workspaceId), eq(enrollments.sequenceId, args.dripId), eq(enrollments.contactId, args.contactId)))
    .limit(1)
  return row !== undefined
}

/**
 * End the contact's active enrollments in the drip (every drip when `dripId` is not given) as `status`
 * (default `exited`) with `reason`. The runner sends only for an active enrollment (checked in the
 * statement that marks each message), so nothing more goes out.
 */
export async function exitEnrollments(
  db: DbOrTx,
  args: { workspaceId: string; dripId?: string; contactId: string; reason: string; at: Date; status?: 'exited' | 'unsubscribed' },
): Promise<Enrollment[]> {
  return db
    .update(enrollments)
    .set({ status: args.status ?? 'exited', endReason: args.reason, endedAt: args.at, nextDueAt: null, claimId: null, claimedUntil: null, updatedAt: args.at })
    .where(
      and(
        eq(enrollments.workspaceId, args.workspaceId),
        args.dripId ? eq(enrollments.sequenceId, args.dripId) : undefined,
        eq(enrollments.contactId, args.contactId),
        eq(enrollments.status, 'active'),
      ),
    )
    .returning()
}
