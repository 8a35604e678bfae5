import { z } from 'zod'
import type { DbOrTx } from '../../db/client'
import { findContactByEmail, getContact, type Contact } from '../../db/queries/contacts'
import { findTriggeredDrips, getDrip as getDripRow, type DripWithSteps } from '../../db/queries/drips'
import { endEnrollmentsOnGoal, enrollContactRow, wakeWaitingEnrollments, type Enrollment } from '../../db/queries/enrollments'
import { firstStepDueAt } from '../../domain/drip/runner'
import { isStorableText } from '../../domain/email/contact'
import { wakeDripRunnerJob } from '../../jobs/enqueue'
import { InputError } from '../errors'
import { mailability, type Mailability } from '../mailability.server'
import type { Services } from '../services.server'
import { dripNotFound as notFound, invalidDripInput as invalidInput } from './errors'
import { acceptsContact, toStepDefs } from './steps/shared'

/**
 * Enrolling contacts into drips: manually, by CSV, through the API and from triggers (forms, events,
 * activity, dates). Every path ends in `enrollInto`, which applies the drip's re-entry policy and
 * computes the first step's due time in the contact's zone.
 */

export type EnrollInput = { contactId?: string; email?: string; idempotencyKey?: string }
export type EnrollResult = { enrollment: Enrollment; created: boolean }

export const EnrollInputSchema = z
  .strictObject({
    contactId: z.uuid({ error: 'contactId must be a contact id' }).optional(),
    email: z.string().trim().pipe(z.email({ error: 'email must be an email address' }).max(320)).optional(),
    idempotencyKey: z.string().min(1).max(200).refine(isStorableText, { error: 'must not contain NUL characters' }).optional(),
  })
  .refine((v) => !!v.contactId !== !!v.email, { path: ['contactId'], error: 'give either contactId or email (one of them)' })

/**
 * Enroll one contact (manual, API, CSV). Idempotent: the same `idempotencyKey` returns the first
 * enrollment; without one, the drip's re-entry policy decides (an existing active enrollment is
 * returned with `created: false`). The contact must exist in the workspace (404 naming the field).
 */
export async function enrollContact(
  services: Services,
  args: { workspaceId: string; dripId: string; input: EnrollInput; source?: string },
): Promise<EnrollResult> {
  const parsed = EnrollInputSchema.safeParse(args.input)
  if (!parsed.success) throw invalidInput(parsed.error)
  const db = services.database.db
  const drip = await getDripRow(db, { workspaceId: args.workspaceId, dripId: args.dripId })
  if (!drip) throw notFound()
  const { contactId, email, idempotencyKey } = parsed.data
  const contact = contactId
    ? await getContact(db, { workspaceId: args.workspaceId, contactId })
    : await findContactByEmail(db, { workspaceId: args.workspaceId, email: email!.toLowerCase() })
  const field = contactId ? 'contactId' : 'email'
  if (!contact) throw new InputError(field, contactId ? 'contactId: no such contact' : 'email: no contact with this address', { status: 404 })
  const mail = await mailability(db, { workspaceId: args.workspaceId, contact })
  // A contact who cannot be emailed still enters a drip with a text, postcard or action step for them (decision 096).
  if (!mail.mailable && !acceptsContact(toStepDefs(drip), reachFacts(contact, mail))) {
    const blocked = mail.reason === 'suppressed' ? `on the suppression list (${mail.suppression.reason.replace('_', ' ')})` : mail.reason
    throw new InputError(field, `${field}: ${contact.email} is ${blocked}, so no drip mails it; it was not enrolled. Only the person can undo an unsubscribe (by signing up again).`, {
      status: 409,
      code: 'contact_suppressed',
    })
  }
  const result = await enrollInto(services, { drip, contact, source: args.source ?? 'api', enrollKey: idempotencyKey ? `key:${contact.id}:${idempotencyKey}` : null })
  if (result.created) await wakeDripRunner(services)
  return result
}

/** Enroll many contacts by address (CSV/manual bulk); unknown addresses are reported, not created. */
export async function enrollContacts(
  services: Services,
  args: { workspaceId: string; dripId: string; emails: string[]; source?: string },
): Promise<{ enrolled: number; existing: number; unknown: string[]; suppressed: string[] }> {
  const db = services.database.db
  const drip = await getDripRow(db, { workspaceId: args.workspaceId, dripId: args.dripId })
  if (!drip) throw notFound()
  let enrolled = 0
  let existing = 0
  const unknown: string[] = []
  const suppressed: string[] = []
  for (const raw of args.emails) {
    const contact = await findContactByEmail(db, { workspaceId: args.workspaceId, email: raw.trim().toLowerCase() })
    if (!contact) {
      unknown.push(raw)
      continue
    }
    const mail = await mailability(db, { workspaceId: args.workspaceId, contact })
    if (!mail.mailable && !acceptsContact(toStepDefs(drip), reachFacts(contact, mail))) {
      suppressed.push(contact.email)
      continue
    }
    const r = await enrollInto(services, { drip, contact, source: args.source ?? 'import', enrollKey: null })
    if (r.created) enrolled++
    else existing++
  }
  if (enrolled) await wakeDripRunner(services)
  return { enrolled, existing, unknown, suppressed }
}

/** What the channel rule (domain/email/contact.ts `reachableOn`) needs of a contact, from its mailability. */
function reachFacts(contact: Pick<Contact, 'status'>, mail: Mailability) {
  return { status: contact.status, suppressed: mail.suppression !== null, complained: mail.suppression?.reason === 'complaint' }
}

/** Enroll under the drip's re-entry policy; the first step's due time is computed in the contact's zone. */
export async function enrollInto(
  services: Pick<Services, 'clock'> & { database: { db: DbOrTx } },
  args: { drip: DripWithSteps; contact: Pick<Contact, 'id' | 'timezone'>; source: string; enrollKey: string | null; /** The enrollment's anchor (date triggers: the anniversary); default now. */ startedAt?: Date },
): Promise<EnrollResult> {
  const { drip, contact } = args
  const at = args.startedAt ?? services.clock.now()
  const nextDueAt = drip.steps[0] ? firstStepDueAt({ drip: drip.drip, step: drip.steps[0], contactTimezone: contact.timezone, enrolledAt: at }) : null
  return enrollContactRow(services.database.db, {
    workspaceId: drip.drip.workspaceId,
    dripId: drip.drip.id,
    contactId: contact.id,
    policy: drip.drip.settings.reentry,
    source: args.source,
    enrollKey: args.enrollKey,
    nextDueAt,
    at,
  })
}

/**
 * Trigger hooks: enroll a contact into every active drip of the workspace triggered by this form
 * confirmation / API event, and end enrollments whose goal is this event. Called by the form and
 * event paths after their own transaction committed.
 */
export async function onContactTrigger(
  services: Services,
  args: { workspaceId: string; contactId: string; trigger: { kind: 'form'; formId: string; consentId?: string } | { kind: 'event'; event: string; eventId?: string } },
): Promise<{ enrolled: number; goalReached: number }> {
  const db = services.database.db
  const { trigger } = args
  let goalReached = 0
  if (trigger.kind === 'event') {
    goalReached = await endEnrollmentsOnGoal(db, { workspaceId: args.workspaceId, contactId: args.contactId, event: trigger.event, at: services.clock.now() })
    // A wait-until step may be waiting for this event (decision 096): look again now.
    if (await wakeWaitingEnrollments(db, { workspaceId: args.workspaceId, contactId: args.contactId, now: services.clock.now() })) await wakeDripRunner(services)
  }
  const drips = await findTriggeredDrips(db, { workspaceId: args.workspaceId, kind: trigger.kind, key: trigger.kind === 'form' ? trigger.formId : trigger.event })
  if (drips.length === 0) return { enrolled: 0, goalReached }
  const contact = await getContact(db, { workspaceId: args.workspaceId, contactId: args.contactId })
  if (!contact) return { enrolled: 0, goalReached }
  let enrolled = 0
  for (const row of drips) {
    const drip = await getDripRow(db, { workspaceId: args.workspaceId, dripId: row.id })
    if (!drip) continue
    const source = trigger.kind === 'form' ? `form:${trigger.formId}` : `event:${trigger.event}`
    const enrollKey = trigger.kind === 'event' ? (trigger.eventId ? `event:${trigger.eventId}` : null) : trigger.consentId ? `form:${trigger.consentId}` : null
    if ((await enrollInto(services, { drip, contact, source, enrollKey })).created) enrolled++
  }
  if (enrolled) await wakeDripRunner(services)
  return { enrolled, goalReached }
}

/** Ask the drip runner to run now (enrollments were added); the recurring run picks them up anyway. */
export async function wakeDripRunner(services: Pick<Services, 'jobs' | 'clock'>): Promise<void> {
  try {
    await wakeDripRunnerJob(services.jobs.agenda, services.clock.now())
  } catch {
    // The recurring run (every few seconds) covers it.
  }
}
