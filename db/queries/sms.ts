import { and, eq, inArray, sql } from 'drizzle-orm'
import type { DbOrTx } from '../client'
import { contacts, deliveries, smsSettings, smsSuppressions, type SmsConsent, type SmsSuppressionReason } from '../schema'

/** SMS settings, opt-outs and status callbacks (docs/decisions/081-sms-step.md). Every query is scoped to a workspace. */

export type SmsSettingsRow = typeof smsSettings.$inferSelect

export async function getSmsSettings(db: DbOrTx, args: { workspaceId: string }): Promise<SmsSettingsRow | null> {
  const [row] = await db.select().from(smsSettings).where(eq(smsSettings.workspaceId, args.workspaceId))
  return row ?? null
}

export async function upsertSmsSettings(db: DbOrTx, args: Omit<SmsSettingsRow, 'updatedAt'> & { at: Date }): Promise<SmsSettingsRow> {
  const { at, ...values } = args
  const [row] = await db
    .insert(smsSettings)
    .values({ ...values, updatedAt: at })
    .onConflictDoUpdate({ target: smsSettings.workspaceId, set: { ...values, updatedAt: at } })
    .returning()
  return row!
}

/** Stop texting a number (idempotent: the first reason stays). */
export async function suppressPhone(db: DbOrTx, args: { workspaceId: string; phone: string; reason: SmsSuppressionReason; detail?: string | null; at: Date }): Promise<{ created: boolean }> {
  const rows = await db
    .insert(smsSuppressions)
    .values({ workspaceId: args.workspaceId, phone: args.phone, reason: args.reason, detail: args.detail ?? null, createdAt: args.at })
    .onConflictDoNothing({ target: [smsSuppressions.workspaceId, smsSuppressions.phone] })
    .returning({ id: smsSuppressions.id })
  return { created: rows.length > 0 }
}

/** Lift an opt-out (START / UNSTOP). */
export async function liftPhoneSuppression(db: DbOrTx, args: { workspaceId: string; phone: string }): Promise<boolean> {
  const rows = await db
    .delete(smsSuppressions)
    .where(and(eq(smsSuppressions.workspaceId, args.workspaceId), eq(smsSuppressions.phone, args.phone), inArray(smsSuppressions.reason, ['stop_keyword', 'carrier_opt_out'])))
    .returning({ id: smsSuppressions.id })
  return rows.length > 0
}

export async function getPhoneSuppression(db: DbOrTx, args: { workspaceId: string; phone: string }) {
  const [row] = await db.select().from(smsSuppressions).where(and(eq(smsSuppressions.workspaceId, args.workspaceId), eq(smsSuppressions.phone, args.phone)))
  return row ?? null
}

/** Contacts of the workspace with this number (a number may belong to several, e.g. a shared line). */
export async function findContactsByPhone(db: DbOrTx, args: { workspaceId: string; phone: string }): Promise<Array<{ id: string; email: string }>> {
  return db.select({ id: contacts.id, email: contacts.email }).from(contacts).where(and(eq(contacts.workspaceId, args.workspaceId), eq(contacts.phone, args.phone)))
}

export async function setContactSmsConsent(db: DbOrTx, args: { workspaceId: string; contactId: string; consent: SmsConsent | null; at: Date }): Promise<void> {
  await db.update(contacts).set({ smsConsent: args.consent, updatedAt: args.at }).where(and(eq(contacts.workspaceId, args.workspaceId), eq(contacts.id, args.contactId)))
}

/** The drip delivery an SMS status callback names (by the message SID the send recorded). */
export async function findSmsDelivery(db: DbOrTx, args: { workspaceId: string; messageSid: string }) {
  const [row] = await db
    .select({ id: deliveries.id, state: deliveries.state, providerStatus: deliveries.providerStatus, enrollmentId: deliveries.enrollmentId, sequenceId: deliveries.sequenceId, stepId: deliveries.stepId })
    .from(deliveries)
    .where(and(eq(deliveries.workspaceId, args.workspaceId), eq(deliveries.remoteId, args.messageSid), sql`${deliveries.enrollmentId} is not null`))
  return row ?? null
}

/**
 * Record a carrier status on a delivery, only if it is still `current` (a concurrent callback wins once).
 * A carrier failure keeps the delivery `published` (it was handed over) with the failure as its error.
 */
export async function recordSmsStatus(
  db: DbOrTx,
  args: { workspaceId: string; deliveryId: string; current: string | null; next: string; failed: { error: string; errorKind: string } | null; at: Date },
): Promise<boolean> {
  const rows = await db
    .update(deliveries)
    .set({
      providerStatus: args.next,
      ...(args.failed ? { lastError: args.failed.error, lastErrorKind: args.failed.errorKind } : {}),
      updatedAt: args.at,
      version: sql`${deliveries.version} + 1`,
    })
    .where(
      and(
        eq(deliveries.workspaceId, args.workspaceId),
        eq(deliveries.id, args.deliveryId),
        args.current === null ? sql`${deliveries.providerStatus} is null` : eq(deliveries.providerStatus, args.current),
      ),
    )
    .returning({ id: deliveries.id })
  return rows.length > 0
}
