import { eq } from 'drizzle-orm'
import { sessions, users } from '../../db/schema'
import { signUpAs, startTestApp, TestBrowser, type TestApp } from '../app-server'

let app: TestApp
beforeAll(async () => {
  app = await startTestApp()
})
afterAll(async () => {
  await app?.close()
})

const password = 'correct horse battery staple'

describe('sign-up, log-in, log-out', () => {
  it('signs up into a new workspace, logs out server-side, and a copied cookie stops working', async () => {
    const browser = await signUpAs(app, { email: 'Ada@Example.com', name: 'Ada', workspaceName: 'Analytical' })
    const dashboard = await browser.get('/app')
    expect(dashboard.status).toBe(200)
    expect(await dashboard.text()).toContain('Analytical')

    const [user] = await app.services.database.db.select().from(users).where(eq(users.email, 'ada@example.com'))
    expect(user?.passwordHash).toMatch(/^\$argon2id\$/)
    const stolen = new TestBrowser(app.url)
    for (const [k, v] of browser.cookies) stolen.cookies.set(k, v)
    expect((await stolen.get('/app')).status).toBe(200)

    const logout = await browser.submit('/app', {}, { action: '/logout' })
    expect(logout.status).toBe(302)
    expect(logout.headers.get('location')).toBe('/login')
    expect(browser.cookies.has('trickle_session')).toBe(false)
    expect(await app.services.database.db.select().from(sessions).where(eq(sessions.userId, user!.id))).toHaveLength(0)

    const replay = await stolen.get('/app/settings/members')
    expect(replay.status).toBe(302)
    expect(replay.headers.get('location')).toBe('/login?redirectTo=%2Fapp%2Fsettings%2Fmembers')

    const again = new TestBrowser(app.url)
    const login = await again.submit('/login?redirectTo=/app/settings/tokens', { email: 'ada@example.com', password })
    expect(login.status).toBe(302)
    expect(login.headers.get('location')).toBe('/app/settings/tokens')
    expect((await again.get('/app/settings/tokens')).status).toBe(200)
  })

  it('rejects a wrong password and an unknown email with the same message and no session', async () => {
    await signUpAs(app, { email: 'grace@example.com' })
    for (const attempt of [
      { email: 'grace@example.com', password: 'not the right password' },
      { email: 'nobody@example.com', password },
    ]) {
      const browser = new TestBrowser(app.url)
      const response = await browser.submit('/login', attempt)
      expect(response.status).toBe(400)
      expect(await response.text()).toContain('That email and password do not match an account')
      expect(browser.cookies.has('trickle_session')).toBe(false)
    }
  })

  it('shows each sign-up error on its field, tied with aria-describedby', async () => {
    const browser = new TestBrowser(app.url)
    const response = await browser.submit('/signup', { email: 'not-an-email', password: 'short', name: '', workspaceName: 'X' })
    expect(response.status).toBe(400)
    const html = await response.text()
    for (const message of ['Enter an email address like name@example.com', 'Use at least 12 characters', 'Enter your name']) {
      const id = new RegExp(`id="([^"]+)"[^>]*>${message}`).exec(html)?.[1]
      expect(id, message).toBeTruthy()
      expect(html).toMatch(new RegExp(`<input[^>]*aria-describedby="[^"]*${id}`))
    }
    const taken = await browser.submit('/signup', { email: 'grace@example.com', password, name: 'G', workspaceName: 'X' })
    expect(taken.status).toBe(400)
    expect(await taken.text()).toContain('An account with this email already exists')
  })
})

describe('CSRF', () => {
  it('rejects forms without the token or with a wrong one with 403', async () => {
    const anonymous = new TestBrowser(app.url)
    for (const csrf of [null, 'forged-token']) {
      const login = await anonymous.submit('/login', { email: 'grace@example.com', password }, { csrf })
      expect(login.status).toBe(403)
      expect(await login.text()).toContain('could not be verified')
    }
    const noCookie = await new TestBrowser(app.url).post('/signup', { csrf: 'x', email: 'e@example.com', password, name: 'E', workspaceName: 'E' })
    expect(noCookie.status).toBe(403)
    expect(await noCookie.text()).toContain('allow cookies')

    const member = await signUpAs(app, { email: 'csrf@example.com' })
    for (const [page, fields] of [
      ['/app/settings/tokens', { intent: 'create', name: 'x' }],
      ['/app/settings/workspace', { name: 'Renamed', timezone: 'UTC' }],
      ['/app/settings/invitations', { intent: 'create', role: 'editor' }],
    ] as const) {
      expect((await member.submit(page, fields, { csrf: null })).status, page).toBe(403)
      expect((await member.submit(page, fields, { csrf: 'wrong' })).status, page).toBe(403)
      const ok = await member.submit(page, fields)
      expect(ok.status, page).toBe(200)
    }
    expect((await member.submit('/app', {}, { action: '/logout', csrf: null })).status).toBe(403)
    expect((await member.get('/app')).status).toBe(200)
  })
})
