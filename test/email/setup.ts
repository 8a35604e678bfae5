import { fixedClock } from '../../domain/clock'
import { listSignupForms } from '../../db/queries/contacts'
import { defineSignupConfirmation } from '../../jobs/signup-confirmation'
import type { DefineJobs } from '../../jobs/worker'
import { signUpAs, startTestApp, type TestApp, type TestBrowser } from '../app-server'
import { startSmtpServer, type TestSmtpServer } from '../servers/smtp'

export type EmailTestApp = {
  app: TestApp
  smtp: TestSmtpServer
  clock: ReturnType<typeof fixedClock>
  browser: TestBrowser
  token: string
  workspaceId: string
  formId: string
  api(method: string, path: string, body?: unknown, init?: { contentType?: string; token?: string }): Promise<Response>
  close(): Promise<void>
}

export const T0 = new Date('2026-11-02T09:00:00Z')

/**
 * The built app on a fresh database with a loopback SMTP server, an owner signed in, an API token, the
 * sender configured and one signup form, all through the real pages; a worker sends the forms' confirmation emails (unless `worker: false`,
 * or `worker` defines the jobs it runs).
 */
export async function startEmailApp(options: { worker?: boolean | DefineJobs; env?: Record<string, string> } = {}): Promise<EmailTestApp> {
  const clock = fixedClock(T0)
  const smtp = await startSmtpServer()
  // A worker runs the signup forms' confirmation emails (they are queued, not sent inside the request).
  const app = await startTestApp({ clock, env: options.env, worker: options.worker === false ? undefined : typeof options.worker === 'function' ? options.worker : defineSignupConfirmation })
  const browser = await signUpAs(app, { email: 'owner@brand.test' })
  const tokenPage = await browser.submit('/app/settings/tokens', { intent: 'create', name: 'email tests' })
  const token = /trk_[A-Za-z0-9_-]+/.exec(await tokenPage.text())![0]
  const me = await (await fetch(`${app.url}/api/v1/me`, { headers: { Authorization: `Bearer ${token}` } })).json()
  const sender = await browser.submit('/app/contacts/forms', {
    intent: 'save-sender',
    fromName: 'Brand News',
    fromEmail: 'news@brand.test',
    replyTo: '',
    postalAddress: 'Brand Inc.\n1 Main St, Springfield',
    host: smtp.host,
    port: String(smtp.port),
    security: 'none',
    user: '',
    password: '',
  })
  if (sender.status !== 200) throw new Error(`saving the sender failed: ${sender.status} ${await sender.text()}`)
  const created = await browser.submit('/app/contacts/forms', { intent: 'create-form', name: 'Newsletter', consentText: 'Yes, send me the weekly newsletter.', tags: 'newsletter' })
  if (created.status !== 200) throw new Error(`creating the form failed: ${created.status}`)
  const [form] = await listSignupForms(app.services.database.db, { workspaceId: me.workspace.id })
  return {
    app,
    smtp,
    clock,
    browser,
    token,
    workspaceId: me.workspace.id,
    formId: form!.id,
    api: (method, path, body, init = {}) =>
      fetch(`${app.url}${path}`, {
        method,
        headers: { Authorization: `Bearer ${init.token ?? token}`, ...(body === undefined ? {} : { 'Content-Type': init.contentType ?? 'application/json' }) },
        body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      }),
    async close() {
      await app.close()
      await smtp.close()
    },
  }
}

/** The first link in a text body that starts with `prefix`. */
export function linkIn(text: string, prefix: string): string {
  const match = new RegExp(`${prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}[^\\s)>\\]"]+`).exec(text)
  if (!match) throw new Error(`no link starting with ${prefix} in:\n${text}`)
  return match[0]
}
