/**
 * Spam complaints as Abuse Reporting Format reports (RFC 5965): a `multipart/report;
 * report-type=feedback-report` with a human-readable part, a `message/feedback-report` part
 * (Feedback-Type, Original-Rcpt-To, …) and the original message or its headers (`message/rfc822` or
 * `text/rfc822-headers`). Pure: finds what identifies the complainer and the message complained about;
 * the caller decides what it means. Many providers redact the recipient, so the original message's
 * List-Unsubscribe URLs (signed, naming the contact and the step) and Message-ID are returned as well.
 */

export type ArfReport = {
  /** Lower case: `abuse`, `fraud`, `virus`, `other`, `not-spam`, `auth-failure`, … */
  feedbackType: string
  /** Original-Rcpt-To addresses, then the original message's To addresses; lower case, redacted ones dropped. */
  recipients: string[]
  /** The original message's Message-ID, without the angle brackets. */
  messageId: string | null
  /** The http(s) URLs of the original message's List-Unsubscribe header. */
  unsubscribeUrls: string[]
  userAgent: string | null
  arrivalDate: string | null
}

export type ArfResult = { ok: true; report: ArfReport } | { ok: false; field: string; message: string }

/** Does this body (with the request's Content-Type) look like a feedback report rather than a DSN? */
export function isFeedbackReport(args: { contentType: string; text: string }): boolean {
  return /report-type\s*=\s*"?feedback-report/i.test(args.contentType) || /^content-type:\s*message\/feedback-report/im.test(args.text.slice(0, 64 * 1024))
}

type Part = { headers: Map<string, string>; body: string }

export function parseArf(args: { contentType: string; text: string }): ArfResult {
  const text = args.text.replace(/\r\n/g, '\n')
  // The body may be the whole report message (with its own headers) or only its MIME body.
  const top = /^[!-9;-~]+:/.test(text.trimStart()) ? splitHeaders(text.trimStart()) : { headers: new Map<string, string>(), body: text }
  const type = top.headers.get('content-type') ?? args.contentType
  const boundary = /boundary\s*=\s*(?:"([^"]+)"|([^\s;]+))/i.exec(type) ?? /boundary\s*=\s*(?:"([^"]+)"|([^\s;]+))/i.exec(args.contentType)
  if (!boundary) return { ok: false, field: 'Content-Type', message: 'A feedback report must be multipart/report with a boundary' }
  const parts = splitMultipart(top.body, boundary[1] ?? boundary[2]!)
  const feedback = parts.find((p) => mediaType(p) === 'message/feedback-report')
  if (!feedback) return { ok: false, field: 'message/feedback-report', message: 'The report has no message/feedback-report part' }
  const fields = splitHeaders(decode(feedback)).headers
  const feedbackType = fields.get('feedback-type')?.trim().toLowerCase()
  if (!feedbackType) return { ok: false, field: 'Feedback-Type', message: 'The feedback report has no Feedback-Type field' }
  const original = parts.find((p) => ['message/rfc822', 'text/rfc822-headers'].includes(mediaType(p)))
  const originalHeaders = original ? splitHeaders(decode(original)).headers : new Map<string, string>()
  const recipients = [...addressesIn(fields.get('original-rcpt-to') ?? ''), ...addressesIn(originalHeaders.get('to') ?? '')].filter((a) => !isRedacted(a))
  const messageId = /<([^>\s]+)>/.exec(originalHeaders.get('message-id') ?? '')?.[1] ?? null
  const unsubscribeUrls = [...(originalHeaders.get('list-unsubscribe') ?? '').matchAll(/<(https?:\/\/[^>\s]+)>/gi)].map((m) => m[1]!)
  if (recipients.length === 0 && unsubscribeUrls.length === 0 && !messageId) {
    return { ok: false, field: 'Original-Rcpt-To', message: 'The report names no recipient (Original-Rcpt-To, or the original message’s To, List-Unsubscribe or Message-ID)' }
  }
  return {
    ok: true,
    report: {
      feedbackType,
      recipients: [...new Set(recipients)],
      messageId,
      unsubscribeUrls,
      userAgent: fields.get('user-agent')?.trim() ?? null,
      arrivalDate: fields.get('arrival-date')?.trim() ?? fields.get('received-date')?.trim() ?? null,
    },
  }
}

/** Header fields (unfolded, names in lower case; the first occurrence of a name wins) and the body after the blank line. */
function splitHeaders(text: string): { headers: Map<string, string>; body: string } {
  const end = text.search(/\n[ \t]*\n/)
  const head = end < 0 ? text : text.slice(0, end)
  const headers = new Map<string, string>()
  for (const line of head.replace(/\n[ \t]+/g, ' ').split('\n')) {
    const m = /^([!-9;-~]+):[ \t]*(.*)$/.exec(line)
    if (m && !headers.has(m[1]!.toLowerCase())) headers.set(m[1]!.toLowerCase(), m[2]!.trim())
  }
  return { headers, body: end < 0 ? '' : text.slice(end).replace(/^\n[ \t]*\n/, '') }
}

function splitMultipart(body: string, boundary: string): Part[] {
  const delimiter = `--${boundary}`
  const parts: Part[] = []
  const chunks = body.split('\n')
  let current: string[] | null = null
  for (const line of chunks) {
    const trimmed = line.trimEnd()
    if (trimmed === delimiter || trimmed === `${delimiter}--`) {
      if (current) parts.push(splitHeaders(current.join('\n')))
      current = trimmed === delimiter ? [] : null
      if (!current) break
    } else current?.push(line)
  }
  if (current) parts.push(splitHeaders(current.join('\n')))
  return parts
}

function mediaType(part: Part): string {
  return (part.headers.get('content-type') ?? 'text/plain').split(';')[0]!.trim().toLowerCase()
}

function decode(part: Part): string {
  const encoding = part.headers.get('content-transfer-encoding')?.trim().toLowerCase()
  if (encoding === 'base64') return atobText(part.body.replace(/\s+/g, ''))
  if (encoding === 'quoted-printable') return part.body.replace(/=\n/g, '').replace(/=([0-9A-F]{2})/gi, (_, h: string) => String.fromCharCode(parseInt(h, 16)))
  return part.body
}

function atobText(b64: string): string {
  try {
    return new TextDecoder().decode(Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))).replace(/\r\n/g, '\n')
  } catch {
    return ''
  }
}

function addressesIn(value: string): string[] {
  return [...value.matchAll(/[^\s<>,;:"()[\]]+@[^\s<>,;:"()[\]]+\.[^\s<>,;:"()[\]]+/g)].map((m) => m[0].toLowerCase())
}

/** Providers that redact the complainer write e.g. `redacted@example.com` or `xxxxxx@example.com`. */
function isRedacted(address: string): boolean {
  const local = address.slice(0, address.lastIndexOf('@'))
  return local === 'redacted' || /^[x*]+$/i.test(local)
}
