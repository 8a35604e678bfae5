import { eq } from 'drizzle-orm'
import { createMailConnector, type MailConnector } from '../../connectors/mail/index'
import { listEnrollments } from '../../db/queries/enrollments'
import { listMailTracking } from '../../db/queries/mail'
import { accounts, contacts, deliveries } from '../../db/schema'
import { activateDrip, createDrip, enrollContact, getDrip } from '../../core/drips.server'
import { createContactFromApi, updateContactFromApi } from '../../core/contacts.server'
import { getMailSettings, handleLobWebhook, lobSignature, saveMailSettings } from '../../core/mail.server'
import { InputError } from '../../core/errors'
import { startDripHarness, type DripHarness } from '../drips/harness'
import { startLobApiServer, type LobApiServer } from '../servers/lob-api'

let h: DripHarness
let lob: LobApiServer
let mail: MailConnector
const RETURN = { name: 'Brand Inc', line1: '1 Main St', city: 'Springfield', state: 'IL', zip: '62701' }
const WEBHOOK_SECRET = 'whsec_loopback_0123456789'
beforeEach(async () => {
  h = await startDripHarness()
  lob = await startLobApiServer()
  mail = createMailConnector({ apiBaseUrl: lob.url })
  await saveMailSettings(h.services, { workspaceId: h.workspaceId, input: { apiKey: lob.apiKey, webhookSecret: WEBHOOK_SECRET, returnAddress: RETURN, postcardPrice: 0.7 } })
})
afterEach(async () => {
  await lob?.close()
  await h?.close()
})

const drain = () => h.drain({ mail })
const POSTCARD = { kind: 'mail' as const, mail: { piece: 'postcard' as const, front: '<h1>Hi {{ contact.first_name }}</h1>', back: '<p>20% off, {{ contact.name }}</p>' } }

async function recipient(email: string, postalAddress: Record<string, string> | null = { name: 'Ada Lovelace', line1: '185 Berry St', city: 'San Francisco', state: 'CA', zip: '94107' }) {
  const c = await createContactFromApi(h.services, { workspaceId: h.workspaceId, input: { email, name: 'Ada <Lovelace>', postalAddress: postalAddress as never } })
  return c.id
}

async function mailDeliveries(dripId: string) {
  return h.database.db.select().from(deliveries).where(eq(deliveries.sequenceId, dripId))
}

describe('the direct-mail step on the drip runner', () => {
  it('verifies the address once, sends the merged postcard to the loopback Lob server with the (enrollment, step) idempotency key, then goes on', async () => {
    const drip = await h.activeDrip({ steps: [POSTCARD, { subject: 'After the card', markdown: 'Hello' }] })
    const contactId = await recipient('ada@example.com')
    const { enrollment } = await enrollContact(h.services, { workspaceId: h.workspaceId, dripId: drip.id, input: { contactId } })
    expect(await drain()).toBe(2)
    expect(lob.counters.verifications).toBe(1)
    expect(lob.pieces).toHaveLength(1)
    const piece = lob.pieces[0]!
    expect(piece.piece).toBe('postcard')
    expect(piece.idempotencyKey).toBe(`${enrollment.id}:${drip.steps[0]!.id}`)
    // Merge fields filled in per contact, HTML-escaped.
    expect(piece.body.front).toBe('<h1>Hi Ada</h1>')
    expect(piece.body.back).toBe('<p>20% off, Ada &lt;Lovelace&gt;</p>')
    expect(piece.to).toMatchObject({ address_line1: '185 Berry St', address_zip: '94107' })
    expect(piece.from).toMatchObject({ name: 'Brand Inc', address_line1: '1 Main St' })
    expect(h.sentTo('ada@example.com').map((m) => m.parsed.subject)).toEqual(['After the card'])
    const [d] = (await mailDeliveries(drip.id)).filter((x) => x.stepId === drip.steps[0]!.id)
    expect(d).toMatchObject({ state: 'published', remoteId: piece.id })
    const [c] = await h.database.db.select().from(contacts).where(eq(contacts.id, contactId))
    expect(c!.postalVerification).toMatchObject({ deliverability: 'deliverable' })

    // A second drip's card: the stored verdict is used, no second verification.
    const again = await h.activeDrip({ name: 'Again', steps: [POSTCARD] })
    await enrollContact(h.services, { workspaceId: h.workspaceId, dripId: again.id, input: { contactId } })
    await drain()
    expect(lob.counters.verifications).toBe(1)
    expect(lob.pieces).toHaveLength(2)
  })

  it('an undeliverable address or none: the step is skipped with the reason, recorded, and the enrollment goes on', async () => {
    lob.undeliverableZips.add('99999')
    const drip = await h.activeDrip({ steps: [POSTCARD, { subject: 'Next', markdown: 'Hello' }] })
    const bad = await recipient('bad@example.com', { name: 'Bad', line1: '1 Nowhere', city: 'Nome', state: 'AK', zip: '99999' })
    const none = await recipient('none@example.com', null)
    for (const contactId of [bad, none]) await enrollContact(h.services, { workspaceId: h.workspaceId, dripId: drip.id, input: { contactId } })
    await drain()
    expect(lob.pieces).toHaveLength(0)
    const skipped = (await mailDeliveries(drip.id)).filter((d) => d.stepId === drip.steps[0]!.id)
    expect(skipped.map((d) => [d.state, d.lastError]).sort()).toEqual([
      ['skipped', 'address undeliverable (Lob’s verification)'.replace('’', "'")],
      ['skipped', 'no postal address'],
    ])
    expect(h.sentTo('bad@example.com')).toHaveLength(1)
    expect(h.sentTo('none@example.com')).toHaveLength(1)
    expect((await listEnrollments(h.database.db, { workspaceId: h.workspaceId, dripId: drip.id })).map((e) => e.status)).toEqual(['completed', 'completed'])
    const view = await getDrip(h.services, { workspaceId: h.workspaceId, dripId: drip.id })
    expect(view.steps[0]!.counts.skipped).toBe(2)
  })

  it("records Lob's signed tracking events on the delivery (once per event); a bad or stale signature is 403", async () => {
    const drip = await h.activeDrip({ steps: [POSTCARD] })
    const contactId = await recipient('ada@example.com')
    await enrollContact(h.services, { workspaceId: h.workspaceId, dripId: drip.id, input: { contactId } })
    await drain()
    const piece = lob.pieces[0]!
    const now = h.clock.now()
    const event = (id: string, type: string, at: string) => JSON.stringify({ id, event_type: { id: type, object: 'event_type' }, date_created: at, body: { id: piece.id, object: 'postcard' }, object: 'event' })
    const post = (body: string, args: { secret?: string; timestamp?: string } = {}) => {
      const timestamp = args.timestamp ?? String(now.getTime())
      return handleLobWebhook(h.services, { workspaceId: h.workspaceId, body, timestamp, signature: lobSignature({ secret: args.secret ?? WEBHOOK_SECRET, timestamp, body }) })
    }
    const transit = event('evt_1', 'postcard.in_transit', '2026-11-03T10:00:00Z')
    expect(await post(transit)).toEqual({ status: 200, recorded: true })
    expect(await post(transit)).toEqual({ status: 200, recorded: false })
    expect(await post(event('evt_2', 'postcard.delivered', '2026-11-05T10:00:00Z'))).toEqual({ status: 200, recorded: true })
    expect((await post(event('evt_3', 'postcard.re-routed', '2026-11-04T10:00:00Z'), { secret: 'whsec_somebody_else' })).status).toBe(403)
    expect((await post(event('evt_4', 'postcard.returned_to_sender', '2026-11-06T10:00:00Z'), { timestamp: String(now.getTime() - 10 * 60_000) })).status).toBe(403)
    expect((await handleLobWebhook(h.services, { workspaceId: h.workspaceId, body: transit, timestamp: String(now.getTime()), signature: null })).status).toBe(403)
    const [d] = await mailDeliveries(drip.id)
    expect(d!.providerStatus).toBe('postcard.delivered')
    expect((await listMailTracking(h.database.db, { workspaceId: h.workspaceId, deliveryId: d!.id })).map((e) => e.type)).toEqual(['postcard.in_transit', 'postcard.delivered'])
  })
})

describe('direct mail: bad input is a 4xx naming the field, nothing half-saved', () => {
  it('a mail step: unknown merge field, a postcard without a back, a mail step without a piece', async () => {
    const bad = async (steps: unknown[]) => {
      try {
        await createDrip(h.services, { workspaceId: h.workspaceId, input: { name: 'Bad', steps } })
      } catch (error) {
        return [(error as InputError).status, (error as InputError).field]
      }
      return null
    }
    expect(await bad([{ kind: 'mail', mail: { piece: 'postcard', front: 'Hi {{ contact.shoe_size }}', back: 'x' } }])).toEqual([400, 'steps.0.mail.front'])
    expect(await bad([{ kind: 'mail', mail: { piece: 'postcard', front: 'Hi' } }])).toEqual([400, 'steps.0.mail.back'])
    expect(await bad([{ kind: 'mail' }])).toEqual([400, 'steps.0.mail'])
    expect(await bad([{ kind: 'email', subject: 's', markdown: 'm', mail: { piece: 'letter', file: 'x' } }])).toEqual([400, 'steps.0.mail'])
  })

  it("a contact's postal address: a missing or bad part is named, the contact unchanged", async () => {
    const contactId = await recipient('ada@example.com', null)
    const attempt = async (postalAddress: unknown) => {
      try {
        await updateContactFromApi(h.services, { workspaceId: h.workspaceId, contactId, input: { postalAddress: postalAddress as never, name: 'Changed' } })
      } catch (error) {
        return [(error as InputError).status, (error as InputError).field]
      }
      return null
    }
    expect(await attempt({ name: 'Ada', city: 'SF', state: 'CA', zip: '94107' })).toEqual([400, 'postalAddress.line1'])
    expect(await attempt({ name: 'Ada', line1: '1 A St', city: 'SF', state: 'CA', zip: '941' })).toEqual([400, 'postalAddress.zip'])
    const [c] = await h.database.db.select().from(contacts).where(eq(contacts.id, contactId))
    expect(c).toMatchObject({ name: 'Ada <Lovelace>', postalAddress: null })
  })

  it('mail settings: the return address is checked by field, the API key sealed; a drip with a mail step needs them to activate', async () => {
    await expect(saveMailSettings(h.services, { workspaceId: h.workspaceId, input: { returnAddress: { ...RETURN, state: 'Illinois' } } })).rejects.toMatchObject({ status: 400, field: 'returnAddress.state' })
    await expect(saveMailSettings(h.services, { workspaceId: h.workspaceId, input: { apiKey: 'nope', returnAddress: RETURN } })).rejects.toMatchObject({ field: 'apiKey' })
    const view = await getMailSettings(h.services, { workspaceId: h.workspaceId })
    expect(view).toMatchObject({ configured: true, apiKeySet: true, webhookSecretSet: true, returnAddress: RETURN, prices: { postcard: 0.7 } })
    const stored = JSON.stringify(await h.database.db.select().from(accounts))
    expect(stored).not.toContain(lob.apiKey)
    expect(stored).not.toContain(WEBHOOK_SECRET)

    await h.database.db.delete(accounts).where(eq(accounts.kind, 'mail'))
    const drip = await createDrip(h.services, { workspaceId: h.workspaceId, input: { name: 'Cards', steps: [POSTCARD] } })
    await expect(activateDrip(h.services, { workspaceId: h.workspaceId, dripId: drip.id })).rejects.toMatchObject({ status: 422, field: 'mail' })
  })
})
