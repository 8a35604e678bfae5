/**
 * Delivery status notifications (RFC 3464). Reads the per-recipient fields out of a
 * `message/delivery-status` part (or a whole `multipart/report` message: the fields are found by name)
 * and says which recipients bounced hard: `Action: failed` with a permanent `5.x.x` status.
 */

export type DsnRecipient = { recipient: string; action: string; status: string; diagnostic: string | null; hard: boolean }

export function parseDsn(text: string): DsnRecipient[] {
  // Unfold continuation lines, then split into blank-line separated field groups.
  const unfolded = text.replace(/\r\n/g, '\n').replace(/\n[ \t]+/g, ' ')
  const recipients: DsnRecipient[] = []
  for (const block of unfolded.split(/\n\s*\n/)) {
    const fields = new Map<string, string>()
    for (const line of block.split('\n')) {
      const m = /^([A-Za-z-]+):\s*(.*)$/.exec(line)
      if (m) fields.set(m[1]!.toLowerCase(), m[2]!.trim())
    }
    const final = fields.get('final-recipient') ?? fields.get('original-recipient')
    const action = fields.get('action')
    if (!final || !action) continue
    const recipient = (final.includes(';') ? final.slice(final.indexOf(';') + 1) : final).trim().replace(/^<|>$/g, '').toLowerCase()
    const status = (fields.get('status') ?? '').split(/\s/)[0] ?? ''
    recipients.push({
      recipient,
      action: action.toLowerCase(),
      status,
      diagnostic: fields.get('diagnostic-code') ?? null,
      hard: action.toLowerCase() === 'failed' && /^5\.\d{1,3}\.\d{1,3}$/.test(status),
    })
  }
  return recipients
}

/** A soft bounce: delivery failed or was delayed for a temporary reason (not a hard bounce, not a success). */
export function isSoftBounce(r: DsnRecipient): boolean {
  return !r.hard && (r.action === 'failed' || r.action === 'delayed')
}

/** A hard bounce from an SMTP reply: a 5xx code (an enhanced 5.x.x status, when given, must agree). */
export function isHardBounceReply(args: { responseCode?: number; response?: string }): boolean {
  if (!args.responseCode || args.responseCode < 500 || args.responseCode > 599) return false
  const enhanced = /\b([245])\.\d{1,3}\.\d{1,3}\b/.exec(args.response ?? '')
  return !enhanced || enhanced[1] === '5'
}
