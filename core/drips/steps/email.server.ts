import { isEmailBounce } from '../../../connectors/email/index'
import { insertContactEvent } from '../../../db/queries/events'
import { suppressAddress } from '../../../db/queries/suppression'
import { campaignSlug, stepContent } from '../../../domain/links/utm'
import { emailBounces, emailsSent } from '../../metrics.server'
import { onEmailActivity } from '../activity-triggers.server'
import type { SendStepKind } from './types'

/** The email step (the default kind): composed with tracked links, sent through the workspace's sender; a hard bounce suppresses the address. */
export const emailStep: SendStepKind = {
  name: 'email',
  // A duplicate after a crash keeps its original's Message-ID; the window bounds how many (decision 099).
  concurrentSends: true,
  handles: (step) => !step.content.action && !step.content.sms && !step.content.mail,
  async prepare(_deps, { sender }) {
    return { ready: { kind: emailStep, credentials: sender.credentials } }
  },
  render(deps, item) {
    const step = item.drip.steps[item.position]!
    const e = item.enrollment
    const email = deps.compose({
      settings: item.sender.settings,
      contact: e.contact,
      template: step.content.email ?? { subject: step.content.parts[0]?.text.slice(0, 80) ?? '', markdown: step.content.parts.map((p) => p.text).join('\n\n') },
      claims: { workspaceId: e.workspaceId, contactId: e.contactId, sequenceId: e.sequenceId, enrollmentId: e.id, stepId: step.id },
      utm: item.drip.drip.shortLinks ? { source: 'email', medium: 'email', campaign: campaignSlug(item.drip.drip.name), content: stepContent(item.position) } : undefined,
    })
    return { parts: [], email }
  },
  async publish(deps, { item, content, idempotencyKey }) {
    const result = await deps.email.publish({ credentials: item.channel.credentials, idempotencyKey, content })
    emailsSent.inc()
    return result
  },
  refusal: (error) => ({ hardBounce: isEmailBounce(error), refused: null }),
  async suppress(deps, { item, error, at }) {
    if (!isEmailBounce(error)) return
    const e = item.enrollment
    const step = item.drip.steps[item.position]!
    const event = await deps.db.transaction(async (tx) => {
      await suppressAddress(tx, { workspaceId: e.workspaceId, email: e.contact.email, reason: 'hard_bounce', detail: error.smtpResponse, at })
      return insertContactEvent(tx, { workspaceId: e.workspaceId, contactId: e.contactId, type: 'bounced', properties: { source: 'smtp', response: error.smtpResponse }, sequenceId: e.sequenceId, enrollmentId: e.id, stepId: step.id, occurredAt: at })
    })
    emailBounces.inc({ source: 'smtp' })
    // The bounce triggers (decision 096), once committed.
    if (event) await onEmailActivity({ database: { db: deps.db }, clock: deps.clock }, { workspaceId: e.workspaceId, contactId: e.contactId, activities: [{ activity: 'bounced', eventId: event.id, sequenceId: e.sequenceId, stepId: step.id }] })
  },
}
