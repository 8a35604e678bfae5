import { generateKeyPairSync } from 'node:crypto'
import { sql } from 'drizzle-orm'
import { dkimVerify } from 'mailauth'
import { activationWarnings } from '../../core/drips/activation-warnings.server'
import { sendToContact } from '../../core/email.server'
import { listAuditEvents } from '../../db/queries/audit'
import { startEmailApp, type EmailTestApp } from './setup'

/** DKIM per sender domain (decision 078): set on the sender page, signed by the connector, verified by mailauth. */

let t: EmailTestApp
beforeAll(async () => {
  t = await startEmailApp({ worker: false })
})
afterAll(async () => {
  await t?.close()
})

const rowsOf = <T>(result: unknown): T[] => (Array.isArray(result) ? result : (result as { rows: T[] }).rows) as T[]

/** Every text cell of every table, so a test can say a secret is stored nowhere in clear. */
async function databaseText(): Promise<string> {
  const db = t.app.services.database.db
  const tables = rowsOf<{ table_name: string }>(await db.execute(sql`SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`))
  let text = ''
  for (const { table_name } of tables) text += JSON.stringify(rowsOf(await db.execute(sql.raw(`SELECT * FROM "${table_name}"`))))
  return text
}

describe('DKIM on the sender page', () => {
  it('refuses bad input naming the field, and saves nothing', async () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()
    // The field's error as the page's action data carries it: `fieldErrors`, then the field name, then its message.
    const cases: Array<[Record<string, string>, string, string]> = [
      [{ domain: 'bad domain', selector: 's1', key: 'generate' }, 'domain', 'Enter the domain you send from'],
      [{ domain: 'https://brand.test', selector: 's1', key: 'generate' }, 'domain', 'Enter the domain you send from'],
      [{ domain: 'brand.test', selector: 'my selector', key: 'generate' }, 'selector', 'Enter a selector'],
      [{ domain: 'brand.test', selector: 's1', key: 'paste', privateKey: '' }, 'privateKey', 'Paste the PEM RSA private key'],
      [{ domain: 'brand.test', selector: 's1', key: 'paste', privateKey: 'ssh-rsa AAAA not a key' }, 'privateKey', 'must be a PEM RSA private key'],
      [{ domain: 'brand.test', selector: 's1', key: 'paste', privateKey: '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----' }, 'privateKey', 'could not be read'],
      [{ domain: 'brand.test', selector: 's1', key: 'paste', privateKey: ec }, 'privateKey', 'is an ec key, not an RSA key'],
    ]
    for (const [fields, field, message] of cases) {
      const response = await t.browser.submit('/app/contacts/sender', { intent: 'save-dkim', ...fields })
      expect([response.status, field]).toEqual([400, field])
      expect(await response.text()).toMatch(new RegExp(`fieldErrors[^\\]]*?\\\\"${field}\\\\",\\\\"[^"]*${message}`))
    }
    const audit = await listAuditEvents(t.app.services.database.db, { workspaceId: t.workspaceId, kind: 'dkim.updated', limit: 10 })
    expect(audit.filter((e) => e.kind === 'dkim.updated')).toEqual([])
    expect(await activationWarnings(t.app.services, { workspaceId: t.workspaceId })).toContainEqual(expect.objectContaining({ field: 'dkim' }))
  })

  it('generates a key, shows the TXT record, signs From and List-Unsubscribe(-Post) so that mailauth says pass; the key is sealed', async () => {
    const saved = await t.browser.submit('/app/contacts/sender', { intent: 'save-dkim', domain: 'Brand.test', selector: 'trickle1', key: 'generate' })
    expect(saved.status).toBe(200)
    const page = await (await t.browser.get('/app/contacts/sender')).text()
    expect(page).toContain('trickle1._domainkey.brand.test')
    const record = /v=DKIM1; k=rsa; p=[A-Za-z0-9+/=]+/.exec(page)?.[0]
    expect(record).toBeDefined()
    expect(page).not.toContain('PRIVATE KEY')
    expect(await activationWarnings(t.app.services, { workspaceId: t.workspaceId })).not.toContainEqual(expect.objectContaining({ field: 'dkim' }))

    const contact = await (await t.api('POST', '/api/v1/contacts', { email: 'reader@example.com' })).json()
    await sendToContact(t.app.services, { workspaceId: t.workspaceId, contactId: contact.id, purpose: 'marketing', idempotencyKey: 'dkim-1', template: { subject: 'Signed', markdown: 'Hello' } })
    const message = t.smtp.messages.at(-1)!
    expect(message.raw).toMatch(/^List-Unsubscribe-Post: List-Unsubscribe=One-Click$/m)
    const lookups: string[] = []
    const resolver = async (name: string, type: string) => {
      lookups.push(`${type} ${name}`)
      if (type === 'TXT' && name === 'trickle1._domainkey.brand.test') return [[record!]]
      throw Object.assign(new Error(`no ${type} ${name}`), { code: 'ENOTFOUND' })
    }
    const verified = await dkimVerify(Buffer.from(message.raw), { resolver })
    expect(lookups).toEqual(['TXT trickle1._domainkey.brand.test'])
    expect(verified.results).toHaveLength(1)
    const [result] = verified.results
    expect(result).toMatchObject({ signingDomain: 'brand.test', selector: 'trickle1', status: { result: 'pass' } })
    const signed = /\bh=([^;]+)/.exec(message.raw.replace(/\r?\n[ \t]+/g, ' ').match(/^DKIM-Signature:.*$/im)![0])![1]!.toLowerCase().split(':').map((h) => h.trim())
    expect(signed).toEqual(expect.arrayContaining(['from', 'list-unsubscribe', 'list-unsubscribe-post', 'subject', 'message-id']))

    const audit = await listAuditEvents(t.app.services.database.db, { workspaceId: t.workspaceId, kind: 'dkim.updated', limit: 10 })
    expect(audit.filter((e) => e.kind === 'dkim.updated')).toEqual([expect.objectContaining({ detail: expect.objectContaining({ domain: 'brand.test', selector: 'trickle1', generated: true }) })])
    // The private key is nowhere in the database in clear: only the vault's ciphertext holds it.
    const text = await databaseText()
    expect(text).not.toContain('PRIVATE KEY')
    expect(text).not.toContain(record!.slice(-40))
  })

  it('takes a pasted PEM RSA key; a tampered message fails verification', async () => {
    const pair = generateKeyPairSync('rsa', { modulusLength: 2048 })
    const pem = pair.privateKey.export({ type: 'pkcs1', format: 'pem' }).toString()
    expect((await t.browser.submit('/app/contacts/sender', { intent: 'save-dkim', domain: 'brand.test', selector: 'pasted', key: 'paste', privateKey: pem })).status).toBe(200)
    const publicKey = pair.publicKey.export({ type: 'spki', format: 'der' }).toString('base64')
    expect(await (await t.browser.get('/app/contacts/sender')).text()).toContain(`v=DKIM1; k=rsa; p=${publicKey}`)
    const contact = await (await t.api('POST', '/api/v1/contacts', { email: 'pasted@example.com' })).json()
    await sendToContact(t.app.services, { workspaceId: t.workspaceId, contactId: contact.id, purpose: 'marketing', idempotencyKey: 'dkim-2', template: { subject: 'Signed again', markdown: 'Hello' } })
    const raw = t.smtp.messages.at(-1)!.raw
    const resolver = async () => [[`v=DKIM1; k=rsa; p=${publicKey}`]]
    expect((await dkimVerify(Buffer.from(raw), { resolver })).results[0]).toMatchObject({ selector: 'pasted', status: { result: 'pass' } })
    const tampered = raw.replace('List-Unsubscribe-Post: List-Unsubscribe=One-Click', 'List-Unsubscribe-Post: List-Unsubscribe=Two-Click')
    expect((await dkimVerify(Buffer.from(tampered), { resolver })).results[0]).toMatchObject({ status: { result: 'fail' } })
  })

  it('removes the key (owner only): mail goes out unsigned, the page asks for a key again, the audit log says so', async () => {
    await t.browser.submit('/app/contacts/sender', { intent: 'save-dkim', domain: 'brand.test', selector: 'gone', key: 'generate' })
    const removed = await t.browser.submit('/app/contacts/sender', { intent: 'remove-dkim' })
    expect(removed.status).toBe(200)
    expect(await (await t.browser.get('/app/contacts/sender')).text()).toContain('DKIM is not configured')
    const contact = await (await t.api('POST', '/api/v1/contacts', { email: 'unsigned@example.com' })).json()
    await sendToContact(t.app.services, { workspaceId: t.workspaceId, contactId: contact.id, purpose: 'marketing', idempotencyKey: 'dkim-3', template: { subject: 'Unsigned', markdown: 'Hello' } })
    expect(t.smtp.messages.at(-1)!.raw).not.toMatch(/^DKIM-Signature:/im)
    const audit = await listAuditEvents(t.app.services.database.db, { workspaceId: t.workspaceId, kind: 'dkim.removed', limit: 10 })
    expect(audit.filter((e) => e.kind === 'dkim.removed')).toHaveLength(1)
  })
})
