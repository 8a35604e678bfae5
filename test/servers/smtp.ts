import type { AddressInfo } from 'node:net'
import { simpleParser, type ParsedMail } from 'mailparser'
import { SMTPServer, type SMTPServerOptions } from 'smtp-server'

export type CapturedMessage = { envelope: { from: string; to: string[] }; raw: string; parsed: ParsedMail }

/**
 * A failure of the next transaction (then the server behaves again):
 * - `defer`: `451 4.7.1` at MAIL FROM (too many messages: nothing is handed over);
 * - `refuse-data`: the message is read and then refused with `responseCode` (451 try later, 554 refused): not kept;
 * - `reset-after-data`: the message is read and kept, then the connection is reset before the 250 answer;
 * - `hold`: the message is read and kept, and its 250 answer waits until `until` settles (a test's sync point).
 */
export type SmtpFault =
  | { kind: 'defer' }
  | { kind: 'refuse-data'; responseCode: number }
  | { kind: 'reset-after-data' }
  | { kind: 'hold'; until: Promise<unknown> }

export type TestSmtpServer = {
  host: string
  port: number
  messages: CapturedMessage[]
  /** Addresses answered with `550 5.1.1` at RCPT TO (a hard bounce). */
  rejected: Set<string>
  /** Resolves once `count` messages have arrived (rejects after `timeoutMs`). */
  waitForMessages(count: number, timeoutMs?: number): Promise<CapturedMessage[]>
  /** The next transaction fails this way. */
  injectFault(fault: SmtpFault): void
  close(): Promise<void>
}

/**
 * A real SMTP server on loopback (smtp-server) that keeps every accepted message, parsed with
 * mailparser. Plain SMTP (no STARTTLS); with `users`, AUTH PLAIN/LOGIN is required. `port` (default: a
 * free one) lets a server come back where another one was.
 */
export async function startSmtpServer(options: { users?: Record<string, string>; port?: number } = {}): Promise<TestSmtpServer> {
  const messages: CapturedMessage[] = []
  const rejected = new Set<string>()
  const waiters: Array<() => void> = []
  const faults: SmtpFault[] = []
  const takeFault = <K extends SmtpFault['kind']>(kind: K): Extract<SmtpFault, { kind: K }> | undefined =>
    faults[0]?.kind === kind ? (faults.shift() as Extract<SmtpFault, { kind: K }>) : undefined
  const serverOptions: SMTPServerOptions = {
    disabledCommands: options.users ? ['STARTTLS'] : ['STARTTLS', 'AUTH'],
    allowInsecureAuth: true,
    authOptional: !options.users,
    logger: false,
    // Pooled clients keep connections open; do not wait the default 30 s for them at close.
    closeTimeout: 200,
    onAuth(auth, _session, callback) {
      if (options.users && options.users[auth.username ?? ''] === auth.password) return callback(null, { user: auth.username })
      return callback(Object.assign(new Error('535 5.7.8 Authentication credentials invalid'), { responseCode: 535 }))
    },
    onMailFrom(_address, _session, callback) {
      if (takeFault('defer')) return callback(Object.assign(new Error('4.7.1 Too many messages, slow down'), { responseCode: 451 }))
      callback()
    },
    onRcptTo(address, _session, callback) {
      if (rejected.has(address.address.toLowerCase())) {
        return callback(Object.assign(new Error('5.1.1 <' + address.address + '>: Recipient address rejected: User unknown'), { responseCode: 550 }))
      }
      callback()
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = []
      stream.on('data', (c: Buffer) => chunks.push(c))
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8')
        const refuse = takeFault('refuse-data')
        if (refuse) return callback(Object.assign(new Error(`${refuse.responseCode === 451 ? '4.3.0 Local error in processing' : '5.7.1 Message refused'}`), { responseCode: refuse.responseCode }))
        const reset = takeFault('reset-after-data')
        const hold = takeFault('hold')
        simpleParser(raw)
          .then((parsed) => {
            messages.push({
              envelope: {
                from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
                to: session.envelope.rcptTo.map((r) => r.address),
              },
              raw,
              parsed,
            })
            for (const wake of waiters.splice(0)) wake()
            if (hold) return void hold.until.then(() => callback(), () => callback())
            if (!reset) return callback()
            // Applied, then the answer is lost: the client never sees the 250.
            for (const connection of (server as unknown as { connections: Set<{ id: string; _socket: { destroy(): void } }> }).connections) {
              if (connection.id === session.id) connection._socket.destroy()
            }
          })
          .catch(callback)
      })
    },
  }
  const server = new SMTPServer(serverOptions)
  // A client killed mid-session (the drip crash test SIGKILLs workers) resets its connection: not an error of the server.
  server.on('error', () => {})
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve())
  })
  const port = (server.server.address() as AddressInfo).port
  return {
    host: '127.0.0.1',
    port,
    messages,
    rejected,
    async waitForMessages(count, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs
      while (messages.length < count) {
        const left = deadline - Date.now()
        if (left <= 0) throw new Error(`Expected ${count} messages, got ${messages.length}`)
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left)
          waiters.push(() => {
            clearTimeout(timer)
            resolve()
          })
        })
      }
      return messages.slice(0, count)
    },
    injectFault: (fault) => void faults.push(fault),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

/** The raw header lines of a message (unfolded), for assertions mailparser would restructure. */
export function rawHeaders(raw: string): Array<{ name: string; value: string }> {
  const head = raw.split(/\r?\n\r?\n/)[0] ?? ''
  return head
    .replace(/\r?\n[ \t]+/g, ' ')
    .split(/\r?\n/)
    .map((line) => {
      const colon = line.indexOf(':')
      return { name: line.slice(0, colon).trim().toLowerCase(), value: line.slice(colon + 1).trim() }
    })
}
