/**
 * The drip runner at scale: N contacts (default 100,000) reaching one step, sent through the runner
 * (database claims, rendering, signed links, the email connector) to a loopback SMTP server that
 * drains messages. Printed beside a bare nodemailer loop to the same server in the same run:
 * throughput and its ratio (goal ≥ 0.8×), database statements per message (goal ≤ 2), worker RSS.
 *
 * The runner sends one message at a time per worker (at most one message in flight without its
 * outcome recorded: the crash-safety rule), so its like-for-like baseline is a sequential nodemailer
 * loop; a 50-way concurrent loop is printed too, for context.
 *
 * `--crash [--kills K]`: the same send by a child worker process (the real job on the PostgreSQL job
 * store) that is SIGKILLed K times mid-send; reports lost and duplicated messages counted at the
 * SMTP server (and whether every duplicate kept its Message-ID).
 *
 * Run: DATABASE_URL=postgres://… npx tsx bench/drip-send.ts [--count 100000] [--crash --kills 5]
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import { sql } from 'drizzle-orm'
import nodemailer from 'nodemailer'
import { SMTPServer } from 'smtp-server'
import { createEmailConnector } from '../connectors/email/index'
import { openDatabase } from '../db/client'
import { workspaces } from '../db/schema'
import { createKeyring } from '../db/vault'
import { systemClock } from '../domain/clock'
import { saveSender } from '../app/utils/email.server'
import { activateDrip, createDrip } from '../app/utils/drips.server'
import type { Services } from '../app/utils/services.server'
import { dripRunnerDeps, runDripPass } from '../jobs/drip-runner'
import { openJobStore } from '../jobs/store'
import { createTestDatabase } from '../test/db'
import { seedEnrolledAudience } from '../test/drips/harness'

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? process.argv[i + 1]! : fallback
}
const COUNT = Number(arg('count', '100000'))
const CRASH = process.argv.includes('--crash')
const KILLS = Number(arg('kills', '5'))
const BASELINE = Math.min(COUNT, Number(arg('baseline', '10000')))
if (!process.env.DATABASE_URL) {
  console.error('bench:drip needs DATABASE_URL (a PostgreSQL server)')
  process.exit(2)
}

// ─── A loopback SMTP server that drains messages, counting them by recipient and Message-ID ──────
const received = new Map<string, string[]>()
let messages = 0
const server = new SMTPServer({
  disabledCommands: ['STARTTLS', 'AUTH'],
  authOptional: true,
  logger: false,
  closeTimeout: 100,
  onData(stream, session, callback) {
    let head = ''
    stream.on('data', (chunk: Buffer) => {
      if (head.length < 4096) head += chunk.toString('latin1')
    })
    stream.on('end', () => {
      messages++
      if (CRASH) {
        const id = /^Message-ID:\s*(<[^>]+>)/im.exec(head)?.[1] ?? '?'
        for (const r of session.envelope.rcptTo) received.set(r.address, [...(received.get(r.address) ?? []), id])
      }
      callback()
    })
  },
})
// A SIGKILLed worker resets its connections: that is expected here, not a reason to stop.
server.on('error', () => {})
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
const port = (server.server.address() as AddressInfo).port

// ─── Database, sender, drip, audience ─────────────────────────────────────────────────────────────
const base = await createTestDatabase()
const statements = { count: 0 }
const database = await openDatabase({ url: base.url!, max: 4, migrate: false, onQuery: () => void statements.count++ })
const keyringKey = randomBytes(32).toString('base64')
const linkSecret = randomBytes(32).toString('hex')
const services = {
  config: { SESSION_SECRET: linkSecret, APP_URL: 'https://app.example' },
  database,
  clock: systemClock,
  keyring: createKeyring({ currentKey: keyringKey, currentVersion: 1 }),
  jobs: { agenda: {} },
} as unknown as Services
const [ws] = await database.db.insert(workspaces).values({ name: 'Bench' }).returning()
const workspaceId = ws!.id
await saveSender(services, { workspaceId, fromName: 'Bench', fromEmail: 'bench@sender.test', replyTo: null, postalAddress: '1 Main St, Springfield', smtp: { host: '127.0.0.1', port, security: 'none' } })
const drip = await createDrip(services, {
  workspaceId,
  input: {
    name: 'Bench',
    steps: [{ subject: 'Week {{ week | "1" }} tips for {{ first_name | "you" }}', markdown: '# Hello {{ name | "reader" }}\n\nThis week: **three** things.\n\n- one\n- two\n- [three](https://example.com/three?utm=drip)\n' }],
  },
})
await activateDrip(services, { workspaceId, dripId: drip.id })
const seedStart = performance.now()
await seedEnrolledAudience(database.db, { workspaceId, dripId: drip.id, count: COUNT, at: new Date(Date.now() - 1000) })
console.log(`seeded ${COUNT} contacts + enrollments in ${((performance.now() - seedStart) / 1000).toFixed(1)} s`)

// ─── Bare nodemailer baselines (same server, same pool settings as the connector) ────────────────
const from = { name: 'Bench', address: 'bench@sender.test' }
const sample = { subject: 'Week 1 tips for Reader', html: '<p>'.padEnd(2500, 'x'), text: 'x'.repeat(1200) }
async function bareLoop(n: number, concurrency: number): Promise<number> {
  const bare = nodemailer.createTransport({ pool: true, host: '127.0.0.1', port, secure: false, ignoreTLS: true, maxConnections: 5, maxMessages: Infinity })
  await bare.sendMail({ from, to: 'warm@rcpt.test', subject: 'w', text: 'w' })
  let next = 0
  const t0 = performance.now()
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) {
        const i = next++
        await bare.sendMail({ from, to: `b${i}@bare.test`, ...sample, messageId: `<b${i}@bare.test>`, list: { unsubscribe: [['https://app.example/u/x', 'mailto:u@sender.test']] } })
      }
    }),
  )
  const perSecond = n / ((performance.now() - t0) / 1000)
  bare.close()
  return perSecond
}

const mib = (bytes: number) => (bytes / 1024 / 1024).toFixed(0)
const before = { seq: await bareLoop(BASELINE, 1), par: await bareLoop(BASELINE, 50) }
const messagesBefore = messages
received.clear()

if (!CRASH) {
  // ─── The runner, in this process ───────────────────────────────────────────────────────────────
  const email = createEmailConnector()
  const deps = dripRunnerDeps(services, { email, batchSize: 500, passBudgetMs: 3_600_000 })
  let peakRss = 0
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 200)
  statements.count = 0
  const t0 = performance.now()
  let sent = 0
  for (;;) {
    const r = await runDripPass(deps)
    sent += r.sent
    if (r.claimed === 0) break
  }
  const seconds = (performance.now() - t0) / 1000
  clearInterval(sampler)
  const runner = sent / seconds
  const after = { seq: await bareLoop(BASELINE, 1), par: await bareLoop(BASELINE, 50) }
  const seq = (before.seq + after.seq) / 2
  const par = (before.par + after.par) / 2
  console.log(`drip runner: ${sent} messages in ${seconds.toFixed(1)} s = ${runner.toFixed(0)} msg/s (server received ${messages - messagesBefore - 2 * BASELINE - 2})`)
  console.log(`bare nodemailer sequential loop: ${seq.toFixed(0)} msg/s (before ${before.seq.toFixed(0)}, after ${after.seq.toFixed(0)}) → runner ${(runner / seq).toFixed(2)}× (goal ≥ 0.8×)`)
  console.log(`bare nodemailer 50-way concurrent loop: ${par.toFixed(0)} msg/s → runner ${(runner / par).toFixed(2)}× (context: the runner keeps one message in flight)`)
  console.log(`database statements: ${statements.count} = ${(statements.count / sent).toFixed(3)} per message (goal ≤ 2)`)
  console.log(`worker RSS: peak ${mib(peakRss)} MiB (heap used now ${mib(process.memoryUsage().heapUsed)} MiB)`)
  email.close()
} else {
  // ─── Crash mode: a child worker (real job, PostgreSQL job store), SIGKILLed mid-send ──────────
  const setup = await openJobStore({ databaseUrl: base.url!, name: 'setup' })
  await setup.close({ drainMs: 0 })
  const fixture = fileURLToPath(new URL('../test/drips/fixtures/worker.ts', import.meta.url))
  const children = new Set<ChildProcess>()
  const spawnWorker = () => {
    const child = spawn(process.execPath, ['--import', 'tsx', fixture], {
      env: { ...process.env, APP_DATABASE_URL: base.url!, JOBS_DATABASE_URL: base.url!, TEST_KEY: keyringKey, LINK_SECRET: linkSecret, LEASE_MS: '3000', BATCH_SIZE: '500' },
      stdio: ['pipe', 'inherit', 'inherit'],
    })
    children.add(child)
    child.on('exit', () => children.delete(child))
    return child
  }
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
  const t0 = performance.now()
  let worker = spawnWorker()
  for (let k = 1; k <= KILLS; k++) {
    const target = Math.floor((COUNT * k) / (KILLS + 1))
    while (received.size < target) await sleep(20)
    worker.kill('SIGKILL')
    await new Promise((resolve) => (worker.exitCode !== null || worker.signalCode ? resolve(null) : worker.once('exit', resolve)))
    worker = spawnWorker()
  }
  const active = async () => Number(((await database.db.execute(sql`SELECT count(*)::int AS n FROM enrollments WHERE status = 'active'`)) as unknown as Array<{ n: number }>)[0]!.n)
  while ((await active()) > 0) await sleep(500)
  worker.kill('SIGKILL')
  const seconds = (performance.now() - t0) / 1000
  let lost = 0
  for (let i = 1; i <= COUNT; i++) if (!received.has(`r${i}@rcpt.test`)) lost++
  const dups = [...received.values()].filter((ids) => ids.length > 1)
  const duplicates = dups.reduce((a, ids) => a + ids.length - 1, 0)
  const sameId = dups.every((ids) => new Set(ids).size === 1)
  console.log(`crash mode: ${COUNT} messages, ${KILLS} SIGKILLs in ${seconds.toFixed(1)} s (${(COUNT / seconds).toFixed(0)} msg/s incl. restarts)`)
  console.log(`lost: ${lost} (goal 0); duplicates: ${duplicates} (goal ≤ ${KILLS}); every duplicate has its original's Message-ID: ${sameId}`)
  console.log(`bare nodemailer sequential loop: ${before.seq.toFixed(0)} msg/s; 50-way concurrent: ${before.par.toFixed(0)} msg/s`)
}

await database.close()
await base.close()
server.close(() => {})
process.exit(0)
