import { createEmailConnector } from '../../connectors/email/index'
import { insertContact } from '../../db/queries/contacts'
import { dripRunnerDeps, runDripPass } from '../../core/drips/runner.server'
import { startEmailApp, type EmailTestApp } from '../email/setup'

/**
 * A drip with `utm: true` (decision 084): its tracked links redirect to the link with the UTM parameters
 * (source and medium `email`, the drip's name, the step), and the click counts in the same per-step
 * place as before (the drip's analytics). A drip without it is unchanged. Needs `npx remix build`.
 */
let t: EmailTestApp
const email = createEmailConnector({ allowPrivateNetworkHosts: true })

beforeAll(async () => {
  t = await startEmailApp({ worker: false })
})
afterAll(async () => {
  email.close()
  await t?.close()
})

it('tracked links of a drip with utm on carry the UTM parameters, counted per step', async () => {
  const created = await t.api('POST', '/api/v1/drips', {
    name: 'Trial Onboarding',
    utm: true,
    steps: [{ subject: 'Welcome', markdown: 'Read [the guide](https://docs.brand.test/guide?lang=en).' }],
  })
  expect(created.status).toBe(201)
  const drip = await created.json()
  expect(drip.utm).toBe(true)
  const plain = await (await t.api('POST', '/api/v1/drips', { name: 'Plain', steps: [{ subject: 'Hi', markdown: 'Hello' }] })).json()
  expect(plain.utm).toBe(false)
  expect((await t.api('POST', `/api/v1/drips/${drip.id}/activate`)).status).toBe(200)
  await insertContact(t.app.services.database.db, { workspaceId: t.workspaceId, email: 'ann@example.com', at: t.clock.now() })
  expect((await t.api('POST', `/api/v1/drips/${drip.id}/enrollments`, { email: 'ann@example.com' })).status).toBe(201)
  expect((await runDripPass(dripRunnerDeps(t.app.services, { email }))).sent).toBe(1)

  const html = t.smtp.messages.at(-1)!.parsed.html as string
  const links = [...html.matchAll(new RegExp(`${t.app.url}/t/c/[^"]+`, 'g'))].map((m) => m[0].replace(/&amp;/g, '&'))
  expect(links).toHaveLength(1)
  const response = await fetch(links[0]!, { redirect: 'manual' })
  expect(response.headers.get('location')).toBe('https://docs.brand.test/guide?lang=en&utm_source=email&utm_medium=email&utm_campaign=trial-onboarding&utm_content=step-1')

  t.clock.advance(60_000) // the period (up to now, excluded) holds the enrollment
  const analytics = await (await t.api('GET', `/api/v1/analytics/drips/${drip.id}?days=7`)).json()
  expect(analytics.steps[0].counts).toMatchObject({ sent: 1, clicked: 1, opened: 1 })
  // The per-link table shows the link as written and its UTM parameters apart.
  const page = (await (await t.browser.get(`/app/drips/${drip.id}/analytics?days=7`)).text()).replace(/<!-- -->/g, '')
  expect(/data-link-utm[^>]*>([^<]*)</.exec(page)?.[1]).toBe('utm_source=email · utm_medium=email · utm_campaign=trial-onboarding · utm_content=step-1')
  expect(page).toContain('>https://docs.brand.test/guide?lang=en</a>')

  // Turned off on an update, later messages' links are as written; left out of an update, it stays as it is.
  const put = await t.api('PUT', `/api/v1/drips/${drip.id}`, { name: 'Trial Onboarding', utm: false, steps: [{ subject: 'Welcome', markdown: 'x' }] })
  expect((await put.json()).utm).toBe(false)
  const again = await t.api('PUT', `/api/v1/drips/${drip.id}`, { name: 'Trial Onboarding', steps: [{ subject: 'Welcome', markdown: 'x' }] })
  expect((await again.json()).utm).toBe(false)
})

it("the drip form's checkbox turns UTM parameters on and off", async () => {
  const fields = (utm: boolean) => ({
    name: 'Form drip',
    timezone: 'UTC',
    reentry: 'once_ever',
    triggerCount: '1',
    'triggers.0.kind': 'manual',
    stepCount: '1',
    'steps.0.kind': 'email',
    'steps.0.subject': 'Hello',
    'steps.0.markdown': 'See [us](https://brand.test/).',
    'steps.0.delayAmount': '0',
    'steps.0.delayUnit': 'days',
    ...(utm ? { utm: 'on' } : {}),
  })
  const created = await t.browser.submit('/app/drips/new', fields(true))
  expect(created.status).toBe(302)
  const id = created.headers.get('location')!.split('/').at(-1)!
  expect((await (await t.api('GET', `/api/v1/drips/${id}`)).json()).utm).toBe(true)
  const edit = await (await t.browser.get(`/app/drips/${id}`)).text()
  expect(edit).toMatch(/<input[^>]*name="utm"[^>]*checked/)
  const updated = await t.browser.submit(`/app/drips/${id}`, { ...fields(false), intent: 'save' })
  expect(updated.status).toBeLessThan(400)
  expect((await (await t.api('GET', `/api/v1/drips/${id}`)).json()).utm).toBe(false)
})
