import { createEmailConnector } from '../../connectors/email/index'
import { createMailConnector } from '../../connectors/mail/index'
import { dripRunnerDeps, runDripPass } from '../../core/drips/runner.server'
import { lobSignature } from '../../core/mail.server'
import { startEmailApp, type EmailTestApp } from '../email/setup'
import { startLobApiServer, type LobApiServer } from '../servers/lob-api'

/**
 * Direct mail through the built app (decision 089): Settings → Direct mail, the contacts and drips API with
 * a postal address and a postcard step, the runner sending to the loopback Lob server, and Lob's signed
 * tracking webhook posted to the app's real URL.
 */
let t: EmailTestApp
let lob: LobApiServer
const email = createEmailConnector({ allowPrivateNetworkHosts: true })
beforeAll(async () => {
  lob = await startLobApiServer()
  t = await startEmailApp({ worker: false, env: { LOB_API_BASE_URL: lob.url } })
})
afterAll(async () => {
  email.close()
  await t?.close()
  await lob?.close()
})
const json = async (r: Response) => (await r.json()) as Record<string, any>
const SECRET = 'whsec_app_test_0123456789'

describe('direct mail through the app', () => {
  it('settings page, a bad address named by field, a postcard step sent at Lob, a signed tracking event recorded', async () => {
    expect(await (await t.browser.get('/app/settings/mail')).text()).toContain('Direct mail is not set up')
    const address = { 'returnAddress.name': 'Brand Inc', 'returnAddress.line1': '1 Main St', 'returnAddress.city': 'Springfield', 'returnAddress.state': 'IL', 'returnAddress.zip': '62701' }
    const bad = await t.browser.submit('/app/settings/mail', { apiKey: lob.apiKey, ...address, 'returnAddress.zip': '627' })
    expect(bad.status).toBe(400)
    expect(await bad.text()).toContain('returnAddress.zip: must be a ZIP code')
    expect((await t.browser.submit('/app/settings/mail', { apiKey: lob.apiKey, webhookSecret: SECRET, ...address, postcardPrice: '0.63', letterPrice: '0.85', letterExtraPagePrice: '0.1', currency: 'USD' })).status).toBe(200)
    const page = await (await t.browser.get('/app/settings/mail')).text()
    expect(page).not.toContain('Direct mail is not set up')
    expect(page).not.toContain(lob.apiKey)
    expect(page).toContain(`/webhooks/lob/${t.workspaceId}`)

    const noZip = await t.api('POST', '/api/v1/contacts', { email: 'nozip@example.com', postalAddress: { name: 'Ada', line1: '185 Berry St', city: 'San Francisco', state: 'CA' } })
    expect(noZip.status).toBe(400)
    expect((await json(noZip)).error).toMatchObject({ field: 'postalAddress.zip' })
    const ok = await t.api('POST', '/api/v1/contacts', { email: 'ada@example.com', name: 'Ada', postalAddress: { name: 'Ada Lovelace', line1: '185 Berry St', city: 'San Francisco', state: 'ca', zip: '94107' } })
    expect(ok.status).toBe(201)
    expect((await json(ok)).postalAddress).toMatchObject({ state: 'CA' })

    const unknownField = await t.api('POST', '/api/v1/drips', { name: 'Bad', steps: [{ kind: 'mail', mail: { piece: 'letter', file: 'Dear {{ contact.nope }}' } }] })
    expect(unknownField.status).toBe(400)
    expect((await json(unknownField)).error).toMatchObject({ field: 'steps.0.mail.file' })
    const drip = await json(await t.api('POST', '/api/v1/drips', { name: 'Cards', steps: [{ kind: 'mail', mail: { piece: 'postcard', front: 'Hi {{ contact.first_name }}', back: 'Sale' } }] }))
    expect((await t.api('POST', `/api/v1/drips/${drip.id}/activate`)).status).toBeLessThan(300)
    expect((await t.api('POST', `/api/v1/drips/${drip.id}/enrollments`, { email: 'ada@example.com' })).status).toBeLessThan(300)
    await runDripPass(dripRunnerDeps(t.app.services, { email, mail: createMailConnector({ apiBaseUrl: lob.url }) }))
    expect(lob.pieces.map((p) => p.body.front)).toEqual(['Hi Ada'])

    const url = `${t.app.url}/webhooks/lob/${t.workspaceId}`
    const body = JSON.stringify({ id: 'evt_app_1', event_type: { id: 'postcard.mailed' }, date_created: t.clock.now().toISOString(), body: { id: lob.pieces[0]!.id } })
    const timestamp = String(t.clock.now().getTime())
    const post = (signature: string) => fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json', 'Lob-Signature': signature, 'Lob-Signature-Timestamp': timestamp }, body })
    expect((await post('00'.repeat(32))).status).toBe(403)
    expect((await post(lobSignature({ secret: SECRET, timestamp, body }))).status).toBe(204)
    expect((await post(lobSignature({ secret: SECRET, timestamp, body }))).status).toBe(200)
  })
})
