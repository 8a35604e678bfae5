import { existsSync } from 'node:fs'
import path from 'node:path'
import { LIBRARY_PAGE, listLibrary, pageLibrary } from '../../core/media.server'
import { insertMedia } from '../../db/queries/media'
import { fixedClock } from '../../domain/clock'
import { csrfTokenOf, signUpAs, startTestApp, type TestApp, type TestBrowser } from '../app-server'
import { connectTestAccount, createApiToken, workspaceIdOf } from './setup'

/**
 * The media library (decision 098): images uploaded once (on the library page or from the editor) are
 * listed for reuse with the alt text kept with them; alt text can be edited; an image a post uses
 * (main text or a network's variant) cannot be deleted and the refusal names the posts; all scoped to
 * the workspace.
 */

const clock = fixedClock(new Date('2026-03-10T12:00:00Z'))
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64')
const LIBRARY = '/app/series/media'
let app: TestApp
let browser: TestBrowser
let other: TestBrowser
let workspaceId: string
let token: string
let mastodonId: string
let xId: string

beforeAll(async () => {
  app = await startTestApp({ clock, env: { X_CLIENT_ID: 'client', X_CLIENT_SECRET: 'secret' } })
  browser = await signUpAs(app, { email: 'writer@library.test' })
  other = await signUpAs(app, { email: 'someone@elsewhere.test' })
  token = await createApiToken(browser)
  workspaceId = await workspaceIdOf(app, token)
  mastodonId = await connectTestAccount(app, { workspaceId, clock })
  xId = await connectTestAccount(app, { workspaceId, clock, kind: 'x', handle: 'team_x' })
})
afterAll(async () => {
  await app?.close()
})

/** The library as the page's loader reads it (the page itself is checked by its HTML below). */
const library = (_as: TestBrowser) => listLibrary(app.services, { workspaceId })

async function libraryForm(as: TestBrowser, fields: Record<string, string | Blob>, fileName?: string): Promise<Response> {
  const csrf = csrfTokenOf(await (await as.get(LIBRARY)).text())
  const body = new FormData()
  body.set('csrf', csrf)
  for (const [key, value] of Object.entries(fields)) {
    if (typeof value === 'string') body.set(key, value)
    else body.set(key, value, fileName)
  }
  return as.request(LIBRARY, { method: 'POST', body })
}

const api = (pathname: string, body: unknown) =>
  fetch(`${app.url}/api/v1${pathname}`, { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body: JSON.stringify(body) })

describe('the media library', () => {
  it('keeps uploaded images with their alt text, lets people edit it, and stays inside the workspace', async () => {
    const uploaded = await libraryForm(browser, { intent: 'upload', alt: 'Our logo on a white ground', file: new Blob([PNG]) }, 'logo.png')
    expect(uploaded.status).toBe(302)
    const [logo] = await library(browser)
    expect(logo).toMatchObject({ fileName: 'logo.png', alt: 'Our logo on a white ground' })

    // An image uploaded from the editor has no alt text until a post that uses it is saved with one.
    const csrf = csrfTokenOf(await (await browser.get('/app/series/new')).text())
    const body = new FormData()
    body.set('csrf', csrf)
    body.set('file', new Blob([PNG]), 'chart.png')
    const chart = await (await browser.request('/app/media', { method: 'POST', body })).json()
    expect((await library(browser)).find((i) => i.id === chart.id)?.alt).toBe('')
    const created = await api('/series', {
      name: 'Charts',
      posts: [{ parts: [{ text: 'Signups', images: [{ mediaId: chart.id, alt: 'Signups per week, rising' }] }] }],
      accountIds: [mastodonId],
      rule: 'FREQ=WEEKLY;BYDAY=TU;BYHOUR=9;BYMINUTE=0',
      start: '2026-03-17T09:00',
      timezone: 'Europe/Berlin',
    })
    expect(created.status, await created.clone().text()).toBe(201)
    expect((await library(browser)).find((i) => i.id === chart.id)?.alt).toBe('Signups per week, rising')

    // Edit the alt text; another workspace neither sees the image nor can change it.
    expect((await libraryForm(browser, { intent: 'alt', mediaId: logo!.id, alt: 'The Trickle logo' })).status).toBe(302)
    expect((await library(browser)).find((i) => i.id === logo!.id)?.alt).toBe('The Trickle logo')
    const otherPage = await (await other.get(LIBRARY)).text()
    expect(otherPage).toContain('No images yet.')
    expect(otherPage).not.toContain('logo.png')
    const foreign = await libraryForm(other, { intent: 'alt', mediaId: logo!.id, alt: 'Hijacked' })
    expect(foreign.status).toBe(404)
    expect((await library(browser)).find((i) => i.id === logo!.id)?.alt).toBe('The Trickle logo')
    const tooLong = await libraryForm(browser, { intent: 'alt', mediaId: logo!.id, alt: 'a'.repeat(1001) })
    expect(tooLong.status).toBe(400)
    expect(await tooLong.text()).toContain('at most 1000 characters')
  })

  it('refuses to delete an image a post uses (in its main text or a variant), naming the posts; deletes an unused one with its file', async () => {
    const upload = async (name: string) => {
      expect((await libraryForm(browser, { intent: 'upload', alt: name, file: new Blob([PNG]) }, name)).status).toBe(302)
      return (await library(browser)).find((i) => i.fileName === name)!
    }
    const used = await upload('used.png')
    const inVariant = await upload('variant.png')
    const unused = await upload('unused.png')
    const created = await api('/series', {
      name: 'Launch week',
      posts: ['First post', { parts: [{ text: 'Second post', images: [{ mediaId: used.id, alt: 'Used' }] }] }, { parts: [{ text: 'Third' }], variants: { x: { parts: [{ text: 'Third, for X', images: [{ mediaId: inVariant.id, alt: 'In the X variant' }] }] } } }],
      accountIds: [mastodonId, xId],
      rule: 'FREQ=WEEKLY;BYDAY=TU;BYHOUR=9;BYMINUTE=0',
      start: '2026-03-17T09:00',
      timezone: 'Europe/Berlin',
    })
    expect(created.status, await created.clone().text()).toBe(201)

    const refused = await libraryForm(browser, { intent: 'delete', mediaId: used.id })
    expect(refused.status).toBe(409)
    expect(await refused.text()).toContain('used.png is used by a post: “Launch week” post 2. Remove it from that post first.')
    const refusedVariant = await libraryForm(browser, { intent: 'delete', mediaId: inVariant.id })
    expect(refusedVariant.status).toBe(409)
    expect(await refusedVariant.text()).toContain('“Launch week” post 3')
    expect((await library(browser)).map((i) => i.id)).toEqual(expect.arrayContaining([used.id, inVariant.id]))

    const file = path.join(app.services.config.DATA_DIR, 'media', workspaceId, unused.id)
    expect(existsSync(file)).toBe(true)
    expect((await libraryForm(other, { intent: 'delete', mediaId: unused.id })).status).toBe(404)
    expect((await libraryForm(browser, { intent: 'delete', mediaId: unused.id })).status).toBe(302)
    expect((await library(browser)).some((i) => i.id === unused.id)).toBe(false)
    expect(existsSync(file)).toBe(false)
    expect((await browser.get(`/app/media/${unused.id}`)).status).toBe(404)

    // A series saved with the deleted image is refused, naming the field.
    const stale = await api('/series', {
      name: 'Stale',
      posts: [{ parts: [{ text: 'Gone', images: [{ mediaId: unused.id, alt: 'Gone' }] }] }],
      accountIds: [mastodonId],
      rule: 'FREQ=WEEKLY;BYDAY=TU;BYHOUR=9;BYMINUTE=0',
      start: '2026-03-17T09:00',
      timezone: 'Europe/Berlin',
    })
    expect(stale.status).toBe(400)
    expect(JSON.stringify(await stale.json())).toContain('posts.0.parts.0.images.0.mediaId')
  })

  it('the editor page offers the library and the series list links to it', async () => {
    const list = await (await browser.get('/app/series')).text()
    expect(list).toContain('href="/app/series/media"')
    const page = await (await browser.get(LIBRARY)).text()
    expect(page).toContain('Media library')
    expect(page).toContain('Alt text of logo.png')
  })

  it('searches file names and alt texts and pages past the first 48 with a cursor (the loader the picker uses too)', async () => {
    const pager = await signUpAs(app, { email: 'pager@library.test' })
    const pagerToken = await createApiToken(pager)
    const ws = await workspaceIdOf(app, pagerToken)
    // 130 images (more than two pages), one a millisecond apart; every tenth has "Sunset" in its alt text,
    // every thirteenth "sunset" in its file name; one name holds a literal "%".
    const total = 130
    for (let i = 0; i < total; i++) {
      await insertMedia(app.services.database.db, {
        workspaceId: ws,
        fileName: i === 7 ? 'growth-100%.png' : i % 13 === 0 ? `beach-sunset-${i}.png` : `photo-${String(i).padStart(3, '0')}.png`,
        mimeType: 'image/png',
        size: PNG.length,
        sha256: `sha-${i}`,
        alt: i % 10 === 0 ? `Sunset over the bay, take ${i}` : '',
        now: new Date(Date.UTC(2026, 2, 1, 12, 0, 0, i)),
      })
    }
    // Through the page: follow "Next page" links until there are none; every image once, newest first.
    const seen: string[] = []
    let href: string | null = LIBRARY
    let pages = 0
    while (href) {
      const html = await (await pager.get(href)).text()
      seen.push(...[...html.matchAll(/aria-label="Delete ([^"]+)"/g)].map((m) => m[1]!))
      const next = /href="(\/app\/series\/media\?cursor=[^"]+)"[^>]*>Next page/.exec(html)
      href = next ? next[1]!.replace(/&amp;/g, '&') : null
      if (pages > 0) expect(html).toMatch(/href="\/app\/series\/media"[^>]*>← First page/)
      pages++
    }
    expect(pages).toBe(Math.ceil(total / LIBRARY_PAGE))
    expect(seen).toHaveLength(total)
    expect(new Set(seen).size).toBe(total)
    expect(seen[0]).toBe('photo-129.png')

    // Search: file name or alt text, case-insensitive, "%" taken literally; paging keeps the search.
    const sunset = await pageLibrary(app.services, { workspaceId: ws, query: 'SUNSET' })
    const expected = Array.from({ length: total }, (_, i) => i).filter((i) => i !== 7 && (i % 10 === 0 || i % 13 === 0))
    expect(sunset.images).toHaveLength(expected.length)
    expect(sunset.nextCursor).toBeNull()
    expect((await pageLibrary(app.services, { workspaceId: ws, query: '100%' })).images.map((i) => i.fileName)).toEqual(['growth-100%.png'])
    expect((await pageLibrary(app.services, { workspaceId: ws, query: '%' })).images.map((i) => i.fileName)).toEqual(['growth-100%.png'])
    const photos = await pageLibrary(app.services, { workspaceId: ws, query: 'photo-' })
    const rest = await pageLibrary(app.services, { workspaceId: ws, query: 'photo-', cursor: photos.nextCursor! })
    expect([...photos.images, ...rest.images].every((i) => i.fileName.startsWith('photo-'))).toBe(true)
    const searched = await (await pager.get(`${LIBRARY}?q=sunset`)).text()
    expect([...searched.matchAll(/aria-label="Delete ([^"]+)"/g)]).toHaveLength(expected.length)
    expect(searched).toContain('value="sunset"')
    expect((await (await pager.get(`${LIBRARY}?q=nothing-like-this`)).text())).toContain('contains “nothing-like-this”')

    // Another workspace's search finds none of these; a made-up cursor is a 400.
    expect((await pageLibrary(app.services, { workspaceId, query: 'photo-' })).images).toEqual([])
    expect((await pager.get(`${LIBRARY}?cursor=bm9wZQ`)).status).toBe(400)
  })
})
