import { randomBytes } from 'node:crypto'
import * as mimeFuncs from 'nodemailer/lib/mime-funcs'
import MimeNode from 'nodemailer/lib/mime-node'
import * as qp from 'nodemailer/lib/qp'
import type { EmailContent } from '../types'

/**
 * The MIME message of an email, built here instead of by nodemailer's MailComposer (decision 117), byte
 * for byte what nodemailer builds for the connector's `sendMail` call (but the random boundary and the
 * Date): the message goes to nodemailer as `raw`, so its pool, DKIM signing, SMTP and errors are
 * unchanged. nodemailer builds every message from scratch as a tree of nodes, each streamed through
 * encoder streams; here the lines that are the same for every message of a sender (From, Reply-To,
 * List-Unsubscribe-Post, the parts' headers) are made once and kept, and per message only what differs
 * (To, Subject, Message-ID, List-Unsubscribe, Date, the two bodies) is encoded, with nodemailer's own
 * functions (header values, line folding, quoted-printable).
 *
 * Only the shape the connector sends is built here: a text and an HTML body, each 7bit or
 * quoted-printable and under 64 KiB, http(s)/mailto unsubscribe links. `buildMessage` returns null for
 * anything else (a body nodemailer would send as base64, an empty part, a stray character in a link),
 * and the connector lets nodemailer build that message as before. test/email/mime-build.test.ts compares
 * both paths byte for byte.
 */

/** What the connector sends (its listUnsubscribe on one List-Unsubscribe line, with List-Unsubscribe-Post: RFC 8058), and its Message-ID. */
export type MessageInput = EmailContent & { messageId: string }

/** What nodemailer's `sendMail` takes for a prebuilt message. */
export type BuiltMessage = { raw: string; envelope: { from: string; to: string[] } }

/** One node to encode header values with, as nodemailer's root node does (no `textEncoding` set). */
const headerNode = new MimeNode()
const line = (key: string, value: string | { name: string; address: string }) => mimeFuncs.foldLines(`${key}: ${headerNode.encodeHeaderValue(key, value)}`, 76)

/** The lines a sender's messages share, made once per (from, reply-to). */
type SenderLines = { from: string; replyTo: string }
const senders = new Map<string, SenderLines>()
function senderLines(input: MessageInput): SenderLines {
  const key = `${input.from.name ?? ''}\u0000${input.from.address}\u0000${input.replyTo ?? ''}`
  let lines = senders.get(key)
  if (!lines) {
    // nodemailer gets `{ name, address }` when there is a name, the bare address otherwise (connectors/email/index.ts).
    lines = { from: line('From', input.from.name ? { name: input.from.name, address: input.from.address } : input.from.address), replyTo: input.replyTo ? `\r\n${line('Reply-To', input.replyTo)}` : '' }
    if (senders.size >= 1000) senders.clear()
    senders.set(key, lines)
  }
  return lines
}

const UNSUBSCRIBE_POST = mimeFuncs.foldLines('List-Unsubscribe-Post: List-Unsubscribe=One-Click', 76)
const MIME_VERSION = 'MIME-Version: 1.0'
/** A part's header block (MailComposer's text/plain and text/html nodes), by transfer encoding. */
const partHeaders = (type: 'text/plain' | 'text/html', encoding: '7bit' | 'quoted-printable') =>
  `${mimeFuncs.foldLines(`Content-Type: ${mimeFuncs.buildHeaderValue({ value: type, params: { charset: 'utf-8' } })}`, 76)}\r\n${mimeFuncs.foldLines(`Content-Transfer-Encoding: ${encoding}`, 76)}`
const PART_HEADERS = {
  'text/plain': { '7bit': partHeaders('text/plain', '7bit'), 'quoted-printable': partHeaders('text/plain', 'quoted-printable') },
  'text/html': { '7bit': partHeaders('text/html', '7bit'), 'quoted-printable': partHeaders('text/html', 'quoted-printable') },
}

/** nodemailer's qp.Encoder encodes its input in slices of this many bytes; a part up to this size is one slice. */
const ENCODE_SLICE_SIZE = 64 * 1024

/** A text part's transfer encoding as MimeNode decides it; null where it would be base64. */
function transferEncoding(content: string): '7bit' | 'quoted-printable' | null {
  if (mimeFuncs.isPlainText(content) && !mimeFuncs.hasLongerLines(content, 76)) return '7bit'
  // MimeNode._getTextEncoding: quoted-printable when latin letters outnumber the 8-bit and control characters.
  let other = 0
  let latin = 0
  for (let i = 0; i < content.length; i++) {
    const code = content.charCodeAt(i)
    if (code <= 0x08 || code === 0x0b || code === 0x0c || (code >= 0x0e && code <= 0x1f) || code >= 0x80) other++
    else if ((code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a)) latin++
  }
  return other < latin ? 'quoted-printable' : null
}

/**
 * Quoted-printable as nodemailer's qp.Encoder writes a part it gets in one chunk: the trailing spaces
 * and tabs are held back and encoded after the rest, each slice wrapped with the last line carried over.
 */
function quotedPrintable(bytes: Buffer): string {
  let end = bytes.length
  while (end > 0 && (bytes[end - 1] === 0x20 || bytes[end - 1] === 0x09)) end--
  let out = ''
  let carried = ''
  const slice = (part: Buffer) => {
    const wrapped = qp.wrap(carried + qp.encode(part), 76)
    const lastLf = wrapped.lastIndexOf('\n')
    carried = wrapped.substring(lastLf + 1)
    out += wrapped.substring(0, lastLf + 1)
  }
  if (end > 0) slice(bytes.subarray(0, end))
  if (end < bytes.length) slice(bytes.subarray(end))
  return out + carried
}

function part(type: 'text/plain' | 'text/html', content: string): string | null {
  const encoding = transferEncoding(content)
  if (!encoding) return null
  if (encoding === '7bit') return `${PART_HEADERS[type][encoding]}\r\n\r\n${content}`
  const bytes = Buffer.from(content, 'utf8')
  if (bytes.length > ENCODE_SLICE_SIZE) return null
  return `${PART_HEADERS[type][encoding]}\r\n\r\n${quotedPrintable(bytes)}`
}

/** An unsubscribe URI nodemailer writes as `<uri>` unchanged: an http(s) or mailto scheme, nothing it would strip. */
// eslint-disable-next-line no-control-regex -- the characters nodemailer strips from a list URL
const LIST_URI = /^(https?|mailto):[^\s<>\x00-\x1f\x7f]*$/

/** The message as nodemailer would build it for the connector's `sendMail` call; null: let nodemailer build it. */
export function buildMessage(input: MessageInput, now: Date = new Date()): BuiltMessage | null {
  if (!input.html || !input.text) return null
  const list = input.listUnsubscribe
  const uris = list ? [list.url, ...(list.mailto ? [list.mailto] : [])] : []
  if (!uris.every((uri) => LIST_URI.test(uri))) return null
  const text = part('text/plain', input.text)
  const html = text && part('text/html', input.html)
  if (!text || !html) return null
  const sender = senderLines(input)
  // MimeNode's root boundary: its prefix, 8 random bytes, the node's number (1: the multipart/alternative root).
  const boundary = `--_NmP-${randomBytes(8).toString('hex')}-Part_1`
  // nodemailer's order: the custom header, From, To, Reply-To, Subject, Message-ID, the list header, Date, MIME-Version, Content-Type.
  const head = [
    ...(list ? [UNSUBSCRIBE_POST] : []),
    sender.from,
    line('To', input.to) + sender.replyTo,
    line('Subject', input.subject),
    line('Message-ID', input.messageId),
    ...(list ? [mimeFuncs.foldLines(`List-Unsubscribe: ${uris.map((uri) => `<${uri}>`).join(', ')}`)] : []),
    line('Date', now.toUTCString().replace(/GMT/, '+0000')),
    MIME_VERSION,
    mimeFuncs.foldLines(`Content-Type: ${mimeFuncs.buildHeaderValue({ value: 'multipart/alternative', params: { boundary } })}`, 76),
  ].join('\r\n')
  const raw = `${head}\r\n\r\n--${boundary}\r\n${text}\r\n--${boundary}\r\n${html}\r\n--${boundary}--\r\n`
  // nodemailer normalises the envelope's addresses as it does the headers' (setEnvelope).
  return { raw, envelope: { from: input.from.address, to: [input.to] } }
}
