import { smsRecipientRefusal } from '../../../connectors/sms/index'
import { ConnectorError } from '../../../connectors/types'
import { insertContactEvent } from '../../../db/queries/events'
import { suppressPhone } from '../../../db/queries/sms'
import { contactScope, renderTemplate } from '../../../domain/email/liquid'
import { smsSkipReason } from '../../../domain/sms/eligibility'
import { smsSent } from '../../metrics.server'
import { smsSenderFor, type SmsSender } from '../../sms.server'
import type { SendStepKind } from './types'

/**
 * The SMS step (docs/decisions/081-sms-step.md): no phone, consent or an opted-out number skips it with
 * the reason; no SMS set-up waits; a carrier opt-out (21610) suppresses the number for SMS only.
 */
export const smsStep: SendStepKind = {
  name: 'sms',
  markChannel: 'sms',
  blockedReason: 'no SMS consent or opted out of SMS',
  handles: (step) => !!step.content.sms,
  async prepare(deps, { enrollment, cache }) {
    const key = `sms:${enrollment.workspaceId}`
    let sender = cache.get(key) as SmsSender | undefined
    if (!sender) cache.set(key, (sender = await smsSenderFor(deps, { workspaceId: enrollment.workspaceId })))
    if ('problem' in sender) return { wait: sender.problem }
    const c = enrollment.contact
    const reason = smsSkipReason({ phone: c.phone, smsConsentAt: c.smsConsentAt, smsSuppressed: enrollment.smsSuppressed })
    return reason ? { skip: reason } : { ready: { kind: smsStep, credentials: sender.credentials } }
  },
  render(deps, item) {
    const step = item.drip.steps[item.position]!
    const e = item.enrollment
    const body = renderTemplate(step.content.sms!.text, { scope: { contact: contactScope(e.contact) }, output: (v) => v }).trim()
    return { parts: [], sms: { to: e.contact.phone ?? '', body, statusCallback: deps.smsStatusUrl?.(e.workspaceId) } }
  },
  async publish(deps, { item, content, idempotencyKey }) {
    if (!deps.sms) throw new ConnectorError('disconnected', 'the SMS connector is not configured')
    const result = await deps.sms.publish({ credentials: item.channel.credentials, idempotencyKey, content })
    smsSent.inc()
    return result
  },
  refusal: (_error, err) => ({ hardBounce: false, refused: smsRecipientRefusal(err) }),
  async suppress(deps, { item, err, refusal, at }) {
    const e = item.enrollment
    const phone = e.contact.phone
    if (refusal.refused !== 'opted_out' || !phone) return
    const step = item.drip.steps[item.position]!
    await deps.db.transaction(async (tx) => {
      await suppressPhone(tx, { workspaceId: e.workspaceId, phone, reason: 'carrier_opt_out', detail: err.message.slice(0, 300), at })
      await insertContactEvent(tx, { workspaceId: e.workspaceId, contactId: e.contactId, type: 'sms_opted_out', properties: { source: 'twilio', code: err.detail?.code ?? null }, sequenceId: e.sequenceId, enrollmentId: e.id, stepId: step.id, occurredAt: at })
    })
  },
}
