import { createServer, type Server, type Socket } from 'node:net'
import { sql } from 'drizzle-orm'
import { FORM_POSTS_PER_FORM, FORM_POSTS_PER_IP, limitPublicFormPost, RateLimitedError } from '../../core/rate-limits.server'
import { openDatabase } from '../../db/client'
import { startWorker, type Worker } from '../../jobs/worker'
import { defineSignupConfirmation } from '../../jobs/signup-confirmation'
import { startTestApp, type TestApp } from '../app-server'
import { startSmtpServer, type TestSmtpServer } from '../servers/smtp'
import { linkIn, startEmailApp, type EmailTestApp } from './setup'

/**
 * The public signup form (decision 064): the double opt-in email is a job, so the form answers at once
 * while SMTP does not answer, and the email goes out once SMTP is back; posts are rate-limited per IP
 * and per form, with counters in the database that every web process shares.
 */

let t: EmailTestApp
let smtpPort: number
let silent: { server: Server; sockets: Set<Socket> } | null = null
let smtp: TestSmtpServer | null = null
let worker: Worker | null = null
let secondApp: TestApp | null = null

beforeAll(async () => {
  // No worker yet: the email must wait in the job store while SMTP is silent.
  t = await startEmailApp({ worker: false })
  smtpPort = t.smtp.port
  await t.smtp.close()
  // Where the sender's SMTP server was, something now accepts connections and never says a word.
  const sockets = new Set<Socket>()
  const server = createServer((socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(smtpPort, '127.0.0.1', () => resolve()))
  silent = { server, sockets }
})
afterAll(async () => {
  await worker?.stop({ drainMs: 0 })
  await secondApp?.close()
  await closeSilent()
  await smtp?.close()
  await t?.app.close()
})

async function closeSilent() {
  if (!silent) return
  for (const socket of silent.sockets) socket.destroy()
  await new Promise<void>((resolve) => silent!.server.close(() => resolve()))
  silent = null
}

const post = (url: string, fields: Record<string, string>) => fetch(url, { method: 'POST', body: new URLSearchParams(fields), signal: AbortSignal.timeout(10_000) })

async function queuedConfirmations(): Promise<number> {
  const rows = await t.app.services.database.db.execute(sql`select count(*)::int as n from trickle_jobs where name = 'signup-confirmation'`)
  return (rows as unknown as Array<{ n: number }>)[0]!.n
}

describe('public signup form', () => {
  it('answers at once while SMTP does not answer, and the job sends the email once SMTP is back', async () => {
    const started = Date.now()
    const posted = await post(`${t.app.url}/f/${t.formId}`, { email: 'patient@example.com', name: 'Pat' })
    expect(posted.status).toBe(200)
    expect(await posted.text()).toContain('Check your inbox')
    expect(Date.now() - started).toBeLessThan(3_000)
    expect(await queuedConfirmations()).toBe(1)

    // SMTP comes back on its port; a worker picks the queued email up.
    await closeSilent()
    smtp = await startSmtpServer({ port: smtpPort })
    worker = await startWorker(t.app.services, { defineJobs: defineSignupConfirmation })
    const [mail] = await smtp.waitForMessages(1, 15_000)
    expect(mail!.envelope.to).toEqual(['patient@example.com'])
    expect(mail!.parsed.subject).toBe('Please confirm your subscription')
    expect(linkIn(mail!.parsed.text!, `${t.app.url}/f/confirm/`)).toBeTruthy()
  })

  it('answers the N+1-th post from one IP with 429, Retry-After and a friendly message, in every web process', { timeout: 120_000 }, async () => {
    // One post was made above; posts count before validation, so bad addresses count too.
    for (let i = 2; i < FORM_POSTS_PER_IP.points; i++) expect((await post(`${t.app.url}/f/${t.formId}`, { email: `not-an-address-${i}` })).status).toBe(400)
    // The last allowed post goes to a second web process (its own database connection and limiter).
    const database = await openDatabase({ url: t.app.databaseUrl!, migrate: false })
    secondApp = await startTestApp({ database, env: { SESSION_SECRET: t.app.services.config.SESSION_SECRET } })
    expect((await post(`${secondApp.url}/f/${t.formId}`, { email: 'last@example.com' })).status).toBe(200)

    for (const url of [t.app.url, secondApp.url]) {
      const limited = await post(`${url}/f/${t.formId}`, { email: 'one-more@example.com' })
      expect(limited.status).toBe(429)
      const retryAfter = Number(limited.headers.get('retry-after'))
      expect(retryAfter).toBeGreaterThan(0)
      expect(retryAfter).toBeLessThanOrEqual(FORM_POSTS_PER_IP.durationSeconds)
      expect(await limited.text()).toContain('Too many signups right now. Please try again in')
    }
  })

  it('limits one form across many addresses', async () => {
    const formId = '00000000-0000-4000-8000-00000000f0f0'
    for (let i = 0; i < FORM_POSTS_PER_FORM.points; i++) await limitPublicFormPost(t.app.services, { formId, ip: `10.0.${i >> 8}.${i & 255}` })
    await expect(limitPublicFormPost(t.app.services, { formId, ip: '10.9.9.9' })).rejects.toBeInstanceOf(RateLimitedError)
  })
})
