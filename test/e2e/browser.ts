import { chromium, type Browser, type BrowserContext, type ConsoleMessage, type Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, expect } from 'vitest'
import { startTestApp, type TestApp } from '../app-server'

/** Debian's Chromium, headless, with nothing reaching out to the network (browser downloads fail here). */
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS })
}

/** Console messages of every desktopContext's pages that report a Content-Security-Policy violation (decision 064); tests expect none. */
export const cspViolations: string[] = []

/**
 * Uncaught errors of every desktopContext's pages, e.g. React's hydration mismatches (#418, #423, #425:
 * the server rendered something the browser renders differently). Tests that visit many pages expect none.
 */
export const pageErrors: string[] = []

/**
 * Console errors and warnings of every desktopContext's page that show a bug: any `console.error` (a CSP
 * violation, a failed script, React's hydration messages) and warnings that mention hydration. Left out: a
 * resource answered 4xx (the tests submit bad input on purpose, and the answer names the field), and the
 * AbortError of a data request that a newer navigation cancelled. Remix 2.17.5's single fetch logs that
 * one itself (`fetchAndDecode` logs whatever ends reading a response, then rethrows, and the router drops
 * it with the superseded navigation): a link clicked while the previous page's revalidation is still
 * arriving, as a user may click, and nothing the user sees.
 */
export const consoleProblems: string[] = []

/** Whether a console message is one `consoleProblems` keeps. */
export function isConsoleProblem(message: Pick<ConsoleMessage, 'type' | 'text'>): boolean {
  const text = message.text()
  if (/hydrat/i.test(text)) return true
  if (message.type() !== 'error') return false
  if (/^AbortError: signal is aborted without reason\b/.test(text)) return false
  return !/^Failed to load resource: the server responded with a status of 4\d\d/.test(text)
}

// Every test of a file that uses these contexts fails on a page error or a console problem it left behind.
afterEach(() => {
  const problems = [...pageErrors.splice(0), ...consoleProblems.splice(0)]
  expect(problems, 'page errors and console errors of the browser').toEqual([])
})

/** A desktop-sized context whose waits give up after 15 s (a missing element fails the test, it does not hang it). */
export async function desktopContext(
  browser: Browser,
  options: { width?: number; height?: number; /** For a test that injects its own script (axe-core); the pages' CSP is checked by the others. */ bypassCSP?: boolean; /** The browser's time zone (IANA). */ timezoneId?: string; /** The browser's locale (and Accept-Language), e.g. en-GB; Chromium's own is en-US. */ locale?: string } = {},
): Promise<BrowserContext> {
  const context = await browser.newContext({
    viewport: { width: options.width ?? 1280, height: options.height ?? 900 },
    bypassCSP: options.bypassCSP ?? false,
    ...(options.timezoneId ? { timezoneId: options.timezoneId } : {}),
    ...(options.locale ? { locale: options.locale } : {}),
  })
  context.setDefaultTimeout(15_000)
  context.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) cspViolations.push(`${message.location().url}: ${message.text()}`)
    if (isConsoleProblem(message)) consoleProblems.push(`${message.location().url}: [${message.type()}] ${message.text()}`)
  })
  context.on('page', (page) => page.on('pageerror', (error) => pageErrors.push(`${page.url()}: ${error.message}`)))
  return context
}

/** Sign up through the page (name, email, password, workspace) and land on the dashboard. */
export async function signUpInBrowser(page: Page, appUrl: string, user: { name: string; email: string; workspaceName: string }): Promise<void> {
  await page.goto(`${appUrl}/signup`)
  // Type only once the page is hydrated: a submit during hydration can be lost.
  await page.waitForLoadState('networkidle')
  await page.getByLabel('Your name').fill(user.name)
  await page.getByLabel('Email').fill(user.email)
  await page.getByLabel('Password').fill('correct horse battery staple')
  await page.getByLabel('Workspace name').fill(user.workspaceName)
  await page.getByRole('button', { name: 'Create account' }).click()
  await page.waitForURL(`${appUrl}/app`)
}

/**
 * The built app and Chromium for one test file: started before its tests, closed after them. Read
 * `.app` and `.browser` inside the tests (they are set once `beforeAll` has run).
 */
export function useAppAndBrowser(options: Parameters<typeof startTestApp>[0] = {}): { app: TestApp; browser: Browser } {
  const handles = {} as { app: TestApp; browser: Browser }
  beforeAll(async () => {
    ;[handles.app, handles.browser] = await Promise.all([startTestApp(options), launchChromium()])
  }, 60_000)
  afterAll(async () => {
    await handles.browser?.close()
    await handles.app?.close()
  })
  return handles
}
