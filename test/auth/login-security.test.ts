import { eq } from 'drizzle-orm'
import { Secret, TOTP } from 'otpauth'
import { openDatabase } from '../../db/client'
import { users } from '../../db/schema'
import { fixedClock } from '../../domain/clock'
import { signUpAs, startTestApp, TestBrowser, type TestApp } from '../app-server'

const clock = fixedClock(new Date())
let app: TestApp
beforeAll(async () => {
  app = await startTestApp({ clock })
})
afterAll(async () => {
  await app?.close()
})

const password = 'correct horse battery staple'
const DAY = 24 * 60 * 60 * 1000

async function logIn(browser: TestBrowser, email: string, pass = password) {
  return browser.submit('/login', { email, password: pass })
}

describe('log-in throttle', () => {
  it("an attacker's failures from one address block that address, not the owner logging in from another; the count survives a restart", async () => {
    await signUpAs(app, { email: 'owner@throttle.test' })
    const attacker = new TestBrowser(app.url, { localAddress: '127.0.0.2' })
    const statuses: number[] = []
    for (let i = 0; i < 12; i++) statuses.push((await logIn(attacker, 'owner@throttle.test', `wrong guess number ${i}`)).status)
    expect(statuses.slice(0, 5)).toEqual([400, 400, 400, 400, 400])
    expect(statuses.slice(6)).toEqual([429, 429, 429, 429, 429, 429])
    // Even the right password is refused from the blocked address.
    const blocked = await logIn(attacker, 'owner@throttle.test')
    expect(blocked.status).toBe(429)
    expect(await blocked.text()).toContain('Too many failed attempts')

    const owner = new TestBrowser(app.url, { localAddress: '127.0.0.3' })
    const ok = await logIn(owner, 'owner@throttle.test')
    expect(ok.status).toBe(302)
    expect((await owner.get('/app')).status).toBe(200)

    // New services on the same database (a restart, or another web process) still block the attacker.
    const restarted = await startTestApp({ clock, database: await openDatabase({ url: app.databaseUrl!, max: 2 }) })
    try {
      const again = new TestBrowser(restarted.url, { localAddress: '127.0.0.2' })
      expect((await logIn(again, 'owner@throttle.test')).status).toBe(429)
      // The block ends: growing, but temporary.
      clock.advance(2 * 60 * 60 * 1000)
      expect((await logIn(again, 'owner@throttle.test')).status).toBe(302)
    } finally {
      await restarted.close()
    }
  })
})

describe('two-step verification (TOTP)', () => {
  it('enrols with a code, asks for a code at log-in, refuses a replayed code, and takes each recovery code once', async () => {
    const events: string[] = []
    app.services.onAccountEvent = (event) => {
      events.push(event.type)
    }
    const email = 'totp@mfa.test'
    const browser = await signUpAs(app, { email })
    expect(await (await browser.get('/app/settings/security')).text()).toContain('Set up two-step verification')
    expect((await browser.submit('/app/settings/security', { intent: 'totp-start' })).status).toBe(200)
    const page = await (await browser.get('/app/settings/security')).text()
    const secret = /data-testid="totp-secret"[^>]*>([A-Z2-7]+)</.exec(page)?.[1]
    expect(secret).toBeTruthy()
    expect(page).toContain('src="data:image/png;base64,')
    const totp = new TOTP({ issuer: 'Trickle', label: email, secret: Secret.fromBase32(secret!) })
    const codeNow = () => totp.generate({ timestamp: clock.now().getTime() })

    // The secret is sealed at rest.
    const [row] = await app.services.database.db.select().from(users).where(eq(users.email, email))
    expect(row!.totpSecretCiphertext).toMatch(/^v1\./)
    expect(row!.totpSecretCiphertext).not.toContain(secret)

    const wrong = await browser.submit('/app/settings/security', { intent: 'totp-confirm', code: String((Number(codeNow()) + 1) % 1_000_000).padStart(6, '0') })
    expect(wrong.status).toBe(400)
    expect(await wrong.text()).toContain('That code is not right')
    const confirmed = await browser.submit('/app/settings/security', { intent: 'totp-confirm', code: codeNow() })
    expect(confirmed.status).toBe(200)
    const recoveryCodes = [...(await confirmed.text()).matchAll(/<li[^>]*>(?:<[^>]+>)*([a-z2-9]{6}-[a-z2-9]{6}-[a-z2-9]{6}-[a-z2-9]{6})</g)].map((m) => m[1]!)
    expect(recoveryCodes).toHaveLength(10)

    // Log-in: the password alone gives no session, only the second step.
    clock.advance(30_000)
    const second = new TestBrowser(app.url)
    const step1 = await second.submit('/login?redirectTo=/app/settings/tokens', { email, password })
    expect(step1.status).toBe(302)
    const verifyUrl = new URL(step1.headers.get('location')!, app.url)
    expect(verifyUrl.pathname).toBe('/login/verify')
    expect(verifyUrl.searchParams.get('redirectTo')).toBe('/app/settings/tokens')
    expect((await second.get('/app')).status).toBe(302)
    const bad = await second.submit('/login/verify?redirectTo=/app/settings/tokens', { code: '000000' === codeNow() ? '111111' : '000000' })
    expect(bad.status).toBe(400)
    const code = codeNow()
    const step2 = await second.submit('/login/verify?redirectTo=/app/settings/tokens', { code })
    expect(step2.status).toBe(302)
    expect(step2.headers.get('location')).toBe('/app/settings/tokens')
    expect((await second.get('/app')).status).toBe(200)

    // The same code (same 30-second step) does not work twice.
    const replay = new TestBrowser(app.url)
    expect((await replay.submit('/login', { email, password })).status).toBe(302)
    expect((await replay.submit('/login/verify', { code })).status).toBe(400)
    // A recovery code works once (typed in capitals, without dashes).
    const recovery = await replay.submit('/login/verify', { code: recoveryCodes[0]!.replace(/-/g, '').toUpperCase() })
    expect(recovery.status).toBe(302)
    expect((await replay.get('/app')).status).toBe(200)
    const reused = new TestBrowser(app.url)
    expect((await reused.submit('/login', { email, password })).status).toBe(302)
    expect((await reused.submit('/login/verify', { code: recoveryCodes[0]! })).status).toBe(400)
    expect(await (await browser.get('/app/settings/security')).text()).toContain('9 unused recovery codes left')

    // Turning it off needs the password again.
    expect((await browser.submit('/app/settings/security', { intent: 'totp-disable', password: 'not my password at all' })).status).toBe(400)
    expect((await browser.submit('/app/settings/security', { intent: 'totp-disable', password })).status).toBe(200)
    const plain = new TestBrowser(app.url)
    expect((await plain.submit('/login', { email, password })).headers.get('location')).toBe('/app')
    expect(events).toEqual(expect.arrayContaining(['totp-enabled', 'login-succeeded', 'recovery-code-used', 'totp-disabled']))
    app.services.onAccountEvent = undefined
  })
})

describe('sessions', () => {
  it('end after 7 idle days (sliding) and after 30 days whatever the use', async () => {
    const browser = await signUpAs(app, { email: 'idle@sessions.test' })
    for (let i = 0; i < 4; i++) {
      clock.advance(6 * DAY)
      expect((await browser.get('/app')).status, `day ${(i + 1) * 6}`).toBe(200)
    }
    clock.advance(6 * DAY)
    const expired = await browser.get('/app')
    expect(expired.status, 'day 30').toBe(302)
    expect(expired.headers.get('location')).toMatch(/^\/login/)

    const idle = new TestBrowser(app.url)
    expect((await logIn(idle, 'idle@sessions.test')).status).toBe(302)
    clock.advance(7 * DAY + 60_000)
    expect((await idle.get('/app')).status).toBe(302)
  })

  it('cookies are named __Host-… and Secure when APP_URL is https; plain http keeps the bare names', async () => {
    const plain = await signUpAs(app, { email: 'http@cookies.test' })
    expect([...plain.cookies.keys()]).toEqual(expect.arrayContaining(['trickle_session', 'trickle_csrf']))

    const httpUrl = app.services.config.APP_URL
    app.services.config = { ...app.services.config, APP_URL: 'https://trickle.example' }
    try {
      const browser = new TestBrowser(app.url)
      const page = await browser.get('/signup')
      expect(page.headers.getSetCookie().join('\n')).toMatch(/^__Host-trickle_csrf=[^;]+;.*Path=\/;.*Secure/m)
      await page.text()
      const secure = await signUpAs(app, { email: 'https@cookies.test' })
      expect([...secure.cookies.keys()]).toEqual(expect.arrayContaining(['__Host-trickle_session', '__Host-trickle_csrf']))
      expect([...secure.cookies.keys()]).not.toContain('trickle_session')
      expect((await secure.get('/app')).status).toBe(200)
    } finally {
      app.services.config = { ...app.services.config, APP_URL: httpUrl }
    }
  })
})
