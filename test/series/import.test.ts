import { listDeliveries } from '../../db/queries/deliveries'
import { sequences } from '../../db/schema'
import { fixedClock } from '../../domain/clock'
import { csrfTokenOf, signUpAs, startTestApp, type TestApp, type TestBrowser } from '../app-server'
import { connectTestAccount, createApiToken, workspaceIdOf } from './setup'

/**
 * Importing many posts into the series editor: CSV (through domain/email/csv.ts) and Markdown, pasted or
 * uploaded; a preview of every row with its problems (the connectors' validation for the chosen
 * accounts), nothing written by the preview, and the accepted rows saved as one series or not at all.
 */

const clock = fixedClock(new Date('2026-03-10T12:00:00Z'))
let app: TestApp
let browser: TestBrowser
let workspaceId: string
let accountId: string

beforeAll(async () => {
  app = await startTestApp({ clock })
  browser = await signUpAs(app, { email: 'importer@import.test' })
  workspaceId = await workspaceIdOf(app, await createApiToken(browser))
  accountId = await connectTestAccount(app, { workspaceId, clock })
})
afterAll(async () => {
  await app?.close()
})

async function preview(fields: Record<string, string>, file?: { name: string; text: string }) {
  const body = new FormData()
  body.set('csrf', csrfTokenOf(await (await browser.get('/app/series/new')).text()))
  body.set(`account-${accountId}`, 'on')
  for (const [k, v] of Object.entries(fields)) body.set(k, v)
  if (file) body.set('file', new Blob([file.text], { type: 'text/plain' }), file.name)
  const response = await browser.request('/app/series/import', { method: 'POST', body })
  return { status: response.status, body: await response.json() }
}

const count = async () => (await app.services.database.db.select().from(sequences)).length

describe('import posts', () => {
  it('previews pasted CSV with threads and per-row problems, and writes nothing', async () => {
    const before = await count()
    const csv = ['text,part_2', 'First post,', '"Second, with a comma","and a reply"', ',orphan reply', `${'x'.repeat(501)},`].join('\n')
    const { status, body } = await preview({ text: csv })
    expect(status).toBe(200)
    expect(body).toMatchObject({ ok: true, format: 'csv', problems: 2 })
    expect(body.rows.map((r: { row: number }) => r.row)).toEqual([2, 3, 4, 5])
    expect(body.rows[0]).toEqual({ row: 2, post: { parts: [{ text: 'First post', images: [] }] }, errors: [] })
    expect(body.rows[1].post.parts.map((p: { text: string }) => p.text)).toEqual(['Second, with a comma', 'and a reply'])
    expect(body.rows[2].errors).toEqual(['text is empty'])
    expect(body.rows[3].errors).toEqual(['@team@social.example: Too long for this Mastodon server: 501 characters, at most 500.'])
    expect(await count()).toBe(before)
  })

  it('reads an uploaded Markdown file (posts separated by ---) and detects the format', async () => {
    const { status, body } = await preview({}, { name: 'posts.md', text: '# Tip 1\nWater early.\n---\n# Tip 2\nWeed often.\n\n---\n\n# Tip 3\nMulch.' })
    expect(status).toBe(200)
    expect(body).toMatchObject({ ok: true, format: 'markdown', problems: 0 })
    expect(body.rows.map((r: { post: { parts: Array<{ text: string }> } }) => r.post.parts[0]!.text)).toEqual(['# Tip 1\nWater early.', '# Tip 2\nWeed often.', '# Tip 3\nMulch.'])
  })

  it('refuses a malformed file with a 400 naming the field', async () => {
    const unclosed = await preview({ text: 'text\n"never closed', format: 'csv' })
    expect(unclosed.status).toBe(400)
    expect(unclosed.body).toMatchObject({ ok: false, field: 'text' })
    expect(unclosed.body.error).toContain('not closed')
    const noText = await preview({ text: 'body,when\nhello,now', format: 'csv' })
    expect(noText.status).toBe(400)
    expect(noText.body.error).toContain('a `text` column')
    const unknownColumn = await preview({ text: 'text,when\nhello,now', format: 'csv' })
    expect(unknownColumn.body.error).toContain('unknown column “when”')
    const empty = await preview({ text: '  ' })
    expect(empty).toMatchObject({ status: 400, body: { field: 'text' } })
  })

  it('saves the accepted rows as one series, or nothing when any post is invalid', async () => {
    const { body } = await preview({ text: 'text,part_2\nOne,\nTwo,Two b\nThree,' })
    const fields: Record<string, string> = {}
    body.rows.forEach((r: { post: { parts: Array<{ text: string }> } }, i: number) =>
      r.post.parts.forEach((p, j) => (fields[j === 0 ? `post-${i + 1}` : `post-${i + 1}-part-${j + 1}`] = p.text)),
    )
    const form = { name: 'Imported', [`account-${accountId}`]: 'on', rule: 'FREQ=WEEKLY;BYDAY=TU,TH;BYHOUR=9;BYMINUTE=0', start: '2026-03-17T09:00', timezone: 'Europe/Berlin' }
    const before = await count()
    const bad = await browser.submit('/app/series/new', { ...form, ...fields, 'post-4': 'y'.repeat(501) })
    expect(bad.status).toBe(400)
    expect(await count()).toBe(before)
    const saved = await browser.submit('/app/series/new', { ...form, ...fields })
    expect(saved.status).toBe(302)
    const seriesId = new URL(saved.headers.get('location')!, app.url).searchParams.get('series')!
    expect(await listDeliveries(app.services.database.db, { workspaceId, sequenceId: seriesId })).toHaveLength(3)
  })
})
