import { once } from 'node:events'
import { createServer } from 'node:http'
import path from 'node:path'
import type { AddressInfo } from 'node:net'
import { eq } from 'drizzle-orm'
import type { Browser, Page } from 'playwright-core'
import { findContactByEmail } from '../../db/queries/contacts'
import { listEnrollments } from '../../db/queries/enrollments'
import { sequences } from '../../db/schema'
import { fixedClock } from '../../domain/clock'
import { dripRunnerDeps, runDripPass } from '../../core/drips/runner.server'
import { defineSignupConfirmation } from '../../jobs/signup-confirmation'
import { startTestApp, type TestApp } from '../app-server'
import { linkIn } from '../email/setup'
import { rawHeaders, startSmtpServer, type CapturedMessage, type TestSmtpServer } from '../servers/smtp'
import { cspViolations, desktopContext, launchChromium, signUpInBrowser } from './browser'

/**
 * The drip journey in Chromium against the built app, with a loopback SMTP server: an owner sets up
 * the sender and a signup form, builds a three-step welcome drip with two triggers in the drip builder,
 * step 2 a branch for those who clicked step 1 (template preview and test send, timeline preview,
 * activate); two visitors subscribe on the hosted form and confirm from the email; step 1 arrives; the
 * reader clicks its link (the signed redirect); a day later the branch step reaches the reader only; the
 * reader unsubscribes with the RFC 8058 one-click POST; two days later the other subscriber gets step 3
 * and the reader gets nothing more; a fourth step, an action, is added by keyboard. The drip page and the analytics page
 * show the counts, and the calendar shows the projected emails. The drip runner's passes are run
 * directly with the app's injected clock (what the worker's recurring job does).
 */

const shots = path.resolve(import.meta.dirname, '../../docs/screenshots')
const T0 = new Date('2026-11-02T09:00:00Z') // a Monday
const clock = fixedClock(T0)

let app: TestApp
let smtp: TestSmtpServer
let browser: Browser
/** The team's own site, where the email's link points. */
let site: { url: string; close(): Promise<void> }

beforeAll(async () => {
  smtp = await startSmtpServer()
  const server = createServer((_req, res) => res.writeHead(200, { 'Content-Type': 'text/html' }).end('<title>Guide</title><h1>The guide</h1>')).listen(0, '127.0.0.1')
  await once(server, 'listening')
  site = { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise((resolve) => server.close(() => resolve())) }
  ;[app, browser] = await Promise.all([startTestApp({ clock, worker: defineSignupConfirmation }), launchChromium()])
})
afterAll(async () => {
  await browser?.close()
  await app?.close()
  await smtp?.close()
  await site?.close()
})

const runDrips = () => runDripPass(dripRunnerDeps(app.services))
const db = () => app.services.database.db

function mailsTo(address: string): CapturedMessage[] {
  return smtp.messages.filter((m) => m.envelope.to.includes(address))
}

async function subscribe(page: Page, formUrl: string, email: string, name: string) {
  const before = smtp.messages.length
  await page.goto(formUrl)
  await page.waitForLoadState('networkidle')
  await page.getByLabel('Email').fill(email)
  await page.getByLabel('Name').fill(name)
  await page.getByRole('button', { name: 'Subscribe' }).click()
  await page.getByText('Check your inbox').waitFor()
  const confirmation = (await smtp.waitForMessages(before + 1)).slice(before).find((m) => m.envelope.to.includes(email))!
  expect(confirmation.parsed.subject).toBe('Please confirm your subscription')
  await page.goto(linkIn(confirmation.parsed.text!, `${app.url}/f/confirm/`))
  await page.getByRole('button', { name: 'Yes, subscribe me' }).click()
  await page.getByText('You are subscribed').waitFor()
}

it('builds a drip in the builder; signup → confirm → step 1 → click → the branch step → one-click unsubscribe → no more sends', { timeout: 180_000 }, async () => {
  const context = await desktopContext(browser)
  const page = await context.newPage()
  await signUpInBrowser(page, app.url, { name: 'Maria', email: 'maria@drips.test', workspaceName: 'Brand' })

  // The sender (loopback SMTP) and a signup form, on their pages (Audience in the navigation).
  await page.goto(`${app.url}/app/contacts/sender`)
  await page.waitForLoadState('networkidle')
  await page.getByLabel('From name').fill('Brand News')
  await page.getByLabel('From address').fill('news@brand.test')
  await page.getByLabel('Postal address').fill('Brand Inc., 1 Main St, Springfield')
  await page.getByLabel('SMTP host').fill(smtp.host)
  await page.getByLabel('Port').fill(String(smtp.port))
  await page.getByLabel('Security').selectOption('none')
  await page.getByRole('button', { name: 'Save sender' }).click()
  await page.getByText('Sender saved.').waitFor()
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Signup forms', exact: true }).click()
  await page.getByRole('heading', { level: 1, name: 'Signup forms' }).waitFor()
  await page.waitForLoadState('networkidle')
  await page.getByLabel('Form name').fill('Newsletter')
  await page.getByRole('button', { name: 'Create form' }).click()
  await page.getByText('Form "Newsletter" created.').waitFor()
  const formUrl = await page.getByRole('link', { name: /\/f\// }).first().getAttribute('href')

  // The drip builder: an empty list says what to do; a two-step welcome drip triggered by the form.
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Drips', exact: true }).click()
  await page.getByRole('heading', { level: 1, name: 'Drips' }).waitFor()
  await page.getByRole('link', { name: 'Create your first drip' }).click()
  await page.getByRole('heading', { level: 1, name: 'New drip' }).waitFor()
  await page.waitForLoadState('networkidle')
  // Saving without a subject names the field and keeps what was typed.
  await page.getByLabel('Drip name').fill('Welcome')
  await page.getByLabel('Enroll contacts when').selectOption('form')
  await page.getByLabel('Signup form').selectOption({ label: 'Newsletter' })
  await page.getByLabel('Step 1: subject').fill('')
  await page.getByRole('button', { name: 'Save drip' }).click()
  await page.getByRole('alert').filter({ hasText: 'Step 1 subject: write a subject line' }).waitFor()
  expect(await page.getByLabel('Signup form').inputValue()).not.toBe('')
  expect(await page.getByLabel('Drip name').inputValue()).toBe('Welcome')
  await page.getByLabel('Step 1: subject').fill('Welcome, {{first_name | "there"}}!')
  await page.getByLabel('Step 1: message (Markdown)').fill(`Hi {{first_name | "there"}},\n\nStart with [the guide](${site.url}/guide).`)
  // The live preview follows the typing; the test send goes to the signed-in user.
  await page.getByText('Subject: Welcome, Jane!').waitFor()
  await page.getByRole('button', { name: 'Send step 1 to me' }).click()
  await page.getByText('Test sent to maria@drips.test.').waitFor()
  expect(mailsTo('maria@drips.test').map((m) => m.parsed.subject)).toEqual(['[Test] Welcome, Jane!'])
  const preview = page.frameLocator('iframe[title="Preview of step 1"]')
  await preview.getByText('Brand Inc., 1 Main St, Springfield').waitFor()
  // With the keyboard, as a keyboard user would.
  await page.getByRole('button', { name: 'Add a step' }).press('Enter')
  await page.getByLabel('Step 2: wait').fill('1')
  await page.getByLabel('Step 2: unit').selectOption('days')
  await page.getByLabel('Step 2: subject').fill('Day two')
  await page.getByLabel('Step 2: message (Markdown)').fill('Here is tip two.')
  // Step 2 is a branch: only for those who clicked step 1; the others skip it. Step 3 goes to everyone.
  await page.getByLabel('Step 2: condition').selectOption('clicked')
  await page.getByLabel('Which email').selectOption('1')
  await page.getByLabel('Step 2: otherwise').selectOption('skip')
  await page.getByRole('button', { name: 'Add a step' }).press('Enter')
  await page.getByLabel('Step 3: wait').fill('1')
  await page.getByLabel('Step 3: unit').selectOption('days')
  await page.getByLabel('Step 3: subject').fill('Day three')
  await page.getByLabel('Step 3: message (Markdown)').fill('Here is tip three.')
  // A second trigger, by keyboard: focus moves to the new trigger's kind; a third is added and removed again.
  const focused = () => page.evaluate(() => document.activeElement?.getAttribute('name') ?? document.activeElement?.id)
  await page.getByRole('button', { name: 'Add a trigger' }).press('Enter')
  expect(await focused()).toBe('triggers.1.kind')
  await page.getByLabel('Trigger 2: enroll contacts when').selectOption('event')
  await page.getByLabel('Trigger 2: event name').fill('trial_started')
  await page.getByRole('button', { name: 'Add a trigger' }).press('Enter')
  await page.getByRole('button', { name: 'Remove trigger 3' }).press('Enter')
  expect(await focused()).toBe('add-trigger')
  expect(await page.getByRole('group', { name: /^Trigger \d$/ }).count()).toBe(2)
  // The timeline preview follows the steps: step 2 a day after step 1, in the zone chosen.
  await page.getByLabel('Preview for a contact in').selectOption('Asia/Tokyo')
  const timeline = page.getByTestId('drip-timeline')
  await timeline.getByText('A contact in Asia/Tokyo enrolling now (2026-11-02 6:00 PM) gets:').waitFor()
  await timeline.getByText('Step 2 at Tue 2026-11-03 6:00 PM (UTC+09:00) · 2026-11-03 9:00 AM UTC').waitFor()
  await page.screenshot({ path: path.join(shots, 'drip-builder.png'), fullPage: true })
  await page.getByRole('button', { name: 'Save drip' }).click()
  await page.waitForURL(/\/app\/drips\/[0-9a-f-]{36}$/)
  await page.getByRole('heading', { level: 1, name: 'Welcome' }).waitFor()
  // Interactive first: a click while the page hydrates (its previews posting) was seen to be lost.
  await page.waitForLoadState('networkidle')
  const dripId = page.url().split('/').at(-1)!
  const { workspaceId, settings } = (await db().select({ workspaceId: sequences.workspaceId, settings: sequences.settings }).from(sequences).where(eq(sequences.id, dripId)))[0]!
  expect(settings?.triggers.map((t) => t.kind)).toEqual(['form', 'event'])
  await page.getByRole('button', { name: 'Activate' }).click()
  await page.getByText('Drip activated').first().waitFor()
  expect(await page.getByRole('button', { name: 'Pause' }).count()).toBe(1)

  // Two visitors subscribe on the hosted form (no session) and confirm from the email.
  const visitor = await desktopContext(browser)
  const visitorPage = await visitor.newPage()
  await subscribe(visitorPage, formUrl!, 'reader@example.com', 'Ann Reader')
  await subscribe(visitorPage, formUrl!, 'second@example.com', 'Bo Second')

  // Step 1 goes out to both, with the one-click unsubscribe headers and the postal address.
  expect((await runDrips()).sent).toBe(2)
  const [step1] = mailsTo('reader@example.com').filter((x) => x.parsed.subject === 'Welcome, Ann!')
  expect(step1).toBeDefined()
  const headers = rawHeaders(step1!.raw)
  expect(headers.find((h) => h.name.toLowerCase() === 'list-unsubscribe-post')?.value).toBe('List-Unsubscribe=One-Click')
  const unsubscribeUrl = /<(https?:[^>]+)>/.exec(headers.find((h) => h.name.toLowerCase() === 'list-unsubscribe')!.value)![1]!
  expect(step1!.parsed.text).toContain('Brand Inc., 1 Main St, Springfield')
  expect((mailsTo('second@example.com')).map((m) => m.parsed.subject)).toContain('Welcome, Bo!')

  // The calendar projects step 2 for both on Tuesday.
  await page.goto(`${app.url}/app/calendar?date=2026-11-03&tz=UTC`)
  await page.getByText('✉ 2 drip emails').first().waitFor()
  await page.screenshot({ path: path.join(shots, 'calendar-emails.png') })

  // The reader clicks the tracked link in the browser: the signed redirect lands on the guide.
  const tracked = /href="([^"]+\/t\/c\/[^"]+)"/.exec(step1!.parsed.html as string)![1]!.replace(/&amp;/g, '&')
  await visitorPage.goto(tracked)
  await visitorPage.getByRole('heading', { name: 'The guide' }).waitFor()
  expect(visitorPage.url()).toBe(`${site.url}/guide`)

  // A day later the branch step goes to the reader, who clicked; the second subscriber skips it.
  clock.advance(86_400_000)
  let sentBefore = smtp.messages.length
  expect((await runDrips()).sent).toBe(1)
  expect(smtp.messages.slice(sentBefore).map((m) => [m.envelope.to[0], m.parsed.subject])).toEqual([['reader@example.com', 'Day two']])

  // A mail client's one-click unsubscribe: a cookieless POST.
  const unsubscribed = await fetch(unsubscribeUrl, { method: 'POST', body: new URLSearchParams({ 'List-Unsubscribe': 'One-Click' }) })
  expect(unsubscribed.status).toBe(200)
  expect((await findContactByEmail(db(), { workspaceId, email: 'reader@example.com' }))?.status).toBe('unsubscribed')

  // Two days later step 3 goes to the second subscriber only: the reader gets nothing more.
  clock.advance(2 * 86_400_000)
  sentBefore = smtp.messages.length
  expect((await runDrips()).sent).toBe(1)
  const later = smtp.messages.slice(sentBefore)
  expect(later.map((m) => [m.envelope.to[0], m.parsed.subject])).toEqual([['second@example.com', 'Day three']])
  expect((mailsTo('reader@example.com')).map((m) => m.parsed.subject)).toEqual(['Please confirm your subscription', 'Welcome, Ann!', 'Day two'])
  const enrollments = await listEnrollments(db(), { workspaceId, dripId })
  expect(enrollments.map((e) => e.status).sort()).toEqual(['completed', 'unsubscribed'])

  // The drip page and the analytics page count it all.
  await page.goto(`${app.url}/app/drips/${dripId}`)
  const step1Row = page.getByRole('table', { name: 'Per-step counts' }).getByRole('row', { name: /Welcome, \{\{first_name/ })
  await step1Row.waitFor()
  const cells = await step1Row.getByRole('cell').allInnerTexts()
  // Waiting, Sent, Delivered, Opened, Clicked, Unsubscribed, Bounced, Complained, Skipped, Reached
  expect(cells.slice(0, 5)).toEqual(['0', '2', '2', expect.stringMatching(/^\d \(/), '1 (50%)'])
  // The branch: sent to the one who clicked, skipped by the other.
  const step2Cells = await page.getByRole('table', { name: 'Per-step counts' }).getByRole('row', { name: /Day two/ }).getByRole('cell').allInnerTexts()
  expect([step2Cells.slice(0, 3), step2Cells[8]]).toEqual([['0', '1', '1'], '1'])
  await page.screenshot({ path: path.join(shots, 'drip.png'), fullPage: true })
  // The template editor of step 1 with its preview, scrolled to just below the fixed header.
  await page.setViewportSize({ width: 1280, height: 1100 })
  const step1Editor = page.getByRole('region', { name: 'Step 1', exact: true })
  await step1Editor.getByText('0 waiting for step 1').waitFor()
  await step1Editor.evaluate((el) => window.scrollBy(0, el.getBoundingClientRect().top - 76))
  await page.frameLocator('iframe[title="Preview of step 1"]').getByText('Brand Inc., 1 Main St, Springfield').waitFor()
  await page.screenshot({ path: path.join(shots, 'drip-template.png'), clip: (await step1Editor.boundingBox())! })
  await page.setViewportSize({ width: 1280, height: 900 })
  await page.goto(`${app.url}/app/drips`)
  expect(await page.getByRole('row', { name: /Welcome/ }).getByRole('cell').allTextContents()).toEqual(expect.arrayContaining(['Active', '2', '1']))
  await page.screenshot({ path: path.join(shots, 'drips.png'), fullPage: true })
  // The drip tagged with a campaign: the overview lists it, and its funnel page shows the email side.
  await db().update(sequences).set({ campaign: 'Spring launch' }).where(eq(sequences.id, dripId))
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Analytics', exact: true }).click()
  await page.getByRole('heading', { level: 1, name: 'Analytics' }).waitFor()
  await page.getByText(/2 enrolled · 4 sent/).waitFor()
  await page.screenshot({ path: path.join(shots, 'analytics.png'), fullPage: true })
  await page.getByRole('link', { name: 'Spring launch' }).click()
  expect(await page.locator('[data-total="Enrollments"]').textContent()).toBe('2')
  await page.screenshot({ path: path.join(shots, 'campaign-analytics.png'), fullPage: true })
  // The drip's analytics: funnel, per-step rates and links, the daily chart.
  await page.goto(`${app.url}/app/drips/${dripId}/analytics`)
  expect(await page.locator('[data-total="Enrolled"]').textContent()).toBe('2')
  await page.waitForLoadState('networkidle')
  await page.screenshot({ path: path.join(shots, 'drip-analytics.png'), fullPage: true })

  // An action step, by keyboard: the kind's radios take the arrow keys; an empty tag is named under its field.
  await page.goto(`${app.url}/app/drips/${dripId}`)
  await page.getByRole('button', { name: 'Add a step' }).press('Enter')
  // The timeline (debounced, above the Save button) grows by a line for the new step: a click while it
  // grows lands on the timeline instead of the button, so wait until it shows step 4.
  await page.getByTestId('drip-timeline').getByText(/^Step 4 at /).waitFor()
  await page.getByLabel('Step 4: subject').fill('A draft kept')
  await page.getByRole('radiogroup', { name: 'Step 4: kind' }).getByRole('radio', { name: 'Email' }).press('ArrowRight')
  await page.getByLabel('Step 4: action').selectOption('add_tag')
  await page.getByRole('button', { name: 'Save changes' }).click()
  const tagError = page.getByRole('alert').filter({ hasText: 'Step 4 action tag: must not be empty' })
  await tagError.waitFor()
  expect(await page.getByLabel('Step 4: tag').getAttribute('aria-invalid')).toBe('true')
  // The email text written before switching to an action survived the failed save.
  await page.getByRole('radiogroup', { name: 'Step 4: kind' }).getByRole('radio', { name: 'Action' }).press('ArrowLeft')
  expect(await page.getByLabel('Step 4: subject').inputValue()).toBe('A draft kept')
  await page.getByRole('radiogroup', { name: 'Step 4: kind' }).getByRole('radio', { name: 'Email' }).press('ArrowRight')
  // Fixing the field clears its error at once, before saving again.
  await page.getByLabel('Step 4: tag').fill('vip')
  await tagError.waitFor({ state: 'detached' })
  expect(await page.getByLabel('Step 4: tag').getAttribute('aria-invalid')).not.toBe('true')
  await page.getByRole('button', { name: 'Save changes' }).click()
  await page.getByRole('table', { name: 'Per-step counts' }).getByRole('row', { name: /Action: tag \+vip/ }).waitFor()
  await visitor.close()
  await context.close()
  // The CSP (nonce scripts, inline styles) lets every page of the journey run: no violation in the console.
  expect(cspViolations).toEqual([])
})

