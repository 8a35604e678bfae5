import { Writable } from 'node:stream'
import { users } from '../../db/schema'
import { createLogger } from '../../core/logger'
import { logAccountEvents } from '../../core/account-events'
import { createTestDatabase } from '../db'

/** A destination that keeps every line the logger writes. */
function capture() {
  const lines: string[] = []
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(...String(chunk).split('\n').filter(Boolean))
      done()
    },
  })
  return { lines, stream, text: () => lines.join('\n') }
}

describe('the logger', () => {
  it('logs a failed query without the values it was run with (issue 16: a sign-up with a NUL byte logged the email and the argon2 hash)', async () => {
    const database = await createTestDatabase()
    try {
      const email = 'victim\u0000@example.com'
      const passwordHash = '$argon2id$v=19$m=19456,t=2,p=1$c2VjcmV0LXNhbHQ$c2VjcmV0LWhhc2gtdmFsdWU'
      const error = await database.db
        .insert(users)
        .values({ email, name: 'Victim', passwordHash })
        .then(() => null)
        .catch((e: unknown) => e)
      // The database refused it, and drizzle's error message carries the parameters.
      expect(error).toBeInstanceOf(Error)
      expect(String((error as Error).message)).toContain('argon2id')

      const out = capture()
      createLogger({ LOG_LEVEL: 'info', NODE_ENV: 'production' }, out.stream).error({ err: error }, 'sign-up failed')
      const [line] = out.lines
      const entry = JSON.parse(line!) as { msg: string; err: { message: string; stack: string; cause?: { message: string } } }
      expect(entry.msg).toBe('sign-up failed')
      expect(entry.err.message).toContain('Failed query')
      expect(entry.err.message).toContain('params: [redacted]')
      expect(out.text()).not.toContain('argon2id')
      expect(out.text()).not.toContain('victim')
    } finally {
      await database.close()
    }
  })

  it('redacts passwords, tokens, credentials and cookies wherever they sit in a logged object', () => {
    const out = capture()
    const logger = createLogger({ LOG_LEVEL: 'info', NODE_ENV: 'production' }, out.stream)
    logger.info({ password: 'hunter2hunter2', user: { token: 'tr_live_secret', credentials: { accessToken: 'at-123' } }, req: { headers: { cookie: 'sid=abc', authorization: 'Bearer xyz' } } }, 'event')
    const text = out.text()
    for (const secret of ['hunter2hunter2', 'tr_live_secret', 'at-123', 'sid=abc', 'Bearer xyz']) expect(text).not.toContain(secret)
    expect(text).toContain('[redacted]')
  })

  it('writes JSON lines at the configured level', () => {
    const out = capture()
    const logger = createLogger({ LOG_LEVEL: 'warn', NODE_ENV: 'production' }, out.stream)
    logger.info('not written')
    logger.warn({ workspaceId: 'w1' }, 'written')
    expect(out.lines).toHaveLength(1)
    expect(JSON.parse(out.lines[0]!)).toMatchObject({ level: 40, msg: 'written', workspaceId: 'w1' })
  })

  it('writes failed and throttled log-ins as security warnings (issue 16: nothing was logged for failed log-ins)', () => {
    const out = capture()
    const listen = logAccountEvents(createLogger({ LOG_LEVEL: 'info', NODE_ENV: 'production' }, out.stream))
    const at = new Date('2026-12-06T00:00:00Z')
    listen({ type: 'login-failed', email: 'owner@example.com', ip: '203.0.113.9', reason: 'password', at })
    listen({ type: 'login-succeeded', userId: 'u1', ip: '203.0.113.9', secondFactor: 'totp', at })
    const [failed, succeeded] = out.lines.map((l) => JSON.parse(l) as { level: number; msg: string; security: { type: string; ip: string } })
    expect(failed).toMatchObject({ level: 40, msg: 'account event: login-failed', security: { type: 'login-failed', ip: '203.0.113.9' } })
    expect(succeeded).toMatchObject({ level: 30, security: { type: 'login-succeeded' } })
  })
})
