import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { type Browser, type Page } from 'playwright-core'
import { desktopContext, launchChromium, pageErrors, signUpInBrowser } from './browser'
import { connectAccount } from '../../db/queries/accounts'
import { ensureContact, insertSignupForm } from '../../db/queries/contacts'
import { findUserByEmail } from '../../db/queries/users'
import { listWorkspacesOfUser } from '../../db/queries/workspaces'
import { eq } from 'drizzle-orm'
import { deliveries, linkClicks, postMetrics, sequences, shortLinks } from '../../db/schema'
import { fixedClock } from '../../domain/clock'
import { createDrip, enrollContact } from '../../core/drips.server'
import { runBulkEnrollment, startBulkEnrollment } from '../../core/drips/bulk-enroll.server'
import { saveSender } from '../../core/email.server'
import { signedEmailUrl } from '../../core/email-links.server'
import { saveDkim } from '../../core/dkim.server'
import { startTestApp, type TestApp } from '../app-server'

/**
 * Automated accessibility check (axe-core, injected into Chromium) of every page a user or a contact
 * reaches: zero serious or critical violations, at desktop and at phone width, where no page may scroll
 * sideways; and no page throws in the browser (hydration errors included).
 */

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8')
const clock = fixedClock(new Date('2026-03-10T12:00:00Z'))

let app: TestApp
let browser: Browser

beforeAll(async () => {
  ;[app, browser] = await Promise.all([startTestApp({ clock }), launchChromium()])
})
afterAll(async () => {
  await browser?.close()
  await app?.close()
})

type Violation = { page: string; width: number; id: string; impact: string; help: string; targets: string[] }

async function audit(page: Page, path: string, width: number): Promise<Violation[]> {
  const response = await page.goto(`${app.url}${path}`)
  expect(response?.status(), path).toBeLessThan(400)
  await page.waitForLoadState('networkidle')
  return runAxe(page, path, width)
}

/**
 * A page at desktop width, then the same page narrowed to phone width (as a window is resized): one
 * load and one hydration for both audits, half of this test's time before.
 */
async function auditAtBothWidths(page: Page, path: string): Promise<Violation[]> {
  await page.setViewportSize({ width: 1280, height: 900 })
  const desktop = await audit(page, path, 1280)
  await page.setViewportSize({ width: 390, height: 844 })
  // Two frames: the media queries' re-render has been painted.
  await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))))
  await page.waitForLoadState('networkidle')
  return [...desktop, ...(await runAxe(page, path, 390))]
}

/** axe-core on the page as it is now: serious and critical violations, and sideways scrolling. */
async function runAxe(page: Page, path: string, width: number): Promise<Violation[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.addScriptTag({ content: axeSource })
  const result = await page.evaluate(async () => {
    const run = (window as unknown as { axe: { run(context: Document): Promise<{ violations: Array<{ id: string; impact: string; help: string; nodes: Array<{ target: string[]; failureSummary?: string }> }> }> } }).axe.run
    const { violations } = await run(document)
    return { violations, overflow: document.documentElement.scrollWidth > window.innerWidth + 1 }
  })
  const found = result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => ({ page: path, width, id: v.id, impact: v.impact, help: v.help, targets: v.nodes.slice(0, 3).map((n) => `${n.target.join(' ')}: ${n.failureSummary?.split('\n').slice(1).join(' ').slice(0, 160) ?? ''}`) }))
  if (result.overflow) found.push({ page: path, width, id: 'horizontal-overflow', impact: 'serious', help: 'The page scrolls sideways', targets: [] })
  return found
}

it('finds no serious or critical accessibility violation on any page, at desktop and phone width', async () => {
  // axe-core is injected as an inline script, which the pages' CSP (rightly) refuses.
  const context = await desktopContext(browser, { bypassCSP: true })
  const page = await context.newPage()
  const violations: Violation[] = []
  for (const path of ['/signup', '/login', '/forgot-password']) violations.push(...(await audit(page, path, 1280)))

  await signUpInBrowser(page, app.url, { name: 'Ada', email: 'ada@axe.test', workspaceName: 'Access team' })

  const db = app.services.database.db
  const user = await findUserByEmail(db, { email: 'ada@axe.test' })
  const { workspaceId } = (await listWorkspacesOfUser(db, { userId: user!.id }))[0]!
  const account = await connectAccount(db, {
    workspaceId,
    kind: 'mastodon',
    remoteAccountId: '1@social.example',
    handle: 'team@social.example',
    credentials: { accessToken: 'secret', extra: { instanceUrl: 'https://social.example' } },
    keyring: app.services.keyring,
    clock,
  })
  // A sender with a DKIM key, so the sender page shows its DKIM record and guidance.
  await saveSender(app.services, { workspaceId, fromName: 'Team', fromEmail: 'news@axe.test', replyTo: null, postalAddress: '1 Main St', smtp: { host: '127.0.0.1', port: 2525, security: 'none' } })
  await saveDkim(app.services, { workspaceId, actorUserId: user!.id, form: { intent: 'save-dkim', domain: 'axe.test', selector: 'trickle1', key: 'generate' } })
  const { contact } = await ensureContact(db, { workspaceId, email: 'reader@axe.test', name: 'Reader', at: clock.now() })
  const form = await insertSignupForm(db, { workspaceId, name: 'Newsletter', consentText: 'Send me the newsletter. Unsubscribe any time.' })
  const claims = { workspaceId, contactId: contact.id }
  const tokenOf = (url: string) => new URL(url).pathname

  // A series, created the way a user does, for the series page.
  await page.goto(`${app.url}/app/series/new`)
  await page.waitForLoadState('networkidle')
  await page.getByLabel('Name').fill('Tips')
  await page.getByLabel('Post 1', { exact: true }).fill('First tip\n---\nSecond tip')
  await page.getByLabel('Start').fill('2026-03-17T09:00')
  await page.getByRole('button', { name: 'Create series' }).click()
  await page.waitForURL(/\/app\/calendar\?series=/)
  const seriesId = new URL(page.url()).searchParams.get('series')!
  void account
  const drip = await createDrip(app.services, {
    workspaceId,
    input: {
      name: 'Welcome',
      campaign: 'Launch',
      triggers: [{ kind: 'form', formId: form.id }, { kind: 'email_activity', activity: 'clicked' }],
      steps: [
        { subject: 'Welcome!', markdown: 'Hello {{first_name | "there"}}' },
        { subject: 'Tips', markdown: 'Two tips', delay: 'P2D', condition: { kind: 'email', activity: 'opened', step: 0 } },
        // An action step and an email-activity trigger: the builder's action and activity fields are checked too.
        { kind: 'action', action: { type: 'webhook', url: 'https://hooks.example.com/trickle' }, delay: 'P1D' },
      ],
    },
  })

  // The contact in the drip (the contact page's Drips table) and a finished bulk enrollment (its progress page).
  await enrollContact(app.services, { workspaceId, dripId: drip.id, input: { contactId: contact.id }, source: 'manual' })
  const run = await startBulkEnrollment(app.services, { workspaceId, dripId: drip.id, input: { from: 'csv', file: 'email\nreader@axe.test\nnobody@axe.test\n' } })
  await runBulkEnrollment(app.services, { workspaceId, runId: run.id })

  // One post of the series published, with metrics and a short-link click, for its analytics page.
  const [first] = await db.select().from(deliveries).where(eq(deliveries.sequenceId, seriesId)).limit(1)
  await db
    .update(deliveries)
    .set({ state: 'published', publishedAt: new Date(clock.now().getTime() - 86_400_000), remoteId: '111', remoteUrl: 'https://social.example/@team/111' })
    .where(eq(deliveries.id, first!.id))
  await db.insert(postMetrics).values({ workspaceId, deliveryId: first!.id, age: '1h', state: 'done', fetchedAt: clock.now(), likes: 4, reposts: 1, replies: 0 })
  const [link] = await db
    .insert(shortLinks)
    .values({ workspaceId, code: 'axeaxeaxeaxeaxe0', deliveryId: first!.id, sequenceId: seriesId, stepId: first!.stepId, network: 'mastodon', originalUrl: 'https://a.example', targetUrl: 'https://a.example/?utm_source=mastodon' })
    .returning()
  await db.insert(linkClicks).values({ workspaceId, shortLinkId: link!.id, clickedAt: clock.now() })
  // The series and the drip share a campaign, for the campaign funnel page.
  await db.update(sequences).set({ campaign: 'Launch' }).where(eq(sequences.id, seriesId))

  const pages = [
    '/app',
    '/app/calendar',
    '/app/series',
    '/app/series/new',
    '/app/series/media',
    `/app/series/${seriesId}`,
    `/app/series/${seriesId}/analytics`,
    '/app/drips',
    '/app/drips/new',
    `/app/drips/${drip.id}`,
    `/app/drips/${drip.id}/analytics`,
    `/app/drips/${drip.id}/enroll`,
    `/app/drips/${drip.id}/enroll/${run.id}`,
    '/app/analytics',
    '/app/analytics/campaigns/Launch',
    '/app/accounts',
    '/app/contacts',
    `/app/contacts/${contact.id}`,
    '/app/contacts/import',
    '/app/contacts/fields',
    '/app/contacts/forms',
    '/app/contacts/sender',
    '/app/contacts/score-rules',
    '/app/settings',
    '/app/settings/workspace',
    '/app/settings/members',
    '/app/settings/invitations',
    '/app/settings/tokens',
    '/app/settings/notifications',
    '/app/settings/preferences',
    `/f/${form.id}`,
    `/f/${form.id}?embed=1`,
    tokenOf(signedEmailUrl(app.services, 'unsubscribe', claims)),
    tokenOf(signedEmailUrl(app.services, 'preferences', claims)),
  ]
  for (const path of pages) violations.push(...(await auditAtBothWidths(page, path)))

  // Phone width: the main navigation sits behind the menu button, and the menu works by keyboard.
  await page.goto(`${app.url}/app`)
  await page.waitForLoadState('networkidle')
  const nav = page.getByRole('navigation', { name: 'Main' })
  expect(await nav.getByRole('link', { name: 'Calendar', exact: true }).isVisible()).toBe(false)
  await page.getByRole('button', { name: 'Open the menu' }).focus()
  await page.keyboard.press('Enter')
  await nav.getByRole('link', { name: 'Calendar', exact: true }).waitFor({ state: 'visible' })
  violations.push(...(await runAxe(page, '/app (menu open)', 390)))
  await nav.getByRole('link', { name: 'Calendar', exact: true }).focus()
  await page.keyboard.press('Enter')
  await page.waitForURL(`${app.url}/app/calendar`)
  await page.getByRole('heading', { level: 1, name: 'Calendar' }).waitFor()
  await nav.getByRole('link', { name: 'Calendar', exact: true }).waitFor({ state: 'hidden' })
  await context.close()

  expect(violations, JSON.stringify(violations, null, 2)).toEqual([])
  // No page throws in the browser: a hydration mismatch (React #418/#423/#425) fails here.
  expect(pageErrors).toEqual([])
}, 360_000)
