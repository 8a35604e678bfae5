import { randomBytes } from 'node:crypto'
import { sql } from 'drizzle-orm'
import { createEmailConnector, type EmailConnector } from '../../connectors/email/index'
import type { Database } from '../../db/client'
import { insertContact } from '../../db/queries/contacts'
import { workspaces } from '../../db/schema'
import { createKeyring } from '../../db/vault'
import { fixedClock } from '../../domain/clock'
import { activateDrip, createDrip, type DripInput, type DripView } from '../../core/drips.server'
import { saveSender } from '../../core/email.server'
import type { Services } from '../../core/services.server'
import { dripRunnerDeps, runDripPass, type DripRunnerDeps } from '../../core/drips/runner.server'
import { createTestDatabase } from '../db'
import { startSmtpServer, type TestSmtpServer } from '../servers/smtp'

export const T0 = new Date('2026-11-02T08:00:00Z') // a Monday

export type DripHarness = {
  database: Database & { url?: string }
  services: Services
  clock: ReturnType<typeof fixedClock>
  smtp: TestSmtpServer
  email: EmailConnector
  workspaceId: string
  /** The vault key and link secret (for child worker processes). */
  keyringKey: string
  linkSecret: string
  /** Statements sent to PostgreSQL since the last reset (postgres.js debug hook). */
  statements: { count: number }
  runner(overrides?: Partial<DripRunnerDeps>): DripRunnerDeps
  /** Run passes until nothing is due now. */
  drain(overrides?: Partial<DripRunnerDeps>): Promise<number>
  contact(email: string, extra?: { timezone?: string | null; fields?: Record<string, string | number | null>; tags?: string[] }): Promise<string>
  /** Create a drip (named "Welcome" unless `input.name` says otherwise) and activate it. */
  activeDrip(input: Partial<DripInput> & Pick<DripInput, 'steps'>): Promise<DripView>
  /** The messages the SMTP server received for this address. */
  sentTo(address: string): TestSmtpServer['messages']
  close(): Promise<void>
}

/**
 * A fresh database with a workspace whose sender points at a loopback SMTP server, and the
 * services the drip server module and runner need (no web server, no job store: the runner's
 * passes are called directly with an injected clock).
 */
export async function startDripHarness(): Promise<DripHarness> {
  const statements = { count: 0 }
  const base = await createTestDatabase()
  let database: Database & { url?: string } = base
  if (base.url) {
    // Re-open with a statement counter (the test database stays the same).
    const { openDatabase } = await import('../../db/client')
    const counted = await openDatabase({ url: base.url, max: 5, migrate: false, onQuery: () => void statements.count++ })
    database = { ...counted, url: base.url, close: async () => (await counted.close(), await base.close()) }
  }
  const clock = fixedClock(T0)
  const smtp = await startSmtpServer()
  const email = createEmailConnector({ allowPrivateNetworkHosts: true })
  const keyringKey = randomBytes(32).toString('base64')
  const linkSecret = randomBytes(32).toString('hex')
  const keyring = createKeyring({ currentKey: keyringKey, currentVersion: 1 })
  const services = {
    config: { SESSION_SECRET: linkSecret, APP_URL: 'http://127.0.0.1:9' },
    database,
    clock,
    keyring,
    jobs: { agenda: { create: () => { throw new Error('no job store in this harness: the runner is driven by the test') } } },
  } as unknown as Services
  const [ws] = await database.db.insert(workspaces).values({ name: 'Drips' }).returning()
  const workspaceId = ws!.id
  await saveSender(services, {
    workspaceId,
    fromName: 'Brand',
    fromEmail: 'news@brand.test',
    replyTo: null,
    postalAddress: 'Brand Inc., 1 Main St, Springfield',
    smtp: { host: smtp.host, port: smtp.port, security: 'none' },
  })
  const runner = (overrides: Partial<DripRunnerDeps> = {}) => dripRunnerDeps(services, { email, leaseMs: 60_000, ...overrides })
  return {
    database,
    services,
    clock,
    smtp,
    email,
    workspaceId,
    keyringKey,
    linkSecret,
    statements,
    runner,
    async drain(overrides) {
      let sent = 0
      for (let i = 0; i < 50; i++) {
        const r = await runDripPass(runner(overrides))
        sent += r.sent
        if (r.claimed === 0) break
      }
      return sent
    },
    async contact(address, extra = {}) {
      const c = await insertContact(database.db, { workspaceId, email: address, at: clock.now(), ...extra } as Parameters<typeof insertContact>[1])
      return c.id
    },
    async activeDrip(input) {
      const drip = await createDrip(services, { workspaceId, input: { name: 'Welcome', ...input } })
      await activateDrip(services, { workspaceId, dripId: drip.id })
      return drip
    },
    sentTo: (address) => smtp.messages.filter((m) => m.envelope.to.includes(address)),
    async close() {
      email.close()
      await smtp.close()
      await database.close()
    },
  }
}

/** Bulk setup (tests and the benchmark): `count` subscribed contacts `r<i>@rcpt.test`, all enrolled in `dripId` and due at `at`. */
export async function seedEnrolledAudience(db: Database['db'], args: { workspaceId: string; dripId: string; count: number; at: Date }): Promise<void> {
  const at = args.at.toISOString()
  await db.execute(sql`
    INSERT INTO contacts (workspace_id, email, name, fields, tags, status, created_at, updated_at)
    SELECT ${args.workspaceId}, 'r' || g || '@rcpt.test', 'Reader ' || g, '{}'::jsonb, '{}'::text[], 'subscribed', ${at}::timestamptz, ${at}::timestamptz
    FROM generate_series(1, ${args.count}::int) g
    ON CONFLICT DO NOTHING`)
  await db.execute(sql`
    INSERT INTO enrollments (workspace_id, sequence_id, contact_id, cycle, status, step_position, next_due_at, source, started_at, created_at, updated_at)
    SELECT ${args.workspaceId}, ${args.dripId}, id, 1, 'active', 0, ${at}::timestamptz, 'import', ${at}::timestamptz, ${at}::timestamptz, ${at}::timestamptz
    FROM contacts WHERE workspace_id = ${args.workspaceId} AND email LIKE '%@rcpt.test'
    ON CONFLICT DO NOTHING`)
}
