/**
 * The drip runner at scale: N contacts (default 100,000) reaching one step, sent by W worker processes
 * (default 1; each runs the real drip runner job on the PostgreSQL job store, one lane each:
 * test/drips/fixtures/worker.ts) to a loopback SMTP server in this process that drains messages. Beside
 * it, in the same run, a bare nodemailer loop to the same server, in a process of its own as well
 * (bench/bare-nodemailer.ts), before and after: sequential, and pooled (as many messages at a time as the
 * runner may have in flight: send window × W). Prints each figure beside its goal (issue 22) with PASS or
 * MISS: throughput ≥ 0.8× both bare loops, app database statements per message ≤ 2, worker peak RSS
 * ≤ 300 MB (judged at 100,000 recipients), 0 lost.
 *
 * Each worker sends email in groups (decision 099): at most `--window` (default 10) messages per process
 * are handed over without their outcome recorded, so a SIGKILL re-sends at most that many. Throughput
 * scales with worker processes too (docs/decisions/021-drip-lanes.md).
 *
 * `--crash [--kills K]`: the same send, but one worker (round robin) is SIGKILLed K times mid-send and
 * replaced by a fresh one; reports lost and duplicated messages counted at the SMTP server (goal ≤ K ×
 * window, and every duplicate keeps its Message-ID).
 *
 * Run: DATABASE_URL=postgres://… npx tsx bench/drip-send.ts [--count 100000] [--workers 1] [--window 10] [--pool 5]
 *      [--crash --kills 5] [--bundle] (workers run the esbuild bundle the crash tests run, not tsx)
 *      [--profile <dir>] (the workers’ CPU profiles) [--no-analyze] (start without ANALYZE after seeding)
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import { readFileSync } from 'node:fs'
import os from 'node:os'
import { fileURLToPath } from 'node:url'
import { sql } from 'drizzle-orm'
import { SMTPServer } from 'smtp-server'
import { openDatabase } from '../db/client'
import { workspaces } from '../db/schema'
import { createKeyring } from '../db/vault'
import { systemClock } from '../core/clock'
import { saveSender } from '../core/email.server'
import { activateDrip, createDrip } from '../core/drips.server'
import type { Services } from '../core/services.server'
import { openJobStore } from '../jobs/store'
import { createTestDatabase } from '../test/db'
import { seedEnrolledAudience } from '../test/drips/harness'
import { bundleWorker } from '../test/worker-bundle'
import { machineCpuMs, processCpuMs } from './machine-cpu'
import { backendPids } from './pg-stats'

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? process.argv[i + 1]! : fallback
}
const COUNT = Number(arg('count', '100000'))
const WORKERS = Number(arg('workers', '1'))
/** Email messages a worker may have in flight without their outcome recorded (DRIP_SEND_WINDOW). */
const WINDOW = Number(arg('window', '10'))
/** SMTP connections per worker and in the bare loops' pool (EMAIL_POOL_CONNECTIONS). */
const POOL = Number(arg('pool', '5'))
const BUNDLE = process.argv.includes('--bundle')
const CRASH = process.argv.includes('--crash')
const KILLS = Number(arg('kills', '5'))
const BASELINE = Math.min(COUNT, Number(arg('baseline', '10000')))
/** Write each worker's CPU profile (.cpuprofile) into this directory. */
const PROFILE = arg('profile', '')
if (!process.env.DATABASE_URL) {
  console.error('bench:drip needs DATABASE_URL (a PostgreSQL server)')
  process.exit(2)
}

// ─── A loopback SMTP server that drains messages; the drip's are counted by recipient and Message-ID ──
const received = new Map<string, string[]>()
/**
 * Each process's own CPU over the send burst (first message received → all enrollments done): the workers
 * (from /proc/<pid>/stat), this process (the loopback SMTP server) and PostgreSQL's backends of the
 * benchmark database (the workers' app and job-store connections; this process does not poll meanwhile).
 */
const burst = {
  workers0: 0,
  smtp0: 0,
  pg0: new Map<number, number>(),
  pgStarted: Promise.resolve(),
  start() {
    this.workers0 = workers.reduce((a, w) => a + processCpuMs(w.pid!), 0)
    const own = process.cpuUsage()
    this.smtp0 = (own.user + own.system) / 1000
    this.pgStarted = backendPids(base.url!).then((pids) => {
      for (const pid of pids) this.pg0.set(pid, processCpuMs(pid))
    })
  },
}
let firstAt = 0
let lastAt = 0
const server = new SMTPServer({
  disabledCommands: ['STARTTLS', 'AUTH'],
  authOptional: true,
  logger: false,
  closeTimeout: 100,
  onData(stream, session, callback) {
    const to = session.envelope.rcptTo.map((r) => r.address).filter((a) => a.endsWith('@rcpt.test'))
    let head = ''
    stream.on('data', (chunk: Buffer) => {
      if (to.length && head.length < 4096) head += chunk.toString('latin1')
    })
    stream.on('end', () => {
      if (to.length) {
        lastAt = performance.now()
        if (!firstAt) {
          firstAt = lastAt
          burst.start()
        }
        const id = /^Message-ID:\s*(<[^>]+>)/im.exec(head)?.[1] ?? '?'
        for (const r of to) received.set(r, [...(received.get(r) ?? []), id])
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
const database = await openDatabase({ url: base.url!, max: 4, migrate: false })
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
    steps: [{ subject: 'Week 1 tips for {{ contact.first_name | default: "you" }}', markdown: '# Hello {{ contact.name | default: "reader" }}\n\nThis week: **three** things.\n\n- one\n- two\n- [three](https://example.com/three?utm=drip)\n' }],
  },
})
await activateDrip(services, { workspaceId, dripId: drip.id })
const seedStart = performance.now()
await seedEnrolledAudience(database.db, { workspaceId, dripId: drip.id, count: COUNT, at: new Date(Date.now() - 1000) })
console.log(`seeded ${COUNT} contacts + enrollments in ${((performance.now() - seedStart) / 1000).toFixed(1)} s`)
// The tables' statistics, as autovacuum's analyze leaves them within about a minute of a big enrollment (decision 117):
// without it the planner takes the new tables for empty and the runner's statements scan every active enrollment.
if (!process.argv.includes('--no-analyze')) await database.db.execute(sql`ANALYZE contacts, enrollments, deliveries, contact_events`)

const loadAtStart = readFileSync('/proc/loadavg', 'utf8').trim()
const cpu = { bare: { ms: 0, ownMs: 0, smtpMs: 0, messages: 0 }, runner: 0 }

// ─── Bare nodemailer baselines (a process of their own, the connector's pool settings) ───────────
const bareScript = fileURLToPath(new URL('./bare-nodemailer.ts', import.meta.url))
async function bareLoop(n: number, concurrency: number): Promise<number> {
  const child = spawn(process.execPath, ['--import', 'tsx', bareScript, String(port), String(n), String(concurrency), String(POOL)], { stdio: ['ignore', 'pipe', 'inherit'] })
  let out = ''
  const smtp0 = process.cpuUsage()
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()))
  await new Promise((resolve) => child.once('exit', resolve))
  const smtp = process.cpuUsage(smtp0)
  cpu.bare.smtpMs += (smtp.user + smtp.system) / 1000
  const result = JSON.parse(out.trim().split('\n').at(-1)!) as { perSecond: number; cpuMs: number; ownCpuMs: number }
  cpu.bare.ms += result.cpuMs
  cpu.bare.ownMs += result.ownCpuMs
  cpu.bare.messages += n
  return result.perSecond
}
const POOLED = WINDOW * WORKERS
const baselines = async () => ({ seq: await bareLoop(BASELINE, 1), par: await bareLoop(BASELINE, POOLED) })
const before = await baselines()

// ─── The workers: the real drip runner job, one lane each ──────────────────────────────────────────
const setup = await openJobStore({ databaseUrl: base.url!, name: 'setup' })
await setup.close({ drainMs: 0 })
const fixture = fileURLToPath(new URL('../test/drips/fixtures/worker.ts', import.meta.url))
const bundle = BUNDLE ? await bundleWorker(fixture) : null
const stats: Array<{ statements: number; maxRssKiB: number; cpuMs: number; memory: NodeJS.MemoryUsage }> = []
const spawnWorker = (): ChildProcess => {
  const child = spawn(process.execPath, [...(PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE}`] : []), ...(bundle ? [bundle] : ['--import', 'tsx', fixture])], {
    env: {
      ...process.env,
      APP_DATABASE_URL: base.url!,
      JOBS_DATABASE_URL: base.url!,
      TEST_KEY: keyringKey,
      LINK_SECRET: linkSecret,
      LANES: String(WORKERS),
      SEND_WINDOW: String(WINDOW),
      POOL_CONNECTIONS: String(POOL),
      BATCH_SIZE: '500',
      // Crash mode: a killed worker's claims come back after 3 s.
      LEASE_MS: CRASH ? '3000' : '60000',
      PASS_BUDGET_MS: '60000',
      // The job store is polled once a second (the tests poll every 100 ms to recover from kills quickly).
      PROCESS_EVERY_MS: '1000',
    },
    stdio: ['pipe', 'pipe', 'inherit'],
  })
  child.stdout!.on('data', (c: Buffer) => {
    for (const line of c.toString().split('\n')) if (line.startsWith('stats ')) stats.push(JSON.parse(line.slice(6)))
  })
  return child
}
const exited = (child: ChildProcess) => new Promise((resolve) => (child.exitCode !== null || child.signalCode ? resolve(null) : child.once('exit', resolve)))
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const active = async () => Number(((await database.db.execute(sql`SELECT count(*)::int AS n FROM enrollments WHERE status = 'active'`)) as unknown as Array<{ n: number }>)[0]!.n)

const t0 = performance.now()
const cpu0 = machineCpuMs()
const workers = Array.from({ length: WORKERS }, spawnWorker)
let kills = 0
if (CRASH) {
  for (let k = 1; k <= KILLS; k++) {
    while (received.size < Math.floor((COUNT * k) / (KILLS + 1))) await sleep(20)
    const victim = workers[k % WORKERS]!
    victim.kill('SIGKILL')
    kills++
    await exited(victim)
    workers[k % WORKERS] = spawnWorker()
  }
}
// This process does not query the database while the messages go out (its backend's CPU would count as PostgreSQL's share).
if (!CRASH) while (received.size < COUNT) await sleep(250)
while ((await active()) > 0) await sleep(250)
await burst.pgStarted
const burstCpu = (() => {
  const own = process.cpuUsage()
  return { workers: workers.reduce((a, w) => a + processCpuMs(w.pid!), 0) - burst.workers0, smtp: (own.user + own.system) / 1000 - burst.smtp0 }
})()
const pgBurstMs = await backendPids(base.url!).then((pids) => pids.reduce((a, pid) => a + processCpuMs(pid) - (burst.pg0.get(pid) ?? 0), 0))
const seconds = (performance.now() - t0) / 1000
cpu.runner = machineCpuMs() - cpu0
for (const w of workers) w.kill('SIGTERM')
await Promise.all(workers.map(exited))
const after = await baselines()

const sent = [...received.values()].reduce((a, ids) => a + ids.length, 0)
const lost = Array.from({ length: COUNT }, (_, i) => `r${i + 1}@rcpt.test`).filter((a) => !received.has(a)).length
const dups = [...received.values()].filter((ids) => ids.length > 1)
const duplicates = dups.reduce((a, ids) => a + ids.length - 1, 0)
const seq = (before.seq + after.seq) / 2
const par = (before.par + after.par) / 2
const rate = (sent - 1) / ((lastAt - firstAt) / 1000)
const f0 = (n: number) => n.toFixed(0)
const verdict = (ok: boolean) => (ok ? 'PASS' : 'MISS')
const statements = stats.reduce((a, s) => a + s.statements, 0)
const peakRssMiB = Math.max(...stats.map((s) => s.maxRssKiB / 1024))
console.log(`load average (/proc/loadavg) at the start: ${loadAtStart}; at the end: ${readFileSync('/proc/loadavg', 'utf8').trim()} (${os.cpus().length} cores)`)
console.log(`drip runner, ${WORKERS} worker process${WORKERS === 1 ? '' : 'es'}, send window ${WINDOW}, ${POOL} SMTP connections${bundle ? ' (bundled workers: node <esbuild bundle>)' : ' (workers under tsx: node --import tsx, as `npm run worker`)'}: ${sent} messages, ${f0(rate)} msg/s from the first message to the last (${seconds.toFixed(1)} s from spawning the workers${CRASH ? `, ${kills} SIGKILLs and restarts` : ''})`)
console.log(`bare nodemailer sequential loop: ${f0(seq)} msg/s (before ${f0(before.seq)}, after ${f0(after.seq)})`)
console.log(`bare nodemailer pooled, ${POOLED} at a time: ${f0(par)} msg/s (before ${f0(before.par)}, after ${f0(after.par)})`)
console.log(
  `machine CPU per message (every process: senders, SMTP server, PostgreSQL, and whatever else runs on the machine; runner incl. worker start-up): runner ${(cpu.runner / sent).toFixed(2)} ms, bare loop ${(cpu.bare.ms / cpu.bare.messages).toFixed(2)} ms → on ${os.cpus().length} cores the runner can reach at most ${(cpu.bare.ms / cpu.bare.messages / (cpu.runner / sent)).toFixed(2)}× the bare loop's CPU-bound rate`,
)
if (!CRASH) {
  const workerCpu = stats.reduce((a, s) => a + s.cpuMs, 0)
  console.log(
    `sender processes' own CPU per message (neighbours excluded): drip workers ${(workerCpu / sent).toFixed(2)} ms (start-up and job store included), bare loop ${(cpu.bare.ownMs / cpu.bare.messages).toFixed(2)} ms`,
  )
}
if (!CRASH) {
  const per = (ms: number) => `${(ms / sent).toFixed(3)} ms`
  console.log(
    `own CPU per message over the send burst (first message → all done): drip workers ${per(burstCpu.workers)}, PostgreSQL backends ${per(pgBurstMs)}, loopback SMTP server (this process) ${per(burstCpu.smtp)}; bare loop ${(cpu.bare.ownMs / cpu.bare.messages).toFixed(3)} ms (its SMTP server ${(cpu.bare.smtpMs / cpu.bare.messages).toFixed(3)} ms)`,
  )
}
// Each worker's share of the work: its app statements (one per group of sends) and its CPU.
for (const s of stats) console.log(`worker: ${s.statements} app statements (${f0((100 * s.statements) / Math.max(1, statements))} % of all), CPU ${f0(s.cpuMs)} ms; memory at the end: rss ${f0(s.memory.rss / 2 ** 20)} MiB, heap ${f0(s.memory.heapUsed / 2 ** 20)} of ${f0(s.memory.heapTotal / 2 ** 20)} MiB, external ${f0(s.memory.external / 2 ** 20)} MiB; peak rss ${f0(s.maxRssKiB / 1024)} MiB`)
const dupGoal = CRASH ? kills * WINDOW : 0
const rows: Array<[string, string, string, boolean]> = [
  ['throughput vs the sequential bare loop', '≥ 0.80×', `${(rate / seq).toFixed(2)}×`, rate / seq >= 0.8],
  [`throughput vs the pooled bare loop (${POOLED} at a time)`, '≥ 0.80×', `${(rate / par).toFixed(2)}×`, rate / par >= 0.8],
  ['lost messages', '0', String(lost), lost === 0],
  [CRASH ? `duplicates (${kills} kills × window ${WINDOW})` : 'duplicates', `≤ ${dupGoal}`, String(duplicates), duplicates <= dupGoal],
  ['every duplicate keeps its Message-ID', 'yes', dups.every((ids) => new Set(ids).size === 1) ? 'yes' : 'no', dups.every((ids) => new Set(ids).size === 1)],
]
if (!CRASH) {
  rows.push(['app database statements per message (job store not included)', '≤ 2', `${(statements / sent).toFixed(3)} (${statements})`, statements / sent <= 2])
  rows.push([`worker peak RSS, ${bundle ? 'bundled' : 'under tsx'}${COUNT < 100_000 ? ' (goal judged at 100,000)' : ''}`, '≤ 300 MB', stats.map((s) => `${f0((s.maxRssKiB * 1024) / 1e6)} MB`).join(', '), (peakRssMiB * 1024 * 1024) / 1e6 <= 300])
}
console.log('')
for (const [name, goal, figure, ok] of rows) console.log(`${verdict(ok)}  ${name.padEnd(64)} goal ${goal.padEnd(9)} figure ${figure}`)

await database.close()
await base.close()
server.close(() => {})
process.exit(0)
