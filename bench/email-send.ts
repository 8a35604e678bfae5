/**
 * Email send throughput to a loopback SMTP server (smtp-server, messages drained, not parsed), in one
 * process: a bare nodemailer pooled loop beside the email connector (same pool settings), and the
 * connector with per-message Markdown rendering and link signing. The drip runner's benchmark
 * (100,000 contacts through the database and jobs) builds on this one.
 * Run: npx tsx bench/email-send.ts [messages]
 */
import type { AddressInfo } from 'node:net'
import os from 'node:os'
import nodemailer from 'nodemailer'
import { SMTPServer } from 'smtp-server'
import { createEmailConnector, smtpCredentials } from '../connectors/email/index'
import { hmacSha256 } from '../core/secrets'
import { signLink } from '../domain/email/links'
import { contactScope } from '../domain/email/liquid'
import { renderEmail } from '../domain/email/template'

const COUNT = Number(process.argv[2] ?? 3000)
const CONCURRENCY = 50
const POOL = { maxConnections: 5, maxMessages: Infinity }

const server = new SMTPServer({
  disabledCommands: ['STARTTLS', 'AUTH'],
  authOptional: true,
  logger: false,
  closeTimeout: 100,
  onData(stream, _session, callback) {
    stream.on('data', () => {})
    stream.on('end', () => callback())
  },
})
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
const port = (server.server.address() as AddressInfo).port

const template = { subject: 'Week {{ week | "1" }} tips for {{ first_name | "you" }}', markdown: '# Hello {{ name | "reader" }}\n\nThis week: **three** things.\n\n- one\n- two\n- [three](https://example.com/three?utm=drip)\n' }
const fixed = renderEmail({ template, scope: { contact: contactScope({ email: 'ann@rcpt.test', name: 'Ann', timezone: null, fields: {} }) }, postalAddress: '1 Main St', unsubscribeUrl: 'https://app.example/u/x' })
const from = { name: 'Bench', address: 'bench@sender.test' }

async function run(name: string, send: (i: number) => Promise<unknown>) {
  let next = 0
  const t0 = performance.now()
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < COUNT) await send(next++)
    }),
  )
  const seconds = (performance.now() - t0) / 1000
  return { name, perSecond: COUNT / seconds }
}

const bare = nodemailer.createTransport({ pool: true, host: '127.0.0.1', port, secure: false, ignoreTLS: true, ...POOL })
const connector = createEmailConnector({ ...POOL, allowPrivateNetworkHosts: true })
const credentials = smtpCredentials({ host: '127.0.0.1', port, security: 'none' })
const linkMac = hmacSha256('bench-secret')
const now = new Date('2026-11-01T00:00:00Z')

// Warm both pools.
await bare.sendMail({ from, to: 'warm@rcpt.test', subject: 'w', text: 'w' })
await connector.publish({ credentials, idempotencyKey: 'warm', content: { parts: [], email: { from, to: 'warm@rcpt.test', ...fixed } } })

const cases: Array<[string, (i: number) => Promise<unknown>]> = [
  ['bare nodemailer pooled loop', (i) => bare.sendMail({ from, to: `r${i}@rcpt.test`, subject: fixed.subject, html: fixed.html, text: fixed.text, list: { unsubscribe: [['https://app.example/u/x', 'mailto:u@sender.test']] } })],
  ['email connector (pre-rendered)', (i) =>
    connector.publish({ credentials, idempotencyKey: `e${i}:s1`, content: { parts: [], email: { from, to: `r${i}@rcpt.test`, ...fixed, listUnsubscribe: { url: 'https://app.example/u/x', mailto: 'mailto:u@sender.test' } } } })],
  ['email connector + render + signed links', (i) => {
    const claims = { workspaceId: 'w', contactId: `c${i}`, enrollmentId: `e${i}`, stepId: 's1' }
    const unsubscribeUrl = `https://app.example/u/${signLink({ mac: linkMac, purpose: 'unsubscribe', claims, now })}`
    const email = renderEmail({
      template,
      scope: { contact: contactScope({ email: `r${i}@rcpt.test`, name: `Reader ${i}`, timezone: null, fields: { week: '2' } }) },
      postalAddress: '1 Main St',
      unsubscribeUrl,
      trackClick: (url) => `https://app.example/t/c/${signLink({ mac: linkMac, purpose: 'click', claims: { ...claims, url }, now })}`,
      openPixelUrl: `https://app.example/t/o/${signLink({ mac: linkMac, purpose: 'open', claims, now })}.gif`,
    })
    return connector.publish({ credentials, idempotencyKey: `e${i}:s1`, content: { parts: [], email: { from, to: `r${i}@rcpt.test`, ...email, listUnsubscribe: { url: unsubscribeUrl } } } })
  }],
]

// Interleaved rounds, best of each: the machine is shared, and the first round also warms the JIT.
const ROUNDS = 3
const best = new Map<string, number>()
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, send] of cases) {
    const r = await run(name, send)
    best.set(name, Math.max(best.get(name) ?? 0, r.perSecond))
  }
}
const results = cases.map(([name]) => ({ name, perSecond: best.get(name)! }))

const baseline = results[0]!.perSecond
console.log(`${COUNT} messages × ${ROUNDS} interleaved rounds (best), concurrency ${CONCURRENCY}, pool ${POOL.maxConnections} connections; load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`)
for (const r of results) console.log(`${r.name.padEnd(42)} ${r.perSecond.toFixed(0).padStart(6)} msg/s  ${(r.perSecond / baseline).toFixed(2)}× bare`)
console.log(`RSS ${(process.memoryUsage().rss / 1024 / 1024).toFixed(0)} MiB`)

bare.close()
connector.close()
await new Promise<void>((resolve) => server.close(() => resolve()))
