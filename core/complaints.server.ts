import { findContactByEmail, getContact, lockContact, type Contact } from '../db/queries/contacts'
import { exitEnrollments } from '../db/queries/contact-enrollments'
import { findLatestSent, findSentByMessageId, insertContactEvent } from '../db/queries/events'
import { suppressAddress } from '../db/queries/suppression'
import type { DbOrTx } from '../db/client'
import type { ArfReport } from '../domain/email/arf'
import { verifyEmailToken } from './email-links.server'
import { InputError } from './errors'
import type { Services } from './services.server'
import { onEmailActivity } from './drips/activity-triggers.server'

/**
 * Spam complaints (decision 078): an ARF report from a mailbox provider's feedback loop, or an editor
 * or integration setting a contact `complained` through the API. The address is suppressed for good,
 * the contact becomes `complained`, a `complained` event counts on the step complained about (once per
 * message), and the contact's active enrollments end as `unsubscribed` (reason `spam complaint`).
 */

export const COMPLAINT_END_REASON = 'spam complaint'

type ComplainedMessage = { sequenceId: string | null; enrollmentId: string | null; stepId: string | null }

export type ComplaintResult =
  | { outcome: 'complained'; contactId: string | null; email: string; stepId: string | null; duplicate: boolean }
  | { outcome: 'ignored'; reason: string }

/**
 * Record one ARF report. The message is found by, in order: the signed unsubscribe URL of the
 * original message (names the contact and the step; survives providers that redact the recipient),
 * its Message-ID (a drip delivery), the recipient address (the last email sent to it). Anything but
 * `Feedback-Type: abuse` is acknowledged and ignored. An InputError (422, field `Original-Rcpt-To`)
 * when nothing in the report identifies a recipient of this workspace.
 */
export async function applyComplaintReport(services: Services, args: { workspaceId: string; report: ArfReport }): Promise<ComplaintResult> {
  const { workspaceId, report } = args
  if (report.feedbackType !== 'abuse') return { outcome: 'ignored', reason: `Feedback-Type ${report.feedbackType} is not a complaint` }
  const db = services.database.db
  const target = await findComplained(services, db, { workspaceId, report })
  if (!target) {
    throw new InputError('Original-Rcpt-To', 'The report names no recipient of this workspace (Original-Rcpt-To, the original To, List-Unsubscribe or Message-ID)', { status: 422 })
  }
  const result = await db.transaction(async (tx) => {
    const contact = target.contactId ? await lockContact(tx, { workspaceId, contactId: target.contactId }) : null
    // The contact may have changed its address (or been deleted) since the lookup: the locked row wins.
    const email = contact?.email ?? target.email
    const message = target.message ?? (await findLatestSent(tx, { workspaceId, email }))
    const eventId = await recordComplaint(tx, { workspaceId, email, contact, message, source: 'arf', detail: report.userAgent ?? 'feedback report', at: services.clock.now() })
    return { outcome: 'complained' as const, contactId: contact?.id ?? null, email, stepId: message?.stepId ?? null, duplicate: eventId === null, eventId, message }
  })
  const { eventId, message, ...answer } = result
  if (eventId && answer.contactId) await onComplaint(services, { workspaceId, contactId: answer.contactId, eventId, message })
  return answer
}

/** The `complained` triggers (decision 096), once the complaint is committed: a drip of actions (tag, notify, webhook) may follow it. */
export async function onComplaint(services: Services, args: { workspaceId: string; contactId: string; eventId: string; message: ComplainedMessage | null }): Promise<void> {
  await onEmailActivity(services, {
    workspaceId: args.workspaceId,
    contactId: args.contactId,
    activities: [{ activity: 'complained', eventId: args.eventId, sequenceId: args.message?.sequenceId ?? null, stepId: args.message?.stepId ?? null }],
  })
}

/** The contact (and the message, when the report shows which one) a report is about. */
async function findComplained(services: Services, db: DbOrTx, args: { workspaceId: string; report: ArfReport }) {
  const { workspaceId, report } = args
  for (const url of report.unsubscribeUrls) {
    const token = /\/u\/([^/?#]+)/.exec(url)?.[1]
    const claims = verifyEmailToken(services, 'unsubscribe', token)
    if (!claims || claims.workspaceId !== workspaceId) continue
    const contact = await getContact(db, { workspaceId, contactId: claims.contactId })
    if (!contact) continue
    const message = { sequenceId: claims.sequenceId ?? null, enrollmentId: claims.enrollmentId ?? null, stepId: claims.stepId ?? null }
    return { contactId: contact.id, email: contact.email, message: message.stepId ? message : null }
  }
  if (report.messageId) {
    const sent = await findSentByMessageId(db, { workspaceId, messageId: `<${report.messageId}>` })
    const contact = sent && (await getContact(db, { workspaceId, contactId: sent.contactId }))
    if (sent && contact) return { contactId: contact.id, email: contact.email, message: sent }
  }
  for (const email of report.recipients) {
    const contact = await findContactByEmail(db, { workspaceId, email })
    if (contact) return { contactId: contact.id, email, message: null }
  }
  // Not a contact (yet): the address is still suppressed.
  const email = report.recipients[0]
  return email ? { contactId: null, email, message: null } : null
}

/**
 * Suppress the address as a complaint, set the contact `complained`, count a `complained` event on the
 * message (once per message and contact), and end the contact's active enrollments. Inside the
 * caller's transaction (with the contact locked). Returns the new event's id (null: recorded before).
 */
export async function recordComplaint(
  tx: DbOrTx,
  args: { workspaceId: string; email: string; contact: Contact | null; message: ComplainedMessage | null; source: string; detail: string; at: Date },
): Promise<string | null> {
  const { workspaceId, contact, message, at } = args
  await suppressAddress(tx, { workspaceId, email: args.email, reason: 'complaint', detail: `${args.source}: ${args.detail}`, at })
  if (!contact) return null
  const event = await insertContactEvent(tx, {
    workspaceId,
    contactId: contact.id,
    type: 'complained',
    eventKey: `complained:${contact.id}:${message?.enrollmentId ?? '-'}:${message?.stepId ?? '-'}`,
    properties: { source: args.source, detail: args.detail },
    sequenceId: message?.sequenceId ?? null,
    enrollmentId: message?.enrollmentId ?? null,
    stepId: message?.stepId ?? null,
    occurredAt: at,
  })
  await exitEnrollments(tx, { workspaceId, contactId: contact.id, status: 'unsubscribed', reason: COMPLAINT_END_REASON, at })
  return event?.id ?? null
}
