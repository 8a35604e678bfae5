import { cspViolations, desktopContext, useAppAndBrowser, pageErrors, signUpInBrowser } from './browser'

/**
 * The SMS step editor in Chromium against the built app (`npx remix build`; decision 081): the step kind
 * switched to SMS, the segment count and cost following the text (GSM-7, then UCS-2 for one character),
 * the warning while SMS is not set up, then Settings → SMS saved and the drip saved with its SMS step.
 */
const started = useAppAndBrowser()

it('counts segments and cost as the text is typed, and saves an SMS step', async () => {
  const { app, browser } = started
  const context = await desktopContext(browser)
  const page = await context.newPage()
  await signUpInBrowser(page, app.url, { name: 'Tex', email: 'tex@sms.test', workspaceName: 'Texts' })

  await page.goto(`${app.url}/app/drips/new`)
  await page.waitForLoadState('networkidle')
  await page.getByLabel('Drip name').fill('Flash sale')
  await page.getByRole('radio', { name: 'SMS' }).first().check()
  await page.getByText('SMS is not set up').waitFor()
  const text = page.getByLabel('Step 1: text message')
  const count = page.getByTestId('sms-count-1')
  await text.fill('Hi {{ contact.first_name }}, 20% off today only!')
  await count.getByText('1 segment (GSM-7, 52 of 160)').waitFor()
  await count.getByText('About $0.0079 per send at $0.0079 per segment').waitFor()
  await text.fill('x'.repeat(161))
  await count.getByText('2 segments (GSM-7, 161 of 306)').waitFor()
  await text.fill('Sale ✓ today')
  await count.getByText('1 segment (UCS-2, 12 of 70)').waitFor()
  await page.getByText('“✓” is outside the GSM alphabet').waitFor()

  await page.getByRole('button', { name: 'Save drip' }).click()
  await page.waitForURL(/\/app\/drips\/[0-9a-f-]{36}$/)
  expect(await page.getByLabel('Step 1: text message').inputValue()).toBe('Sale ✓ today')

  await page.goto(`${app.url}/app/settings/sms`)
  await page.waitForLoadState('networkidle')
  await page.getByLabel('Account SID').fill(`AC${'0'.repeat(32)}`)
  await page.getByLabel('Auth token').fill('f'.repeat(32))
  await page.getByLabel('From number').fill('+1 415 555 0100')
  await page.getByLabel('Price per segment').fill('0.01')
  await page.getByRole('button', { name: 'Save SMS settings' }).click()
  await page.getByText('SMS settings saved.').waitFor()
  await expect.poll(() => page.getByLabel('From number').inputValue()).toBe('+14155550100')
  expect(await page.content()).not.toContain('f'.repeat(32))

  expect(cspViolations).toEqual([])
  expect(pageErrors).toEqual([])
  await context.close()
}, 120_000)
