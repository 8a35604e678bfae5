import { workspaces } from '../../db/schema'
import { createDrip } from '../../core/drips.server'
import { cspViolations, desktopContext, useAppAndBrowser, pageErrors, signUpInBrowser } from './browser'

/**
 * A slow preview must not undo a save (decision 086). Previews used to be router fetchers: one that
 * answered while a save's redirect was loading made the router abort that load and keep the old page,
 * so Save (or Activate) seemed to do nothing though the server had done it — seen twice in CI under
 * load. Here the network is made slow on purpose: the step preview is held until the save's redirect
 * starts loading the page, and that load is delayed, so the preview always answers in between.
 */

const started = useAppAndBrowser()

it('a save whose page reload is overtaken by a live preview still shows the saved drip', async () => {
  const { app, browser } = started
  const context = await desktopContext(browser)
  const page = await context.newPage()
  await signUpInBrowser(page, app.url, { name: 'Pat', email: 'pat@slow.test', workspaceName: 'Slow' })
  const [workspace] = await app.services.database.db.select({ id: workspaces.id }).from(workspaces)
  const drip = await createDrip(app.services, { workspaceId: workspace!.id, input: { name: 'Welcome', steps: [{ subject: 'Hello', markdown: 'Hi there.' }] } })
  await page.goto(`${app.url}/app/drips/${drip.id}`)
  await page.waitForLoadState('networkidle')

  let pageLoadStarted!: () => void
  const reloading = new Promise<void>((resolve) => (pageLoadStarted = resolve))
  // The preview answers only once the save's redirect is loading the page's data, and that load takes a
  // second. (Single fetch: the router's requests go to `<path>.data`, a GET for a page's data.)
  const isPreview = (url: URL) => /^\/app\/drips\/preview(\.data)?$/.test(url.pathname)
  await page.route(
    () => true,
    async (route) => {
      const request = route.request()
      const url = new URL(request.url())
      if (isPreview(url)) await reloading
      else if (request.method() === 'GET' && url.pathname.endsWith('.data')) {
        pageLoadStarted()
        await new Promise((resolve) => setTimeout(resolve, 1_000))
      }
      await route.continue().catch(() => {}) // the old code aborted the page's load
    },
  )

  const previewSent = page.waitForRequest((request) => isPreview(new URL(request.url())))
  await page.getByLabel('Step 1: subject').fill('Hello again')
  await previewSent
  await page.getByRole('button', { name: 'Save changes' }).click()
  await page.getByText('Drip saved.').first().waitFor()
  await page.getByRole('table', { name: 'Per-step counts' }).getByRole('row', { name: /Hello again/ }).waitFor()
  expect(pageErrors).toEqual([])
  expect(cspViolations).toEqual([])
  await context.close()
}, 90_000)
