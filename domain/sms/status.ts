/**
 * Twilio's message status callbacks (docs/decisions/081-sms-step.md) applied to an SMS delivery.
 * Statuses only move forward: queued/accepted/scheduled → sending → sent → delivered | undelivered |
 * failed (read and received are WhatsApp / inbound). A late `sent` after `delivered` changes nothing.
 */

export const SMS_STATUSES = ['accepted', 'scheduled', 'queued', 'sending', 'sent', 'delivered', 'undelivered', 'failed'] as const
export type SmsStatus = (typeof SMS_STATUSES)[number]

const RANK: Record<SmsStatus, number> = { accepted: 0, scheduled: 0, queued: 1, sending: 2, sent: 3, delivered: 4, undelivered: 4, failed: 4 }

export function isSmsStatus(s: string): s is SmsStatus {
  return (SMS_STATUSES as readonly string[]).includes(s)
}

/**
 * What a callback with `next` does to a delivery whose provider status is `current`: nothing (older or
 * equal news), or the new provider status and, for undelivered / failed, the delivery's failure.
 */
export function applySmsStatus(args: { current: string | null; next: SmsStatus; errorCode?: string | null }):
  | { change: false }
  | { change: true; providerStatus: SmsStatus; failed: null | { error: string; errorKind: string } } {
  const current = args.current && isSmsStatus(args.current) ? args.current : null
  if (current && RANK[args.next] <= RANK[current]) return { change: false }
  if (args.next === 'undelivered' || args.next === 'failed') {
    const code = args.errorCode ? ` (error ${args.errorCode})` : ''
    return { change: true, providerStatus: args.next, failed: { error: `carrier reported ${args.next}${code}`, errorKind: args.errorCode === '21610' ? 'sms_opted_out' : `sms_${args.next}` } }
  }
  return { change: true, providerStatus: args.next, failed: null }
}
