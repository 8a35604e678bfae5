import { and, eq, sql } from 'drizzle-orm'
import type { DbOrTx } from '../client'
import { contacts, deliveries, mailSettings, mailTrackingEvents } from '../schema'
import type { PostalAddress, PostalVerification } from '../../domain/mail/address'

/** Direct mail: settings, contacts' postal addresses and Lob's tracking events (docs/decisions/089-direct-mail-drip-step.md). Every query is scoped to a workspace. */

export type MailSettingsRow = typeof mailSettings.$inferSelect

export async function getMailSettings(db: DbOrTx, args: { workspaceId: string }): Promise<MailSettingsRow | null> {
  const [row] = await db.select().from(mailSettings).where(eq(mailSettings.workspaceId, args.workspaceId))
  return row ?? null
}

export async function upsertMailSettings(db: DbOrTx, args: Omit<MailSettingsRow, 'updatedAt'> & { at: Date }): Promise<MailSettingsRow> {
  const { at, ...values } = args
  const [row] = await db
    .insert(mailSettings)
    .values({ ...values, updatedAt: at })
    .onConflictDoUpdate({ target: mailSettings.workspaceId, set: { ...values, updatedAt: at } })
    .returning()
  return row!
}

/** Set (or clear) a contact's postal address; its verification goes with the old address. */
export async function setPostalAddress(db: DbOrTx, args: { workspaceId: string; contactId: string; address: PostalAddress | null; at: Date }): Promise<boolean> {
  const rows = await db
    .update(contacts)
    .set({ postalAddress: args.address, postalVerification: null, updatedAt: args.at })
    .where(and(eq(contacts.workspaceId, args.workspaceId), eq(contacts.id, args.contactId)))
    .returning({ id: contacts.id })
  return rows.length > 0
}

/** Record Lob's verdict, only if the address is still the one verified. */
export async function recordPostalVerification(db: DbOrTx, args: { workspaceId: string; contactId: string; address: PostalAddress; verification: PostalVerification }): Promise<void> {
  await db
    .update(contacts)
    .set({ postalVerification: args.verification })
    .where(and(eq(contacts.workspaceId, args.workspaceId), eq(contacts.id, args.contactId), sql`${contacts.postalAddress} = ${JSON.stringify(args.address)}::jsonb`))
}

/** The drip delivery of a Lob piece (by the piece id its send recorded). */
export async function findMailDelivery(db: DbOrTx, args: { workspaceId: string; pieceId: string }): Promise<{ id: string } | null> {
  const [row] = await db
    .select({ id: deliveries.id })
    .from(deliveries)
    .where(and(eq(deliveries.workspaceId, args.workspaceId), eq(deliveries.remoteId, args.pieceId), sql`${deliveries.enrollmentId} is not null`))
  return row ?? null
}

/** Record one Lob event on its delivery (once per event id) and make it the delivery's provider status when it is the latest. */
export async function recordMailTracking(db: DbOrTx, args: { workspaceId: string; deliveryId: string; eventId: string; type: string; occurredAt: Date; at: Date }): Promise<boolean> {
  return db.transaction(async (tx) => {
    const inserted = await tx
      .insert(mailTrackingEvents)
      .values({ id: args.eventId, workspaceId: args.workspaceId, deliveryId: args.deliveryId, type: args.type, occurredAt: args.occurredAt, createdAt: args.at })
      .onConflictDoNothing()
      .returning({ id: mailTrackingEvents.id })
    if (inserted.length === 0) return false
    await tx.execute(sql`UPDATE deliveries d SET provider_status = latest.type, updated_at = ${args.at.toISOString()}::timestamptz, version = d.version + 1
      FROM (SELECT type FROM mail_tracking_events WHERE delivery_id = ${args.deliveryId} ORDER BY occurred_at DESC, created_at DESC LIMIT 1) latest
      WHERE d.id = ${args.deliveryId} AND d.workspace_id = ${args.workspaceId}`)
    return true
  })
}

export async function listMailTracking(db: DbOrTx, args: { workspaceId: string; deliveryId: string }): Promise<Array<{ id: string; type: string; occurredAt: Date }>> {
  return db
    .select({ id: mailTrackingEvents.id, type: mailTrackingEvents.type, occurredAt: mailTrackingEvents.occurredAt })
    .from(mailTrackingEvents)
    .where(and(eq(mailTrackingEvents.workspaceId, args.workspaceId), eq(mailTrackingEvents.deliveryId, args.deliveryId)))
    .orderBy(mailTrackingEvents.occurredAt)
}
