import { randomUUID } from 'node:crypto'
import { createMailConnector, type MailConnector } from '../../connectors/mail/index'
import type { ChannelContent } from '../../connectors/types'
import { runConnectorContract } from '../contract/connector'
import { startLobApiServer, type LobApiServer } from '../servers/lob-api'

const ada = { name: 'Ada Lovelace', line1: '185 Berry St', line2: 'Ste 6100', city: 'San Francisco', state: 'CA', zip: '94107' }
const brand = { name: 'Brand Inc.', line1: '1 Main St', city: 'Springfield', state: 'IL', zip: '62701' }
const postcard = (label: string): ChannelContent => ({ parts: [], mail: { piece: 'postcard', to: ada, from: brand, front: `<h1>${label}</h1>`, back: '<p>Hi {{name}}</p>', mergeVariables: { name: 'Ada' } } })

runConnectorContract('direct mail (Lob)', { refresh: false, lookup: false }, async () => {
  const lob = await startLobApiServer()
  const connector = createMailConnector({ apiBaseUrl: lob.url })
  return {
    connector,
    credentials: async () => ({ accessToken: lob.apiKey }),
    content: (label) => postcard(label),
    postsCreated: () => lob.counters.created,
    failNextPublishWithRateLimit: (resetAt) => lob.injectFault({ kind: 'rate-limit', resetAt }),
    failNextPublishWithUnavailable: (args) => lob.injectFault({ kind: 'unavailable', apply: args?.apply }),
    resetNextPublishAfterApplying: () => lob.injectFault({ kind: 'reset', apply: true }),
    close: () => lob.close(),
  }
})

describe('direct-mail connector against the loopback Lob API', () => {
  let lob: LobApiServer
  let connector: MailConnector
  beforeAll(async () => {
    lob = await startLobApiServer()
    connector = createMailConnector({ apiBaseUrl: lob.url })
  })
  afterAll(async () => {
    await lob?.close()
  })

  it('sends a postcard with merge variables and a letter, each under its idempotency key (one piece per enrollment and step)', async () => {
    const key = `${randomUUID()}:${randomUUID()}`
    const first = await connector.publish({ credentials: { accessToken: lob.apiKey }, content: postcard('Sale'), idempotencyKey: key })
    const again = await connector.publish({ credentials: { accessToken: lob.apiKey }, content: postcard('Sale'), idempotencyKey: key })
    expect(first.remoteId).toMatch(/^psc_/)
    expect(again.remoteId).toBe(first.remoteId)
    const piece = lob.pieces.find((p) => p.id === first.remoteId)!
    expect(piece).toMatchObject({ piece: 'postcard', idempotencyKey: key, to: { name: 'Ada Lovelace', address_line1: '185 Berry St', address_zip: '94107' } })
    expect(piece.body).toMatchObject({ merge_variables: { name: 'Ada' }, size: '4x6' })
    const letter = await connector.publish({ credentials: { accessToken: lob.apiKey }, content: { parts: [], mail: { piece: 'letter', to: ada, from: brand, file: '<p>Dear {{name}}</p>', mergeVariables: { name: 'Ada' } } }, idempotencyKey: randomUUID() })
    expect(letter.remoteId).toMatch(/^ltr_/)
  })

  it('verifies an address: deliverable, or undeliverable', async () => {
    expect(await connector.verifyAddress({ credentials: { accessToken: lob.apiKey }, address: ada })).toMatchObject({ deliverability: 'deliverable', address: { line1: '185 BERRY ST', zip: '94107' } })
    lob.undeliverableZips.add('99999')
    expect(await connector.verifyAddress({ credentials: { accessToken: lob.apiKey }, address: { ...ada, zip: '99999' } })).toMatchObject({ deliverability: 'undeliverable' })
  })

  it('a refused request (422) is invalid-content; a postcard without a back is refused before calling Lob', async () => {
    expect(connector.validate({ parts: [], mail: { piece: 'postcard', to: ada, from: brand, front: 'x' } }).map((p) => p.path)).toEqual(['mail.front'])
    const before = lob.counters.created
    await expect(connector.publish({ credentials: { accessToken: lob.apiKey }, content: { parts: [], mail: { piece: 'letter', to: ada, from: brand, file: '' } }, idempotencyKey: randomUUID() })).rejects.toMatchObject({ kind: 'invalid-content' })
    expect(lob.counters.created).toBe(before)
  })
})
