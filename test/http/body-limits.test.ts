import { request as httpRequest } from 'node:http'
import { eq } from 'drizzle-orm'
import { contactImports } from '../../db/schema'
import { csrfTokenOf, signUpAs, startTestApp, type TestApp, type TestBrowser } from '../app-server'

/**
 * Request bodies are limited per route while they stream (app/utils/body-limit.server.ts, decision 064):
 * a large declared body is refused before it is read, a large chunked one is cut off at the route's
 * limit, and the process's memory does not grow with the body.
 */

const MB = 1024 * 1024
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64')

let app: TestApp
let browser: TestBrowser
beforeAll(async () => {
  app = await startTestApp()
  browser = await signUpAs(app, { email: 'owner@limits.test' })
})
afterAll(async () => {
  await app?.close()
})

/** Bytes held in Buffers and ArrayBuffers (where a request body lives; the JS heap's garbage from rendering pages would only add noise). */
function memoryInUse(): number {
  return process.memoryUsage().arrayBuffers
}

/**
 * Stream `total` bytes (a `head`, then zeros, 64 KB at a time, respecting backpressure) to the app with
 * node:http, chunked or with a declared Content-Length; stop writing once the answer arrives. Resolves
 * the answer and how far this process's array buffers (client and server: the app runs in this process)
 * rose above their start meanwhile.
 */
async function streamBody(args: { path: string; total: number; chunked: boolean; headers?: Record<string, string>; head?: string }) {
  const chunk = Buffer.alloc(64 * 1024)
  const start = memoryInUse()
  let peak = start
  const sampler = setInterval(() => (peak = Math.max(peak, memoryInUse())), 5)
  try {
    const answer = await new Promise<{ status: number; headers: Record<string, unknown>; body: string; sent: number }>((resolve, reject) => {
      let sent = 0
      let answered = false
      const req = httpRequest(`${app.url}${args.path}`, {
        method: 'POST',
        headers: { ...args.headers, ...(args.chunked ? { 'Transfer-Encoding': 'chunked' } : { 'Content-Length': String(args.total) }) },
      })
      req.on('response', (res) => {
        answered = true
        let body = ''
        res.setEncoding('utf8')
        res.on('data', (c: string) => (body += c))
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body, sent }))
        res.on('error', reject)
      })
      // The server closes the connection after its 413: writes still under way fail, the answer stands.
      req.on('error', (error) => (answered ? undefined : reject(error)))
      const write = () => {
        while (!answered && !req.destroyed && sent < args.total) {
          const head = sent === 0 && args.head ? Buffer.from(args.head) : null
          const piece = head ?? chunk.subarray(0, Math.min(chunk.length, args.total - sent))
          sent += piece.length
          if (!req.write(piece)) return void req.once('drain', write)
        }
        if (!answered && !req.destroyed) req.end()
      }
      write()
    })
    return { ...answer, grewBy: peak - start }
  } finally {
    clearInterval(sampler)
  }
}

function cookieHeader(): string {
  return [...browser.cookies].map(([k, v]) => `${k}=${v}`).join('; ')
}

describe('request body limits', () => {
  it('answers a 50 MB login form 413 from its Content-Length, before reading it, without the memory growing', async () => {
    const answer = await streamBody({ path: '/login', total: 50 * MB, chunked: false, headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, head: 'email=a%40b.test&password=' })
    expect(answer.status).toBe(413)
    expect(answer.headers.connection).toBe('close')
    expect(answer.body).toContain('larger than 64 KB')
    expect(answer.sent).toBeLessThan(50 * MB)
    expect(answer.grewBy).toBeLessThan(10 * MB)
  })

  it('cuts a chunked 50 MB login form off at its limit', async () => {
    const answer = await streamBody({ path: '/login', total: 50 * MB, chunked: true, headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, head: 'email=a%40b.test&password=' })
    expect(answer.status).toBe(413)
    expect(answer.sent).toBeLessThan(20 * MB)
    expect(answer.grewBy).toBeLessThan(10 * MB)
  })

  it('cuts a chunked 60 MB upload off at the media limit with a JSON error naming the field', async () => {
    const boundary = 'trickle-limit-test'
    const answer = await streamBody({
      path: '/app/media',
      total: 60 * MB,
      chunked: true,
      headers: { Cookie: cookieHeader(), 'Content-Type': `multipart/form-data; boundary=${boundary}` },
      head: `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="huge.png"\r\nContent-Type: image/png\r\n\r\n`,
    })
    expect(answer.status).toBe(413)
    expect(JSON.parse(answer.body)).toEqual({ error: 'file: images can be at most 5 MB', field: 'file' })
    expect(answer.sent).toBeLessThan(30 * MB)
    // The media limit is 5 MB + 64 KB: at most that much of the body was held.
    expect(answer.grewBy).toBeLessThan(20 * MB)
  })

  it('answers the JSON API with its error shape', async () => {
    const answer = await streamBody({ path: '/api/v1/contacts', total: 2 * MB, chunked: false, headers: { 'Content-Type': 'application/json' } })
    expect(answer.status).toBe(413)
    expect(JSON.parse(answer.body)).toEqual({ error: { code: 'body_too_large', message: 'The request body is larger than 1 MB' } })
  })

  it('still takes normal forms, small uploads (also chunked) and a contact import above the default limit', async () => {
    // A chunked login form under the limit reaches the route (wrong password, not 413).
    const login = await streamBody({ path: '/login', total: 40, chunked: true, headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, head: 'email=owner%40limits.test&password=x' })
    expect(login.status).not.toBe(413)

    const csrf = csrfTokenOf(await (await browser.get('/app/series/new')).text())
    const image = new FormData()
    image.set('csrf', csrf)
    image.set('file', new Blob([new Uint8Array(PNG)]), 'chart.png')
    const uploaded = await browser.request('/app/media', { method: 'POST', body: image })
    expect(uploaded.status).toBe(201)

    // The same form as a stream: fetch sends it chunked, without a Content-Length.
    const encoded = new Response(image)
    const contentType = encoded.headers.get('content-type')!
    const bytes = new Uint8Array(await encoded.arrayBuffer())
    const stream = new ReadableStream({
      start(controller) {
        controller.enqueue(bytes)
        controller.close()
      },
    })
    const chunkedUpload = await browser.request('/app/media', { method: 'POST', body: stream, duplex: 'half', headers: { 'Content-Type': contentType } } as RequestInit)
    expect(chunkedUpload.status).toBe(201)

    const rows = ['email,name']
    for (let i = 0, size = 0; size < 1.5 * MB; i++) size += rows[rows.push(`reader${i}@import.test,Reader Number ${i} with a longer name to fill the file`) - 1]!.length + 1
    const importCsrf = csrfTokenOf(await (await browser.get('/app/contacts/import')).text())
    const csv = new FormData()
    csv.set('csrf', importCsrf)
    csv.set('file', new Blob([rows.join('\n')], { type: 'text/csv' }), 'contacts.csv')
    const imported = await browser.request('/app/contacts/import', { method: 'POST', body: csv })
    expect(imported.status).toBe(302)
    expect(imported.headers.get('location')).toMatch(/^\/app\/contacts\/imports\//)
    // The import runs on after the answer: wait for it, so the database is not closed under it.
    const importId = imported.headers.get('location')!.split('/').pop()!
    for (let i = 0; i < 300; i++) {
      const [record] = await app.services.database.db.select().from(contactImports).where(eq(contactImports.id, importId))
      if (record && !['validating', 'importing'].includes(record.status)) break
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    const [record] = await app.services.database.db.select().from(contactImports).where(eq(contactImports.id, importId))
    expect(record?.status).toBe('done')
  })
})
