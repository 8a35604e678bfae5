import { execFile } from 'node:child_process'
import path from 'node:path'
import { promisify } from 'node:util'
import { eq } from 'drizzle-orm'
import { saveSender } from '../../core/email.server'
import { sessions, users } from '../../db/schema'
import { fixedClock } from '../../domain/clock'
import { csrfTokenOf, signUpAs, startTestApp, TestBrowser, type TestApp } from '../app-server'
import { startSmtpServer, type TestSmtpServer } from '../servers/smtp'

const clock = fixedClock(new Date())
let app: TestApp
let smtp: TestSmtpServer
beforeAll(async () => {
  app = await startTestApp({ clock })
  smtp = await startSmtpServer()
})
afterAll(async () => {
  await app?.close()
  await smtp?.close()
})

const password = 'correct horse battery staple'
const newPassword = 'violet tractor under moonlight'

async function logIn(email: string, pass: string) {
  const browser = new TestBrowser(app.url)
  return { browser, response: await browser.submit('/login', { email, password: pass }) }
}

async function sessionCount(email: string) {
  const [user] = await app.services.database.db.select().from(users).where(eq(users.email, email))
  return (await app.services.database.db.select().from(sessions).where(eq(sessions.userId, user!.id))).length
}

/** The error text is tied to its input with aria-describedby (the field is named by its label). */
function expectFieldError(html: string, name: string, message: string) {
  const id = new RegExp(`id="([^"]+)"[^>]*>${message.replace(/[.()?]/g, '\\$&')}`).exec(html)?.[1]
  expect(id, message).toBeTruthy()
  expect(html).toMatch(new RegExp(`<input[^>]*name="${name}"[^>]*aria-describedby="[^"]*${id}|<input[^>]*aria-describedby="[^"]*${id}[^>]*name="${name}"`))
}

describe('common passwords', () => {
  it('are refused at sign-up with a message on the password field', async () => {
    const browser = new TestBrowser(app.url)
    const response = await browser.submit('/signup', { email: 'weak@pw.test', password: 'Password123!', name: 'Weak', workspaceName: 'W' })
    expect(response.status).toBe(400)
    expectFieldError(await response.text(), 'password', 'This password is too common or easy to guess')
    expect(browser.cookies.has('trickle_session')).toBe(false)
  })
})

describe('changing the password', () => {
  it('checks the current one, refuses a common new one, and signs out every other session', async () => {
    const email = 'change@pw.test'
    const browser = await signUpAs(app, { email })
    const { browser: laptop } = await logIn(email, password)
    expect((await laptop.get('/app')).status).toBe(200)
    expect(await sessionCount(email)).toBe(2)

    const wrongCurrent = await browser.submit('/app/settings/security', { intent: 'change-password', currentPassword: 'not it at all', newPassword, confirmPassword: newPassword })
    expect(wrongCurrent.status).toBe(400)
    expectFieldError(await wrongCurrent.text(), 'currentPassword', 'That is not your current password')
    const common = await browser.submit('/app/settings/security', { intent: 'change-password', currentPassword: password, newPassword: 'qwertyuiop123', confirmPassword: 'qwertyuiop123' })
    expect(common.status).toBe(400)
    expectFieldError(await common.text(), 'newPassword', 'This password is too common or easy to guess')

    const changed = await browser.submit('/app/settings/security', { intent: 'change-password', currentPassword: password, newPassword, confirmPassword: newPassword })
    expect(changed.status).toBe(200)
    expect(await changed.text()).toContain('1 other session was signed out')
    expect((await browser.get('/app')).status).toBe(200)
    expect((await laptop.get('/app')).status).toBe(302)
    expect((await logIn(email, password)).response.status).toBe(400)
    expect((await logIn(email, newPassword)).response.status).toBe(302)
  })
})

describe('password reset', () => {
  it('mails a single-use link that expires, and the reset signs out every session', async () => {
    const email = 'reset@pw.test'
    const browser = await signUpAs(app, { email, workspaceName: 'Resetters' })
    const [user] = await app.services.database.db.select().from(users).where(eq(users.email, email))
    const workspaceId = (await app.services.database.db.query.memberships.findFirst({ where: (m, { eq }) => eq(m.userId, user!.id) }))!.workspaceId
    await saveSender(app.services, {
      workspaceId,
      fromName: 'Resetters',
      fromEmail: 'team@resetters.test',
      replyTo: null,
      postalAddress: '1 Main St',
      smtp: { host: smtp.host, port: smtp.port, security: 'none' },
    })

    // Unknown emails get the same answer and no mail.
    const anonymous = new TestBrowser(app.url)
    const unknown = await anonymous.submit('/forgot-password', { email: 'nobody@pw.test' })
    expect(unknown.status).toBe(200)
    expect(await unknown.text()).toContain('Check your email')
    const asked = await anonymous.submit('/forgot-password', { email: 'Reset@PW.test' })
    expect(asked.status).toBe(200)
    expect(await asked.text()).toContain('Check your email')
    const [message] = await smtp.waitForMessages(1)
    expect(smtp.messages).toHaveLength(1)
    expect(message!.envelope.to).toEqual([email])
    const link = /https?:\/\/\S+\/reset-password\/[A-Za-z0-9_-]+/.exec(message!.parsed.text ?? '')?.[0]
    expect(link).toBeTruthy()
    const resetPath = new URL(link!).pathname

    const form = await anonymous.get(resetPath)
    expect(form.status).toBe(200)
    expect(form.headers.get('referrer-policy')).toBe('no-referrer')
    const formHtml = await form.text()
    expect(formHtml).toContain('Choose a new password')
    const csrf = csrfTokenOf(formHtml)
    const weak = await anonymous.submit(resetPath, { password: 'password12345', confirmPassword: 'password12345' })
    expect(weak.status).toBe(400)
    expectFieldError(await weak.text(), 'password', 'This password is too common or easy to guess')
    const reset = await anonymous.submit(resetPath, { password: newPassword, confirmPassword: newPassword })
    expect(reset.status).toBe(302)
    expect(reset.headers.get('location')).toBe('/login?reset=1')
    expect((await browser.get('/app')).status).toBe(302)
    expect(await sessionCount(email)).toBe(0)
    expect((await logIn(email, newPassword)).response.status).toBe(302)

    // Single use.
    const again = await anonymous.post(resetPath, { csrf, password: 'another fine passphrase', confirmPassword: 'another fine passphrase' })
    expect(again.status).toBe(410)
    expect(await again.text()).toContain('expired or was already used')
    expect((await logIn(email, newPassword)).response.status).toBe(302)

    // Expiring: a fresh link is dead after an hour.
    clock.advance(3 * 60_000)
    await anonymous.submit('/forgot-password', { email })
    const [, second] = await smtp.waitForMessages(2)
    const secondPath = new URL(/https?:\/\/\S+\/reset-password\/[A-Za-z0-9_-]+/.exec(second!.parsed.text ?? '')![0]).pathname
    clock.advance(61 * 60_000)
    expect(await (await anonymous.get(secondPath)).text()).toContain('This link does not work any more')
    expect((await anonymous.post(secondPath, { csrf, password: 'another fine passphrase', confirmPassword: 'another fine passphrase' })).status).toBe(410)
    expect((await logIn(email, newPassword)).response.status).toBe(302)
  })

  it('an operator resets a password with the CLI, which signs the user out everywhere', async () => {
    const email = 'cli@pw.test'
    const browser = await signUpAs(app, { email })
    const root = path.resolve(import.meta.dirname, '../..')
    const cli = async (args: string[]) => {
      const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: app.databaseUrl, NODE_ENV: 'development' }
      try {
        const { stdout, stderr } = await promisify(execFile)(path.join(root, 'node_modules/.bin/tsx'), [path.join(root, 'scripts/cli.ts'), ...args], { cwd: root, env })
        return { code: 0, stdout, stderr }
      } catch (error) {
        return error as { code: number; stdout: string; stderr: string }
      }
    }
    const common = await cli(['user', 'reset-password', '--email', email, '--password', 'letmein12345'])
    expect(common.code).toBe(1)
    expect(common.stderr).toContain('--password: This password is too common')
    const done = await cli(['user', 'reset-password', '--email', email, '--password', newPassword])
    expect(done.stderr).toBe('')
    expect(done.stdout).toContain(`Set a new password for ${email}; 1 session(s) signed out`)
    expect((await browser.get('/app')).status).toBe(302)
    expect((await logIn(email, password)).response.status).toBe(400)
    expect((await logIn(email, newPassword)).response.status).toBe(302)
  }, 60_000)
})
