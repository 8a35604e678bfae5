import path from 'node:path'
import { contacts, workspaces } from '../../db/schema'
import { cspViolations, desktopContext, useAppAndBrowser, signUpInBrowser } from './browser'

/**
 * The segment editor in Chromium against the built app (`npx remix build`): from Contacts to Segments,
 * a rule built with the mouse and the keyboard, the live count following each change, saved and listed.
 */

const started = useAppAndBrowser()

it('builds a segment with a live count, adds and removes a condition by keyboard and mouse, and lists it', async () => {
  const { app, browser } = started
  const context = await desktopContext(browser)
  const page = await context.newPage()
  await signUpInBrowser(page, app.url, { name: 'Sam', email: 'sam@segments.test', workspaceName: 'Brand' })
  const [workspace] = await app.services.database.db.select({ id: workspaces.id }).from(workspaces)
  // Ids in the order of the addresses: the preview's sample lists members in id order (random ids made the expected sample a coin toss).
  const at = new Date('2026-01-01T00:00:00Z')
  await app.services.database.db
    .insert(contacts)
    .values([['vip'], ['vip'], []].map((tags, i) => ({ id: `00000000-0000-4000-8000-00000000000${i}`, workspaceId: workspace!.id, email: `c${i}@example.com`, tags, createdAt: at, updatedAt: at })))

  await page.goto(`${app.url}/app/contacts`)
  await page.getByRole('navigation').getByRole('link', { name: 'Segments' }).click()
  await page.getByRole('link', { name: 'New segment' }).click()
  await page.waitForLoadState('networkidle')
  await page.getByLabel('Name').fill('VIPs')
  await page.getByLabel('Condition 1: tag').fill('vip')
  await page.getByText('Matches 2 contacts: c0@example.com, c1@example.com').waitFor()

  // Keyboard: Enter on "Add condition" adds one and moves the focus to its first input.
  await page.getByRole('button', { name: 'Add condition' }).focus()
  await page.keyboard.press('Enter')
  expect(await page.evaluate(() => document.activeElement?.id)).toBe('condition-1-kind')
  await page.getByLabel('Condition 2: kind').selectOption('status')
  await page.getByLabel('Condition 2: status is').selectOption('unsubscribed')
  await page.getByText('Matches 0 contacts').waitFor()
  await page.getByRole('button', { name: 'Remove condition 2' }).click()
  await page.getByText('Matches 2 contacts').waitFor()
  await page.screenshot({ path: path.resolve(import.meta.dirname, '../../docs/screenshots/segment.png'), fullPage: true })

  await page.getByRole('button', { name: 'Save segment' }).click()
  await page.waitForURL(`${app.url}/app/contacts/segments`)
  await page.getByRole('link', { name: 'VIPs' }).waitFor()
  expect(await page.getByRole('row', { name: /VIPs/ }).textContent()).toContain('2')
  expect(cspViolations).toEqual([])
  await context.close()
}, 90_000)
