import { createHash } from 'node:crypto'
import { isEmailBounce, smtpCredentials, type SmtpSettings } from '../connectors/email/index'
import { getConnector } from '../connectors/registry'
import type { Connector } from '../connectors/types'
import { connectAccount, getAccountCredentials } from '../db/queries/accounts'
import {
  confirmConsentRecord,
  ensureContact,
  getContact,
  getEmailSettings,
  insertConsentRecord,
  lockContact,
  saveEmailSettings,
  updateContact,
  type Contact,
  type EmailSettings,
  type SignupForm,
} from '../db/queries/contacts'
import { countContactEvents, findEventByKey, findLatestSent, insertContactEvent } from '../db/queries/events'
import { liftUnsubscribe, suppressAddress } from '../db/queries/suppression'
import type { DbOrTx } from '../db/client'
import type { ChannelContent } from '../connectors/types'
import type { ContactEventType } from '../db/schema/index'
import { boundedCache } from '../domain/bounded-cache'
import { withUtm, type Utm } from '../domain/links/utm'
import type { LinkClaims } from '../domain/email/links'
import { contactScope } from '../domain/email/liquid'
import { renderEmail, type EmailTemplate } from '../domain/email/template'
import { isSoftBounce, type DsnRecipient } from '../domain/email/dsn'
import { mailability } from './mailability.server'
import { emailBounces } from './metrics.server'
import { signedEmailUrl } from './email-links.server'
import { enqueueSignupConfirmation } from '../jobs/enqueue'
import type { Services } from './services.server'
import { InputError } from './errors'
import { scoreActivity } from './score-rules.server'
import { onEmailActivity, type RecordedActivity } from './drips/activity-triggers.server'
import { SmtpHostSchema } from './settings.server'

/**
 * The email gateway between routes/jobs and db/, domain/email and connectors/email (signed links are
 * core/email-links.server.ts): the one send path (with the suppression check right before the SMTP call), unsubscribes, tracking,
 * API events with lead scoring, double opt-in and DSNs. See docs/decisions/008-email-foundations.md.
 */

/** The `email` connector of the registry (one SMTP pool per process's services, shared by the web and the worker). */
export function emailConnector(services: Pick<Services, 'connectors'>): Connector {
  return getConnector(services.connectors, 'email')
}

export class EmailNotConfiguredError extends Error {
  override name = 'EmailNotConfiguredError'
}

/** The address is on the suppression list (or the contact may not be mailed): nothing was sent. */
export class SuppressedError extends Error {
  override name = 'SuppressedError'
}

export type SendToContactArgs = {
  workspaceId: string
  contactId: string
  template: EmailTemplate
  /** Stable per (enrollment, step): the Message-ID derives from it, and a repeat records no second `sent`. */
  idempotencyKey: string
  /** `marketing` needs a subscribed contact and gets open/click tracking; `confirmation` is the double opt-in mail to a pending contact. */
  purpose: 'marketing' | 'confirmation'
  sequenceId?: string
  enrollmentId?: string
  stepId?: string
  /** Extra merge values (e.g. `confirm_url`). */
  values?: Record<string, string>
}

export async function requireEmailSettings(db: DbOrTx, workspaceId: string): Promise<EmailSettings & { senderAccountId: string }> {
  const settings = await getEmailSettings(db, { workspaceId })
  if (!settings?.senderAccountId) throw new EmailNotConfiguredError('Set up the email sender (SMTP) and postal address in the email settings first')
  return settings as EmailSettings & { senderAccountId: string }
}

/**
 * Render one message for one contact with its signed links (unsubscribe, preferences, and for
 * marketing: click and open tracking) and the RFC 8058 List-Unsubscribe. Pure apart from signing;
 * shared by `sendToContact` and the drip runner (core/drips/runner.server.ts).
 */
export function composeEmail(
  services: Pick<Services, 'config' | 'clock'>,
  args: {
    settings: Pick<EmailSettings, 'fromName' | 'fromEmail' | 'replyTo' | 'postalAddress'>
    contact: Pick<Contact, 'id' | 'email' | 'name' | 'timezone' | 'fields'>
    template: EmailTemplate
    claims: LinkClaims
    values?: Record<string, string>
    tracked: boolean
    /**
     * UTM parameters for the tracked links (a drip with them on, decision 084): the signed click link
     * carries the link with them, so `/t/c/…` redirects there and the click is counted per step as before.
     */
    utm?: Utm
  },
): NonNullable<ChannelContent['email']> {
  const { settings, contact, claims } = args
  const unsubscribeUrl = signedEmailUrl(services, 'unsubscribe', claims)
  const rendered = renderEmail({
    template: args.template,
    scope: { contact: contactScope(contact), globals: args.values },
    now: services.clock.now(),
    postalAddress: settings.postalAddress,
    unsubscribeUrl,
    preferencesUrl: signedEmailUrl(services, 'preferences', claims),
    trackClick: args.tracked ? (url) => signedEmailUrl(services, 'click', { ...claims, url: args.utm ? utmLink(url, args.utm) : url }) : undefined,
    openPixelUrl: args.tracked ? signedEmailUrl(services, 'open', claims) : undefined,
  })
  const unsubscribeToken = unsubscribeUrl.slice(unsubscribeUrl.lastIndexOf('/') + 1)
  return {
    from: { name: settings.fromName, address: settings.fromEmail },
    to: contact.email,
    replyTo: settings.replyTo ?? undefined,
    ...rendered,
    listUnsubscribe: { url: unsubscribeUrl, mailto: `mailto:${settings.replyTo ?? settings.fromEmail}?subject=unsubscribe%20${unsubscribeToken}` },
  }
}

/** `withUtm`, remembered per link and parameters: a drip step's links are the same for every contact. */
function utmLink(url: string, utm: Utm): string {
  return utmLinks(`${url}\u0000${utm.source}\u0000${utm.medium}\u0000${utm.campaign}\u0000${utm.content}`, () => withUtm(url, utm))
}
const utmLinks = boundedCache<string>(1000)

/**
 * Send one email to one contact. The suppression list and the contact's status are read right before
 * the SMTP call, so an unsubscribe that committed earlier always wins. A 5xx recipient rejection
 * suppresses the address (hard bounce) and is rethrown for the caller's state machine.
 */
export async function sendToContact(services: Services, args: SendToContactArgs): Promise<{ messageId: string }> {
  const db = services.database.db
  const settings = await requireEmailSettings(db, args.workspaceId)
  const contact = await getContact(db, { workspaceId: args.workspaceId, contactId: args.contactId })
  if (!contact) throw new SuppressedError('The contact no longer exists')
  const mail = await mailability(db, { workspaceId: args.workspaceId, contact })
  if (args.purpose === 'confirmation') {
    // The person asked for it on a form: an earlier unsubscribe does not stop the double opt-in email.
    if (mail.neverAgain) throw new SuppressedError(`${contact.email} bounced or complained`)
  } else {
    if (contact.status !== 'subscribed') throw new SuppressedError(`The contact is ${contact.status}`)
    if (!mail.mailable) throw new SuppressedError(`${contact.email} is on the suppression list`)
  }

  const claims: LinkClaims = { workspaceId: args.workspaceId, contactId: contact.id, sequenceId: args.sequenceId, enrollmentId: args.enrollmentId, stepId: args.stepId }
  const email = composeEmail(services, { settings, contact, template: args.template, claims, values: args.values, tracked: args.purpose === 'marketing' })
  const credentials = await getAccountCredentials(db, { workspaceId: args.workspaceId, accountId: settings.senderAccountId, keyring: services.keyring })
  try {
    const result = await emailConnector(services).publish({ credentials, idempotencyKey: args.idempotencyKey, content: { parts: [], email } })
    await insertContactEvent(db, {
      workspaceId: args.workspaceId,
      contactId: contact.id,
      type: 'sent',
      eventKey: `sent:${args.idempotencyKey}`,
      properties: { messageId: result.remoteId, purpose: args.purpose },
      sequenceId: args.sequenceId,
      enrollmentId: args.enrollmentId,
      stepId: args.stepId,
      occurredAt: services.clock.now(),
    })
    return { messageId: result.remoteId }
  } catch (error) {
    if (isEmailBounce(error)) {
      await db.transaction(async (tx) => {
        await suppressAddress(tx, { workspaceId: args.workspaceId, email: contact.email, reason: 'hard_bounce', detail: error.smtpResponse, at: services.clock.now() })
        await insertContactEvent(tx, {
          workspaceId: args.workspaceId,
          contactId: contact.id,
          type: 'bounced',
          properties: { source: 'smtp', response: error.smtpResponse },
          sequenceId: args.sequenceId,
          enrollmentId: args.enrollmentId,
          stepId: args.stepId,
          occurredAt: services.clock.now(),
        })
      })
    }
    throw error
  }
}

/** Unsubscribe the contact a signed link names. Idempotent; takes effect before the response returns. Then the `unsubscribed` triggers (decision 096). */
export async function unsubscribeContact(services: Services, args: { claims: LinkClaims; source: string }): Promise<Contact | null> {
  const at = services.clock.now()
  const { workspaceId, contactId } = args.claims
  let eventId: string | null = null
  const contact = await services.database.db.transaction(async (tx) => {
    const contact = await lockContact(tx, { workspaceId, contactId })
    if (!contact) return null
    const { created } = await suppressAddress(tx, { workspaceId, email: contact.email, reason: 'unsubscribed', detail: args.source, at })
    if (created) {
      const event = await insertContactEvent(tx, {
        workspaceId,
        contactId,
        type: 'unsubscribed',
        properties: { source: args.source },
        sequenceId: args.claims.sequenceId,
        enrollmentId: args.claims.enrollmentId,
        stepId: args.claims.stepId,
        occurredAt: at,
      })
      eventId = event?.id ?? null
    }
    return getContact(tx, { workspaceId, contactId })
  })
  if (eventId) {
    const activity: RecordedActivity = { activity: 'unsubscribed', eventId, sequenceId: args.claims.sequenceId ?? null, stepId: args.claims.stepId ?? null }
    await onEmailActivity(services, { workspaceId, contactId, activities: [activity] })
  }
  return contact
}

/** An open or click from a signed link: recorded once per message (and URL), scored once. */
export async function recordTrackedActivity(services: Services, args: { claims: LinkClaims; type: Extract<ContactEventType, 'opened' | 'clicked'> }): Promise<void> {
  const { claims } = args
  const at = services.clock.now()
  const message = `${claims.enrollmentId ?? '-'}:${claims.stepId ?? '-'}`
  const urlHash = claims.url ? `:${createHash('sha256').update(claims.url).digest('hex').slice(0, 16)}` : ''
  const db = services.database.db
  const halfLifeDays = (await getEmailSettings(db, { workspaceId: claims.workspaceId }))?.scoreHalfLifeDays ?? null
  const recorded: RecordedActivity[] = []
  await db.transaction(async (tx) => {
    let contact = await lockContact(tx, { workspaceId: claims.workspaceId, contactId: claims.contactId })
    if (!contact) return
    // A click proves the message was opened, pixel or not (most clients block images): the open is
    // recorded once per message, whichever comes first.
    const types = args.type === 'clicked' ? (['opened', 'clicked'] as const) : (['opened'] as const)
    for (const type of types) {
      const event = await insertContactEvent(tx, {
        workspaceId: claims.workspaceId,
        contactId: contact.id,
        type,
        eventKey: type === 'clicked' ? `clicked:${contact.id}:${message}${urlHash}` : `opened:${contact.id}:${message}`,
        properties: type === 'clicked' && claims.url ? { url: claims.url } : type !== args.type ? { impliedBy: 'click' } : {},
        sequenceId: claims.sequenceId,
        enrollmentId: claims.enrollmentId,
        stepId: claims.stepId,
        occurredAt: at,
      })
      if (event) ({ contact } = await scoreActivity(tx, { contact, activity: { type }, eventId: event.id, halfLifeDays, at }))
      if (event) recorded.push({ activity: type, eventId: event.id, sequenceId: claims.sequenceId ?? null, stepId: claims.stepId ?? null, url: claims.url })
    }
  })
  // Behaviour triggers (decision 079), once the activity is committed.
  if (recorded.length) await onEmailActivity(services, { workspaceId: claims.workspaceId, contactId: claims.contactId, activities: recorded })
}

export type ApiEventInput = { email: string; type: string; name?: string; properties?: Record<string, unknown>; eventId?: string }

/**
 * An API event: the contact is found or created (subscribed, consent source `api`), the event is
 * recorded once per `eventId`, and lead-score rules apply. One transaction: all of it or nothing.
 */
export async function recordApiEvent(services: Services, args: { workspaceId: string; input: ApiEventInput }) {
  const { workspaceId, input } = args
  const at = services.clock.now()
  const db = services.database.db
  const halfLifeDays = (await getEmailSettings(db, { workspaceId }))?.scoreHalfLifeDays ?? null
  return db.transaction(async (tx) => {
    const eventKey = input.eventId ? `api:${input.eventId}` : null
    if (eventKey) {
      const existing = await findEventByKey(tx, { workspaceId, eventKey })
      if (existing) return { event: existing, duplicate: true, contactId: existing.contactId }
    }
    const { contact: ensured, created } = await ensureContact(tx, { workspaceId, email: input.email, name: input.name ?? null, at })
    if (created) await insertConsentRecord(tx, { workspaceId, contactId: ensured.id, source: 'api', ip: null, consentText: null, givenAt: at })
    const contact = (await lockContact(tx, { workspaceId, contactId: ensured.id }))!
    const event = await insertContactEvent(tx, { workspaceId, contactId: contact.id, type: 'event', name: input.type, properties: input.properties ?? {}, eventKey, occurredAt: at })
    if (!event) {
      // A concurrent request with the same eventId committed first.
      const existing = await findEventByKey(tx, { workspaceId, eventKey: eventKey! })
      return { event: existing!, duplicate: true, contactId: existing!.contactId }
    }
    const { points } = await scoreActivity(tx, { contact, activity: { type: 'event', name: input.type }, eventId: event.id, halfLifeDays, at })
    return { event: { ...event, scoreDelta: points }, duplicate: false, contactId: contact.id }
  })
}

/**
 * A signup through a form: the contact is created `pending` (or kept as it is), the consent is
 * recorded with the text shown and the IP, and the double opt-in email is queued (job
 * `signup-confirmation`, jobs/signup-confirmation.ts): the public request never waits for SMTP.
 * Suppressed addresses get nothing (the page says the same either way, so it reveals nothing).
 */
/**
 * A signup on a hosted or embedded form. A new or pending address, and one that unsubscribed earlier
 * (signing up again is a fresh request), gets a double opt-in email; nothing changes until its owner
 * confirms. An address that bounced or complained is never mailed again: the form says so
 * (`undeliverable`) instead of promising an email that would not come.
 */
export async function signUpThroughForm(
  services: Services,
  args: { form: SignupForm; email: string; name: string | null; ip: string | null },
): Promise<{ outcome: 'confirmation_sent'; contactId: string; consentId: string } | { outcome: 'undeliverable' }> {
  const { form } = args
  const at = services.clock.now()
  const db = services.database.db
  await requireEmailSettings(db, form.workspaceId)
  const signup = await db.transaction(async (tx) => {
    const { contact } = await ensureContact(tx, { workspaceId: form.workspaceId, email: args.email, name: args.name, status: 'pending', at })
    const mail = await mailability(tx, { workspaceId: form.workspaceId, contact })
    if (mail.neverAgain) return null
    const consent = await insertConsentRecord(tx, {
      workspaceId: form.workspaceId,
      contactId: contact.id,
      source: `form:${form.id}`,
      ip: args.ip,
      consentText: form.consentText,
      givenAt: at,
    })
    return { contactId: contact.id, consentId: consent.id }
  })
  if (!signup) return { outcome: 'undeliverable' }
  await enqueueSignupConfirmation(services.jobs.agenda, { workspaceId: form.workspaceId, ...signup, runAt: at })
  return { outcome: 'confirmation_sent', ...signup }
}

/**
 * The double opt-in email of one consent record (the `signup-confirmation` job runs this). A
 * suppressed or no longer pending contact gets nothing; SMTP failures are thrown for the job to retry.
 */
export async function sendSignupConfirmation(services: Services, args: { workspaceId: string; contactId: string; consentId: string }): Promise<{ sent: boolean }> {
  const confirmUrl = signedEmailUrl(services, 'confirm', args)
  try {
    await sendToContact(services, {
      workspaceId: args.workspaceId,
      contactId: args.contactId,
      purpose: 'confirmation',
      idempotencyKey: `confirm:${args.consentId}`,
      values: { confirm_url: confirmUrl },
      template: {
        subject: 'Please confirm your subscription',
        markdown: 'Hi {{ first_name | "there" }},\n\nplease confirm that you want to receive our emails:\n\n[Yes, subscribe me]({{ confirm_url }})\n\nIf you did not sign up, ignore this email and you will hear nothing more from us.',
      },
    })
    return { sent: true }
  } catch (error) {
    if (error instanceof SuppressedError) return { sent: false }
    throw error
  }
}

/** The double opt-in link: confirm the consent record and subscribe the contact (once; later clicks change nothing). */
export async function confirmSignup(services: Services, args: { claims: LinkClaims; form: { tags: string[] } | null }): Promise<Contact | null> {
  const { workspaceId, contactId, consentId } = args.claims
  if (!consentId) return null
  const at = services.clock.now()
  return services.database.db.transaction(async (tx) => {
    const contact = await lockContact(tx, { workspaceId, contactId })
    if (!contact) return null
    const consent = await confirmConsentRecord(tx, { workspaceId, contactId, consentId, at })
    if (!consent) return null
    if (contact.status !== 'pending' && contact.status !== 'unsubscribed') return contact
    // Confirming a signup made after the unsubscribe lifts it (never a bounce or complaint); an older
    // link, clicked again, does not.
    if (contact.status === 'unsubscribed') {
      const mail = await mailability(tx, { workspaceId, contact })
      if (mail.neverAgain) return contact
      const unsubscribedAt = mail.suppression?.createdAt ?? contact.updatedAt
      if (consent.givenAt <= unsubscribedAt) return contact
      await liftUnsubscribe(tx, { workspaceId, email: contact.email })
    }
    const tags = [...new Set([...contact.tags, ...(args.form?.tags ?? [])])]
    return updateContact(tx, { workspaceId, contactId, patch: { status: 'subscribed', tags }, at })
  })
}

/**
 * Hard bounces from an inbound DSN suppress their addresses and are recorded as a `bounced` event of
 * the last email sent to the address (its drip step counts the bounce; once per sent email); soft ones
 * (a temporary failure or a delay) are recorded as `soft_bounced` events of that email (once per email)
 * and suppress nothing. Then the bounce triggers (decision 096): `bounced`, and `soft_bounced` with the
 * contact's count of soft bounces (a "soft bounce 3 times" trigger enrolls at the third).
 */
export async function applyDsn(services: Services, args: { workspaceId: string; recipients: DsnRecipient[] }) {
  const at = services.clock.now()
  const suppressed: string[] = []
  const hard = args.recipients.filter((r) => r.hard)
  const soft = args.recipients.filter(isSoftBounce)
  const recorded: Array<{ contactId: string; activity: RecordedActivity }> = []
  await services.database.db.transaction(async (tx) => {
    for (const r of hard) {
      const detail = `DSN ${r.status}${r.diagnostic ? `: ${r.diagnostic}` : ''}`
      await suppressAddress(tx, { workspaceId: args.workspaceId, email: r.recipient, reason: 'hard_bounce', detail, at })
      const sent = await findLatestSent(tx, { workspaceId: args.workspaceId, email: r.recipient })
      if (sent) {
        const event = await insertContactEvent(tx, {
          workspaceId: args.workspaceId,
          contactId: sent.contactId,
          type: 'bounced',
          eventKey: `bounced:dsn:${sent.id}`,
          properties: { source: 'dsn', status: r.status, diagnostic: r.diagnostic },
          sequenceId: sent.sequenceId,
          enrollmentId: sent.enrollmentId,
          stepId: sent.stepId,
          occurredAt: at,
        })
        if (event) recorded.push({ contactId: sent.contactId, activity: { activity: 'bounced', eventId: event.id, sequenceId: sent.sequenceId, stepId: sent.stepId } })
      }
      suppressed.push(r.recipient)
    }
    for (const r of soft) {
      const sent = await findLatestSent(tx, { workspaceId: args.workspaceId, email: r.recipient })
      if (!sent) continue
      const event = await insertContactEvent(tx, {
        workspaceId: args.workspaceId,
        contactId: sent.contactId,
        type: 'soft_bounced',
        eventKey: `soft_bounced:dsn:${sent.id}`,
        properties: { source: 'dsn', action: r.action, status: r.status, diagnostic: r.diagnostic },
        sequenceId: sent.sequenceId,
        enrollmentId: sent.enrollmentId,
        stepId: sent.stepId,
        occurredAt: at,
      })
      if (!event) continue
      const count = await countContactEvents(tx, { workspaceId: args.workspaceId, contactId: sent.contactId, type: 'soft_bounced' })
      recorded.push({ contactId: sent.contactId, activity: { activity: 'soft_bounced', eventId: event.id, sequenceId: sent.sequenceId, stepId: sent.stepId, count } })
    }
  })
  emailBounces.inc({ source: 'dsn' }, hard.length)
  for (const r of recorded) await onEmailActivity(services, { workspaceId: args.workspaceId, contactId: r.contactId, activities: [r.activity] })
  return { suppressed, ignored: args.recipients.filter((r) => !r.hard).map((r) => r.recipient) }
}

/** Store the workspace's sender: SMTP settings as an `email` account (sealed by the vault) plus the email settings row. */
export async function saveSender(
  services: Services,
  args: { workspaceId: string; fromName: string; fromEmail: string; replyTo: string | null; postalAddress: string; smtp: SmtpSettings },
): Promise<EmailSettings> {
  const host = SmtpHostSchema.safeParse(args.smtp.host)
  if (!host.success) throw new InputError('host', host.error.issues[0]!.message)
  const db = services.database.db
  const fromEmail = args.fromEmail.toLowerCase()
  const account = await connectAccount(db, {
    workspaceId: args.workspaceId,
    kind: 'email',
    remoteAccountId: fromEmail,
    handle: fromEmail,
    displayName: args.fromName,
    credentials: smtpCredentials({ ...args.smtp, host: host.data }),
    keyring: services.keyring,
    clock: services.clock,
  })
  return saveEmailSettings(db, {
    workspaceId: args.workspaceId,
    fromName: args.fromName,
    fromEmail,
    replyTo: args.replyTo,
    postalAddress: args.postalAddress,
    senderAccountId: account.id,
    at: services.clock.now(),
  })
}
