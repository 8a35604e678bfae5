import { and, count, desc, eq, gte, inArray } from 'drizzle-orm'
import type { DbOrTx } from '../client'
import { contactEvents, contacts, deliveries, enrollments, type ContactEventType } from '../schema'

export type NewContactEvent = {
  workspaceId: string
  contactId: string
  type: ContactEventType
  name?: string | null
  properties?: Record<string, unknown>
  /** Idempotency key: a second insert with the same key in the workspace is ignored. */
  eventKey?: string | null
  sequenceId?: string | null
  enrollmentId?: string | null
  stepId?: string | null
  scoreDelta?: number
  occurredAt: Date
}

/** Insert an event; `null` when its key was already recorded (nothing written). */
export async function insertContactEvent(db: DbOrTx, event: NewContactEvent) {
  const [row] = await db
    .insert(contactEvents)
    .values({ ...event, properties: event.properties ?? {}, scoreDelta: event.scoreDelta ?? 0 })
    .onConflictDoNothing({ target: [contactEvents.workspaceId, contactEvents.eventKey] })
    .returning()
  return row ?? null
}

export async function findEventByKey(db: DbOrTx, args: { workspaceId: string; eventKey: string }) {
  const [row] = await db
    .select()
    .from(contactEvents)
    .where(and(eq(contactEvents.workspaceId, args.workspaceId), eq(contactEvents.eventKey, args.eventKey)))
  return row ?? null
}

/** The newest `sent` event of a contact at an address (a DSN names the address, not the message). */
export async function findLatestSent(db: DbOrTx, args: { workspaceId: string; email: string }) {
  const [row] = await db
    .select({ id: contactEvents.id, contactId: contactEvents.contactId, sequenceId: contactEvents.sequenceId, enrollmentId: contactEvents.enrollmentId, stepId: contactEvents.stepId })
    .from(contactEvents)
    .innerJoin(contacts, and(eq(contacts.id, contactEvents.contactId), eq(contacts.workspaceId, contactEvents.workspaceId)))
    .where(and(eq(contactEvents.workspaceId, args.workspaceId), eq(contacts.email, args.email.trim().toLowerCase()), eq(contactEvents.type, 'sent')))
    .orderBy(desc(contactEvents.occurredAt))
    .limit(1)
  return row ?? null
}

/** The drip email with this Message-ID (as sent, in angle brackets): its enrollment's contact and step. */
export async function findSentByMessageId(db: DbOrTx, args: { workspaceId: string; messageId: string }) {
  const [row] = await db
    .select({ contactId: enrollments.contactId, sequenceId: deliveries.sequenceId, enrollmentId: deliveries.enrollmentId, stepId: deliveries.stepId })
    .from(deliveries)
    .innerJoin(enrollments, and(eq(enrollments.id, deliveries.enrollmentId), eq(enrollments.workspaceId, deliveries.workspaceId)))
    .where(and(eq(deliveries.workspaceId, args.workspaceId), eq(deliveries.remoteId, args.messageId)))
    .limit(1)
  return row ?? null
}

export async function setEventScoreDelta(db: DbOrTx, args: { workspaceId: string; eventId: string; scoreDelta: number }) {
  await db
    .update(contactEvents)
    .set({ scoreDelta: args.scoreDelta })
    .where(and(eq(contactEvents.workspaceId, args.workspaceId), eq(contactEvents.id, args.eventId)))
}

export async function listContactEvents(db: DbOrTx, args: { workspaceId: string; contactId: string; limit?: number }) {
  return db
    .select()
    .from(contactEvents)
    .where(and(eq(contactEvents.workspaceId, args.workspaceId), eq(contactEvents.contactId, args.contactId)))
    .orderBy(desc(contactEvents.occurredAt))
    .limit(args.limit ?? 100)
}

/** Activity since an instant, for segment evaluation and the frequency cap (`types` narrows it). */
export async function listActivitySince(db: DbOrTx, args: { workspaceId: string; contactIds: string[]; since: Date; types?: ContactEventType[] }) {
  if (args.contactIds.length === 0) return []
  return db
    .select({ contactId: contactEvents.contactId, type: contactEvents.type, name: contactEvents.name, occurredAt: contactEvents.occurredAt })
    .from(contactEvents)
    .where(
      and(
        eq(contactEvents.workspaceId, args.workspaceId),
        inArray(contactEvents.contactId, args.contactIds),
        gte(contactEvents.occurredAt, args.since),
        args.types ? inArray(contactEvents.type, args.types) : undefined,
      ),
    )
}

/** How many events of this type a contact has (soft bounces for "soft bounce N times" triggers). */
export async function countContactEvents(db: DbOrTx, args: { workspaceId: string; contactId: string; type: ContactEventType }): Promise<number> {
  const [row] = await db
    .select({ n: count() })
    .from(contactEvents)
    .where(and(eq(contactEvents.workspaceId, args.workspaceId), eq(contactEvents.contactId, args.contactId), eq(contactEvents.type, args.type)))
  return Number(row?.n ?? 0)
}
