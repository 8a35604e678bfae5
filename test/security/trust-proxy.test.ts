import { asc, eq } from 'drizzle-orm'
import { findUserByEmail } from '../../db/queries/users'
import { listWorkspacesOfUser } from '../../db/queries/workspaces'
import { auditEvents } from '../../db/schema'
import { ConfigError, loadConfig, parseTrustProxy } from '../../core/env.server'
import { signUpAs, startTestApp, TestBrowser, type TestApp } from '../app-server'

/**
 * TRUST_PROXY (decision 068): off, X-Forwarded-For is ignored, so a client cannot dodge the log-in
 * throttle or put another address in the audit log by sending one; on, the address the trusted proxy
 * appended is the client's.
 */

async function failLogIns(app: TestApp, email: string, forwardedFor: (i: number) => string, times: number): Promise<number[]> {
  const statuses: number[] = []
  for (let i = 0; i < times; i++) {
    const browser = new TestBrowser(app.url, { localAddress: '127.0.0.2' })
    const page = await browser.get('/login')
    const csrf = /name="csrf" value="([^"]*)"/.exec(await page.text())![1]!
    const response = await browser.request('/login', {
      method: 'POST',
      headers: { 'X-Forwarded-For': forwardedFor(i) },
      body: new URLSearchParams({ csrf, email, password: `wrong guess ${i}` }),
    })
    statuses.push(response.status)
  }
  return statuses
}

async function failureIps(app: TestApp, email: string): Promise<(string | null)[]> {
  const db = app.services.database.db
  const user = (await findUserByEmail(db, { email }))!
  const [workspace] = await listWorkspacesOfUser(db, { userId: user.id })
  const rows = await db.select().from(auditEvents).where(eq(auditEvents.workspaceId, workspace!.workspaceId)).orderBy(asc(auditEvents.id))
  return rows.filter((r) => r.kind === 'login.failed').map((r) => r.ip)
}

describe('TRUST_PROXY off (the default)', () => {
  let app: TestApp
  beforeAll(async () => {
    app = await startTestApp()
  })
  afterAll(async () => {
    await app?.close()
  })

  it('ignores X-Forwarded-For: a new forged address per try does not escape the throttle, and the audit log has the real one', async () => {
    expect(app.services.config.TRUST_PROXY).toBe(false)
    await signUpAs(app, { email: 'victim@proxy-off.test' })
    const statuses = await failLogIns(app, 'victim@proxy-off.test', (i) => `203.0.113.${i + 1}`, 8)
    expect(statuses.slice(0, 5)).toEqual([400, 400, 400, 400, 400])
    expect(statuses.slice(6)).toEqual([429, 429])
    const ips = await failureIps(app, 'victim@proxy-off.test')
    expect(ips.length).toBeGreaterThanOrEqual(6)
    expect(new Set(ips)).toEqual(new Set(['127.0.0.2']))
  })
})

describe('TRUST_PROXY on (one proxy)', () => {
  let app: TestApp
  beforeAll(async () => {
    app = await startTestApp({ env: { TRUST_PROXY: '1' } })
  })
  afterAll(async () => {
    await app?.close()
  })

  it('uses the address the proxy appended: distinct clients are counted apart, one client is throttled, a forged first entry is ignored', async () => {
    expect(app.services.config.TRUST_PROXY).toBe(1)
    await signUpAs(app, { email: 'victim@proxy-on.test' })
    // Eight clients behind the proxy, one failure each: nobody is throttled.
    expect(await failLogIns(app, 'victim@proxy-on.test', (i) => `198.51.100.${i + 1}`, 8)).toEqual(Array(8).fill(400))
    // One client (its own forged entry first, the proxy's last) is throttled whatever it forges.
    const statuses = await failLogIns(app, 'victim@proxy-on.test', (i) => `10.9.9.${i + 1}, 203.0.113.77`, 8)
    expect(statuses.slice(6)).toEqual([429, 429])
    const ips = await failureIps(app, 'victim@proxy-on.test')
    expect(ips.slice(0, 8)).toEqual(Array.from({ length: 8 }, (_, i) => `198.51.100.${i + 1}`))
    expect(new Set(ips.slice(8))).toEqual(new Set(['203.0.113.77']))
  })
})

describe('TRUST_PROXY setting', () => {
  const base = { NODE_ENV: 'test' as const, SESSION_SECRET: 'x'.repeat(32), TOKEN_ENCRYPTION_KEY: Buffer.alloc(32).toString('base64') }

  it('takes false, a hop count, or proxy addresses, subnets and loopback', () => {
    expect(loadConfig(base).TRUST_PROXY).toBe(false)
    expect(loadConfig({ ...base, TRUST_PROXY: 'false' }).TRUST_PROXY).toBe(false)
    expect(loadConfig({ ...base, TRUST_PROXY: '2' }).TRUST_PROXY).toBe(2)
    expect(loadConfig({ ...base, TRUST_PROXY: 'loopback, 10.0.0.0/8, fd00::/8, 192.0.2.10' }).TRUST_PROXY).toEqual(['loopback', '10.0.0.0/8', 'fd00::/8', '192.0.2.10'])
  })

  it('refuses `true` (any client could name its own address) and anything that is not an address', () => {
    expect(() => loadConfig({ ...base, TRUST_PROXY: 'true' })).toThrow(ConfigError)
    expect(() => loadConfig({ ...base, TRUST_PROXY: 'proxy.example.com' })).toThrow(/TRUST_PROXY/)
    expect(parseTrustProxy('10.0.0.0/33')).toMatch(/not an IP address/)
    expect(parseTrustProxy('11')).toMatch(/at most 10/)
  })
})
