import { createHash } from 'node:crypto'
import net from 'node:net'
import nodemailer from 'nodemailer'
import type { Transporter } from 'nodemailer'
import { isHardBounceReply } from '../../domain/email/dsn'
import { ADDRESS_NOT_ALLOWED, createNetGuard, isAddressNotAllowed, SERVER_UNREACHABLE } from '../net-guard'
import { buildMessage } from './mime'
import { ConnectorError, type ChannelContent, type Connector, type ContentProblem, type Credentials, type PublishArgs, type PublishResult } from '../types'

/**
 * Email as one more connector: SMTP through nodemailer's pooled transport. The sending account's SMTP
 * settings travel in its (vault-sealed) credentials: the password as `accessToken`, the rest in `extra`
 * (see `smtpCredentials`). One pool per distinct SMTP setting is kept open and reused.
 */

export type SmtpSettings = {
  host: string
  port: number
  /** `tls`: implicit TLS (465); `starttls`: upgrade required; `none`: plain (loopback/testing only). */
  security: 'tls' | 'starttls' | 'none'
  user?: string
  password?: string
  /** Skip certificate checks (self-signed relays); never on the public internet. */
  allowSelfSigned?: boolean
  dkim?: { domainName: string; keySelector: string; privateKey: string }
}

export type EmailConnectorConfig = {
  /** Connections per SMTP setting (nodemailer `maxConnections`); default 5. */
  maxConnections?: number
  /** Messages per connection before it is recycled; default unlimited (smtp-server delays each new greeting). */
  maxMessages?: number
  /** Per-connection socket timeout in ms; default 60 s. */
  socketTimeoutMs?: number
  /** How long opening a connection may take, in ms; default 30 s. */
  connectTimeoutMs?: number
  /**
   * Allow SMTP servers on loopback, private and link-local addresses (ALLOW_PRIVATE_NETWORK_HOSTS: local
   * development and tests). Every connection goes through connectors/net-guard.ts; this only turns its
   * address check off.
   */
  allowPrivateNetworkHosts?: boolean
  /**
   * Build the MIME message here (connectors/email/mime.ts, decision 117) and hand it to nodemailer as `raw`;
   * default true. false: nodemailer's MailComposer builds every message (the same bytes, more CPU).
   */
  buildMime?: boolean
}

/** The header fields a DKIM signature covers (those present in the message): RFC 6376's list plus RFC 8058's one-click unsubscribe pair. */
export const DKIM_SIGNED_HEADERS =
  'From:Sender:Reply-To:Subject:Date:Message-ID:To:Cc:MIME-Version:Content-Type:Content-Transfer-Encoding:In-Reply-To:References:List-Id:List-Unsubscribe:List-Unsubscribe-Post'

/** Store SMTP settings as account credentials (the vault seals them as a whole). */
export function smtpCredentials(settings: SmtpSettings): Credentials {
  const extra: Record<string, string> = { host: settings.host, port: String(settings.port), security: settings.security }
  if (settings.user) extra.user = settings.user
  if (settings.allowSelfSigned) extra.allowSelfSigned = 'true'
  if (settings.dkim) Object.assign(extra, { dkimDomain: settings.dkim.domainName, dkimSelector: settings.dkim.keySelector, dkimPrivateKey: settings.dkim.privateKey })
  // The vault requires a non-empty token; without `user` the password is never read.
  return { accessToken: settings.password || 'none', extra }
}

/**
 * An SMTP host as the sender form takes it: a DNS name or an IP address (IPv6 bare or in brackets),
 * nothing else (no scheme, port, path, spaces or line breaks). Which addresses may be reached is the
 * net guard's decision, at connection time.
 */
export function isSmtpHost(host: string): boolean {
  if (host.length === 0 || host.length > 253) return false
  if (net.isIP(host.replace(/^\[(.*)\]$/, '$1'))) return true
  return /^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*\.?$/i.test(host)
}

export function smtpSettingsOf(credentials: Credentials): SmtpSettings {
  const extra = credentials.extra ?? {}
  const port = Number(extra.port)
  if (!extra.host || !Number.isInteger(port) || port < 1 || port > 65535) throw new ConnectorError('disconnected', 'The sender’s SMTP settings are incomplete (host, port): edit the sender')
  if (!isSmtpHost(extra.host)) throw new ConnectorError('disconnected', 'The sender’s SMTP host is not a host name or IP address: edit the sender')
  const security = extra.security === 'tls' || extra.security === 'none' ? extra.security : 'starttls'
  const settings: SmtpSettings = { host: extra.host, port, security }
  if (extra.user) Object.assign(settings, { user: extra.user, password: credentials.accessToken })
  if (extra.allowSelfSigned === 'true') settings.allowSelfSigned = true
  if (extra.dkimDomain && extra.dkimSelector && extra.dkimPrivateKey) {
    settings.dkim = { domainName: extra.dkimDomain, keySelector: extra.dkimSelector, privateKey: extra.dkimPrivateKey }
  }
  return settings
}

/** The same key always gives the same Message-ID, so a re-sent (enrollment, step) is recognisably the same message. */
export function messageIdFor(args: { idempotencyKey: string; fromAddress: string }): string {
  const domain = args.fromAddress.split('@')[1]?.toLowerCase() || 'trickle.invalid'
  const hash = createHash('sha256').update(args.idempotencyKey).digest('hex').slice(0, 32)
  return `<${hash}.trickle@${domain}>`
}

/** A permanent rejection of the recipient: suppress the address. */
export class EmailBounceError extends ConnectorError {
  override name = 'EmailBounceError'
  constructor(
    readonly recipient: string,
    readonly smtpResponse: string,
    responseCode: number,
  ) {
    super('invalid-content', `The receiving server rejected ${recipient} permanently: ${smtpResponse}`, { detail: { status: responseCode, code: 'hard_bounce' } })
  }
}

export function isEmailBounce(error: unknown): error is EmailBounceError {
  return error instanceof EmailBounceError
}

type SmtpError = Error & { code?: string; command?: string; responseCode?: number; response?: string; rejected?: string[] }

/** SMTP commands after which the message provably was not accepted (nothing was handed over yet). */
const BEFORE_DATA = /^(CONN|EHLO|HELO|LHLO|STARTTLS|AUTH|MAIL FROM|RCPT TO)/i

/**
 * What an SMTP failure means. A reply code is the server's answer and settles the outcome (4xx: not
 * accepted, try later; 5xx: refused). Without one (the connection dropped, timed out), the message may
 * have been accepted once any of it was handed over (`handedOver`: DATA began): `unknown-outcome`.
 */
export function classifySmtpError(error: SmtpError, recipient: string, options: { handedOver?: boolean } = {}): ConnectorError {
  const detail = { status: error.responseCode, code: error.code }
  // Nothing was sent: the server's address is refused (a person must change the sender's settings).
  if (isAddressNotAllowed(error)) return new ConnectorError('disconnected', `The SMTP server: ${ADDRESS_NOT_ALLOWED}`, { detail: { code: 'EADDRNOTALLOWED' }, cause: error })
  if (error.code === 'EAUTH') return new ConnectorError('auth', `SMTP authentication failed: ${error.response ?? error.message}`, { detail, cause: error })
  if (error.responseCode && error.responseCode >= 500 && /RCPT/i.test(error.command ?? '') && isHardBounceReply(error)) {
    return new EmailBounceError(recipient, error.response ?? error.message, error.responseCode)
  }
  if (error.responseCode && error.responseCode >= 400 && error.responseCode < 500) {
    return new ConnectorError('transient', `The SMTP server deferred the message: ${error.response ?? error.message}`, { detail, cause: error })
  }
  if (error.responseCode && error.responseCode >= 500) {
    return new ConnectorError('invalid-content', `The SMTP server refused the message: ${error.response ?? error.message}`, { detail, cause: error })
  }
  if (options.handedOver) {
    return new ConnectorError('unknown-outcome', `The connection failed after the message was handed over: ${error.message}`, { detail, cause: error })
  }
  // Before the server's greeting: one message whatever happened, so it never tells an open port from a closed one.
  if (error.code === 'ECONNECTION' || error.code === 'EDNS' || /^CONN/i.test(error.command ?? '')) {
    return new ConnectorError('transient', `The SMTP server: ${SERVER_UNREACHABLE}`, { detail, cause: error })
  }
  if (error.code === 'ETLS' || BEFORE_DATA.test(error.command ?? '')) {
    return new ConnectorError('transient', `Could not reach the SMTP server: ${error.message}`, { detail, cause: error })
  }
  return new ConnectorError('unknown-outcome', `The connection failed while the message was being sent: ${error.message}`, { detail, cause: error })
}

export function validateEmailContent(content: ChannelContent): ContentProblem[] {
  const email = content.email
  if (!email) return [{ path: 'email', message: 'An email step needs a rendered email (subject, HTML and text)' }]
  const problems: ContentProblem[] = []
  const address = /^[^\s@<>]+@[^\s@<>]+$/
  if (!address.test(email.to)) problems.push({ path: 'email.to', message: 'must be an email address' })
  if (!address.test(email.from.address)) problems.push({ path: 'email.from', message: 'must be an email address' })
  if (!email.subject.trim()) problems.push({ path: 'email.subject', message: 'Write a subject line' })
  if (/[\r\n]/.test(email.subject)) problems.push({ path: 'email.subject', message: 'must be one line' })
  if (!email.html.trim() && !email.text.trim()) problems.push({ path: 'email.html', message: 'Write the message body' })
  if (email.listUnsubscribe && !/^https:\/\/|^http:\/\/(127\.0\.0\.1|localhost)[:/]/.test(email.listUnsubscribe.url)) {
    problems.push({ path: 'email.listUnsubscribe.url', message: 'must be an https URL (RFC 8058)' })
  }
  return problems
}

/** The stream nodemailer sends a message from: read only after the server accepted DATA (nodemailer's own test for "nothing was sent"). */
type Handover = { stream?: { readableDidRead?: boolean } }

/**
 * The writes made to a connection in one turn of the event loop go out in one system call (decision 110):
 * nodemailer writes a message as many small chunks (commands, headers, encoded parts, the dot-stuffing
 * stream), each its own write. The first write of a turn corks the socket and `setImmediate` uncorks it:
 * bytes and order are unchanged, and a chunk waits at most until the end of the turn. Under TLS the
 * writes go to the TLS socket above this one and are not held.
 */
export function coalesceWrites(socket: net.Socket): net.Socket {
  const write = socket.write
  let corked = false
  const uncork = () => {
    corked = false
    socket.uncork()
  }
  socket.write = function (this: net.Socket, ...args: Parameters<net.Socket['write']>) {
    if (!corked) {
      corked = true
      socket.cork()
      setImmediate(uncork)
    }
    return write.apply(this, args)
  } as net.Socket['write']
  return socket
}

export type EmailConnector = Connector<'email'> & {
  /** Close every pooled connection (at shutdown and in tests). */
  close(): void
}

export function createEmailConnector(config: EmailConnectorConfig = {}): EmailConnector {
  const pools = new Map<string, Transporter>()
  const guard = createNetGuard({ allowPrivateNetworkHosts: config.allowPrivateNetworkHosts })
  const connectTimeoutMs = config.connectTimeoutMs ?? 30_000

  function transportFor(settings: SmtpSettings): Transporter {
    const key = createHash('sha256').update(JSON.stringify(settings)).digest('hex')
    let transport = pools.get(key)
    if (!transport) {
      transport = nodemailer.createTransport({
        pool: true,
        host: settings.host,
        port: settings.port,
        secure: settings.security === 'tls',
        requireTLS: settings.security === 'starttls',
        ignoreTLS: settings.security === 'none',
        auth: settings.user ? { user: settings.user, pass: settings.password ?? '' } : undefined,
        tls: settings.allowSelfSigned ? { rejectUnauthorized: false } : undefined,
        // The signed header fields are listed explicitly: nodemailer's default leaves out List-Unsubscribe-Post (RFC 8058 wants it signed).
        dkim: settings.dkim ? { ...settings.dkim, headerFieldNames: DKIM_SIGNED_HEADERS } : undefined,
        maxConnections: config.maxConnections ?? 5,
        maxMessages: config.maxMessages ?? Infinity,
        socketTimeout: config.socketTimeoutMs ?? 60_000,
        // Every connection is opened by the net guard (to the address it checked); nodemailer then
        // speaks SMTP on it, with TLS (implicit or STARTTLS) verified against the host name.
        getSocket(_options: object, callback: (error: Error | null, socketOptions?: { connection: net.Socket }) => void) {
          guard.connect({ host: settings.host, port: settings.port, timeoutMs: connectTimeoutMs }).then(
            (socket) => callback(null, { connection: coalesceWrites(socket) }),
            (error: Error) => {
              const refused = isAddressNotAllowed(error)
              const code = refused ? 'EADDRNOTALLOWED' : 'ECONNECTION'
              callback(Object.assign(new Error(refused ? ADDRESS_NOT_ALLOWED : SERVER_UNREACHABLE, { cause: error }), { code, command: 'CONN' }))
            },
          )
        },
      })
      // Remember each message's stream, so a failure can tell whether any of it reached the server.
      transport.use('stream', (mail, done) => {
        const handover = (mail.data as { trickleHandover?: Handover }).trickleHandover
        if (handover) {
          const message = mail.message
          const create = message.createReadStream.bind(message)
          message.createReadStream = (options) => (handover.stream = create(options))
        }
        done()
      })
      pools.set(key, transport)
    }
    return transport
  }

  return {
    kind: 'email',
    displayName: 'Email (SMTP)',
    reads: 'email',
    limits: { maxLength: 1_000_000, maxMediaPerPost: 0, maxThreadLength: 1 },
    validate: validateEmailContent,
    async publish(args: PublishArgs): Promise<PublishResult> {
      const problems = validateEmailContent(args.content)
      if (problems.length > 0) throw new ConnectorError('invalid-content', problems.map((p) => `${p.path}: ${p.message}`).join('; '))
      // A message is one part: when it is known to be out, nothing is sent again.
      const known = args.resume?.partIds[0]
      if (known) return { remoteId: known }
      const email = args.content.email!
      const transport = transportFor(smtpSettingsOf(args.credentials))
      const messageId = messageIdFor({ idempotencyKey: args.idempotencyKey, fromAddress: email.from.address })
      const list = email.listUnsubscribe
      const handover: Handover = {}
      const composed = () => ({
        from: email.from.name ? { name: email.from.name, address: email.from.address } : email.from.address,
        to: email.to,
        replyTo: email.replyTo,
        subject: email.subject,
        html: email.html,
        text: email.text,
        messageId,
        // One List-Unsubscribe header with both URIs (a nested array keeps them on one header line).
        list: list ? { unsubscribe: [[list.url, ...(list.mailto ? [list.mailto] : [])]] } : undefined,
        headers: list ? { 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' } : undefined,
        // Read by the `stream` plugin above (an extra key nodemailer keeps on `mail.data`).
        ...{ trickleHandover: handover },
      })
      try {
        // Built here where it can be (decision 117): the same bytes as nodemailer's, handed over as `raw`.
        const built = config.buildMime === false ? null : buildMessage({ ...email, messageId })
        const info = await transport.sendMail(built ? { envelope: built.envelope, raw: built.raw, messageId, ...{ trickleHandover: handover } } : composed())
        if (info.rejected && info.rejected.length > 0) {
          const reply = (info as { rejectedErrors?: SmtpError[] }).rejectedErrors?.[0]
          throw classifySmtpError(reply ?? Object.assign(new Error(info.response), { command: 'RCPT TO', responseCode: 550, response: info.response }), email.to)
        }
        return { remoteId: messageId }
      } catch (error) {
        if (error instanceof ConnectorError) throw error
        throw classifySmtpError(error as SmtpError, email.to, { handedOver: handover.stream?.readableDidRead === true })
      }
    },
    close() {
      for (const transport of pools.values()) transport.close()
      pools.clear()
    },
  }
}
