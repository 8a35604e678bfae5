import { eq, sql } from 'drizzle-orm'
import { findContactByEmail, listConsentRecords } from '../../db/queries/contacts'
import { contacts } from '../../db/schema'
import { parseCsv } from '../../domain/email/csv'
import { startEmailApp, type EmailTestApp } from './setup'

let t: EmailTestApp
beforeAll(async () => {
  t = await startEmailApp()
  const added = await t.browser.submit('/app/contacts/fields', { key: 'seats', label: 'Seats', type: 'number' })
  expect(added.status).toBe(200)
})
afterAll(async () => {
  await t?.close()
})

const countContacts = async () =>
  (await t.app.services.database.db.select({ n: sql<number>`count(*)::int` }).from(contacts).where(eq(contacts.workspaceId, t.workspaceId)))[0]!.n

/** Upload through the real page (multipart + CSRF), then poll the progress page until it settles. */
async function importCsv(csv: string) {
  const page = await t.browser.get('/app/contacts/import')
  const token = /name="csrf" value="([^"]*)"/.exec(await page.text())![1]!
  const form = new FormData()
  form.set('csrf', token)
  form.set('file', new Blob([csv], { type: 'text/csv' }), 'contacts.csv')
  const posted = await t.browser.request('/app/contacts/import', { method: 'POST', body: form })
  expect(posted.status).toBe(302)
  const progressPath = posted.headers.get('location')!
  expect(progressPath).toMatch(/^\/app\/contacts\/imports\/[0-9a-f-]{36}$/)
  const seen: number[] = []
  for (let i = 0; i < 200; i++) {
    const html = await (await t.browser.get(progressPath)).text()
    const status = /data-status="([a-z]+)"/.exec(html)![1]!
    seen.push(Number(/aria-valuenow="(\d+)"/.exec(html)![1]))
    if (status === 'done' || status === 'failed') return { status, html, seen }
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error('the import did not finish')
}

describe('custom fields page', () => {
  it('refuses a built-in or malformed key, naming the field', async () => {
    for (const key of ['email', 'Bad Key']) {
      const response = await t.browser.submit('/app/contacts/fields', { key, label: 'x', type: 'text' })
      expect(response.status).toBe(400)
    }
    const duplicate = await t.browser.submit('/app/contacts/fields', { key: 'seats', label: 'Again', type: 'text' })
    expect(await duplicate.text()).toContain('A field with the key &quot;seats&quot; exists')
  })
})

describe('CSV import', () => {
  it('imports every row of a good file, with progress reaching 100%, and a consent record per contact', async () => {
    const rows = Array.from({ length: 1200 }, (_, i) => `user${i}@import.test,User ${i},Europe/Berlin,a;b,${i}`)
    const result = await importCsv(['email,name,timezone,tags,seats', ...rows].join('\n'))
    expect(result.status).toBe('done')
    expect(result.seen.at(-1)).toBe(100)
    expect(result.html).toContain('Imported 1200 contacts')
    expect(await countContacts()).toBe(1200)
    const one = await findContactByEmail(t.app.services.database.db, { workspaceId: t.workspaceId, email: 'user7@import.test' })
    expect(one).toMatchObject({ name: 'User 7', timezone: 'Europe/Berlin', tags: ['a', 'b'], fields: { seats: 7 }, status: 'subscribed' })
    expect((await listConsentRecords(t.app.services.database.db, { workspaceId: t.workspaceId, contactId: one!.id }))[0]?.source).toMatch(/^import:/)
  })

  it('imports nothing from a file with one bad row and reports the row and field', async () => {
    const before = await countContacts()
    const rows = Array.from({ length: 50 }, (_, i) => `fresh${i}@import.test,${i}`)
    rows[36] = 'fresh36@import.test,lots'
    const result = await importCsv(['email,seats', ...rows].join('\n'))
    expect(result.status).toBe('failed')
    expect(result.html).toContain('Nothing was imported')
    const table = /data-testid="import-errors"[\s\S]*<\/table>/.exec(result.html)![0]
    expect(table).toMatch(/<td[^>]*>37<\/td><td[^>]*>seats<\/td><td[^>]*>must be a number<\/td>/)
    expect(await countContacts()).toBe(before)
  })

  it('refuses addresses that already exist, and a malformed file, without writing', async () => {
    const before = await countContacts()
    const existing = await importCsv('email\nnew1@import.test\nuser3@import.test\n')
    expect(existing.status).toBe('failed')
    expect(existing.html).toContain('a contact with this address already exists')
    const broken = await importCsv('email,name\n"unterminated@import.test,x\n')
    expect(broken.status).toBe('failed')
    expect(await countContacts()).toBe(before)
  })

  it('exports every contact as CSV with the custom fields', async () => {
    const response = await t.browser.get('/app/contacts/export')
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toMatch(/^text\/csv/)
    const rows = parseCsv(await response.text())
    expect(rows[0]).toEqual(['email', 'name', 'timezone', 'tags', 'seats', 'status', 'lead_score'])
    expect(rows).toHaveLength(1 + (await countContacts()))
    expect(rows).toContainEqual(['user5@import.test', 'User 5', 'Europe/Berlin', 'a;b', '5', 'subscribed', '0'])
  })

  it('lists and searches contacts, and shows one with its consent', async () => {
    const list = await (await t.browser.get('/app/contacts?q=user11%40import')).text()
    expect(list).toContain('user11@import.test')
    expect(list).not.toContain('user5@import.test')
    const id = /href="\/app\/contacts\/([0-9a-f-]{36})"/.exec(list)![1]
    const detail = await (await t.browser.get(`/app/contacts/${id}`)).text()
    expect(detail).toContain('data-testid="lead-score"')
    expect(detail).toMatch(/import:[0-9a-f-]{36}/)
  })
})
