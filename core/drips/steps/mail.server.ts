import { ConnectorError } from '../../../connectors/types'
import { isMailConnector } from '../../../connectors/mail/index'
import { recordPostalVerification } from '../../../db/queries/mail'
import { isMailable, type PostalAddress } from '../../../domain/mail/address'
import { contactScope, renderTemplate } from '../../../domain/email/liquid'
import { escapeHtml } from '../../../domain/email/template'
import { mailSenderFor, type MailSender } from '../../mail.server'
import type { SendStepKind } from './types'

/**
 * The direct-mail step (docs/decisions/089-direct-mail-drip-step.md): a postcard or letter through Lob.
 * Before the first piece to an address, Lob verifies it (the verdict is kept on the contact until the
 * address changes); no address or an undeliverable one skips the step with the reason and the enrollment
 * goes on; no Lob set-up, or a verification that could not be made, waits. The piece is created with
 * Lob's `Idempotency-Key` = the delivery's key (enrollment:step), so a repeat after a crash prints nothing new.
 */
export const mailStep: SendStepKind = {
  name: 'mail',
  markChannel: 'mail',
  blockedReason: 'no postal address',
  handles: (step) => !!step.content.mail,
  async prepare(deps, { enrollment, cache }) {
    const key = `mail:${enrollment.workspaceId}`
    let sender = cache.get(key) as MailSender | undefined
    if (!sender) cache.set(key, (sender = await mailSenderFor(deps, { workspaceId: enrollment.workspaceId })))
    if ('problem' in sender) return { wait: sender.problem }
    if (!isMailConnector(deps.mail)) return { wait: 'the direct-mail connector is not configured' }
    const c = enrollment.contact
    if (!c.postalAddress) return { skip: 'no postal address' }
    let verdict = c.postalVerification?.deliverability
    if (!verdict) {
      try {
        verdict = (await deps.mail.verifyAddress({ credentials: sender.credentials, address: c.postalAddress })).deliverability
      } catch (error) {
        return { wait: `address verification: ${(error as Error).message}` }
      }
      const verification = { deliverability: verdict, at: deps.clock.now().toISOString() }
      await recordPostalVerification(deps.db, { workspaceId: enrollment.workspaceId, contactId: c.id, address: c.postalAddress, verification })
      c.postalVerification = verification
    }
    if (!isMailable(verdict)) return { skip: `address ${verdict.replace(/_/g, ' ')} (Lob's verification)` }
    return { ready: { kind: mailStep, credentials: sender.credentials, extra: { returnAddress: sender.returnAddress } } }
  },
  render(_deps, item) {
    const step = item.drip.steps[item.position]!
    const m = step.content.mail!
    const e = item.enrollment
    const html = (source: string | undefined) => (source === undefined ? undefined : renderTemplate(source, { scope: { contact: contactScope(e.contact) }, output: escapeHtml }))
    return {
      parts: [],
      mail: {
        piece: m.piece,
        to: e.contact.postalAddress!,
        from: item.channel.extra!.returnAddress as PostalAddress,
        front: html(m.front),
        back: html(m.back),
        size: m.size,
        file: html(m.file),
        color: m.color,
        metadata: { enrollment: e.id, step: step.id },
      },
    }
  },
  async publish(deps, { item, content, idempotencyKey }) {
    if (!deps.mail) throw new ConnectorError('disconnected', 'the direct-mail connector is not configured')
    return deps.mail.publish({ credentials: item.channel.credentials, idempotencyKey, content })
  },
}
