import { existsSync } from 'node:fs'
import path from 'node:path'
import { listSteps } from '../../db/queries/sequences'
import { bodyLimitFor } from '../../app/utils/body-limit.server'
import { InputError } from '../../core/errors'
import { MAX_VIDEO_BYTES, storeImage } from '../../core/media.server'
import { fixedClock } from '../../domain/clock'
import { makeMp4 } from '../connectors/fixtures/mp4'
import { csrfTokenOf, signUpAs, startTestApp, type TestApp, type TestBrowser } from '../app-server'
import { connectTestAccount, createApiToken, workspaceIdOf } from './setup'

/**
 * Threads and images in the series editor over HTTP: images go through the media store (type and size
 * checked by their bytes, scoped to the workspace), posts are threads of parts with images and required
 * alt text, and the connectors' own validation sees every part and image; errors name the field.
 */

const clock = fixedClock(new Date('2026-03-10T12:00:00Z'))
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64')
let app: TestApp
let browser: TestBrowser
let other: TestBrowser
let workspaceId: string
let accountId: string

beforeAll(async () => {
  app = await startTestApp({ clock })
  browser = await signUpAs(app, { email: 'writer@threads.test' })
  other = await signUpAs(app, { email: 'someone@else.test' })
  workspaceId = await workspaceIdOf(app, await createApiToken(browser))
  accountId = await connectTestAccount(app, { workspaceId, clock })
})
afterAll(async () => {
  await app?.close()
})

async function upload(as: TestBrowser, bytes: Uint8Array, name = 'chart.png', route = '/app/media'): Promise<Response> {
  const csrf = csrfTokenOf(await (await as.get('/app/series/new')).text())
  const body = new FormData()
  body.set('csrf', csrf)
  body.set('file', new Blob([new Uint8Array(bytes)]), name)
  return as.request(route, { method: 'POST', body })
}

function form(fields: Record<string, string>): Record<string, string> {
  return { name: 'Thread series', [`account-${accountId}`]: 'on', rule: 'FREQ=WEEKLY;BYDAY=TU,TH;BYHOUR=9;BYMINUTE=0', start: '2026-03-17T09:00', timezone: 'Europe/Berlin', ...fields }
}

describe('threads and images', () => {
  it('stores images scoped to the workspace and refuses wrong types and sizes with clear errors', async () => {
    const stored = await upload(browser, PNG)
    expect(stored.status).toBe(201)
    const image = await stored.json()
    expect(image).toMatchObject({ mimeType: 'image/png', size: PNG.length, fileName: 'chart.png' })
    expect(existsSync(path.join(app.services.config.DATA_DIR, 'media', workspaceId, image.id))).toBe(true)
    const served = await browser.get(`/app/media/${image.id}`)
    expect(served.status).toBe(200)
    expect(served.headers.get('content-type')).toBe('image/png')
    expect(Buffer.from(await served.arrayBuffer()).equals(PNG)).toBe(true)
    // Another workspace cannot see it.
    expect((await other.get(`/app/media/${image.id}`)).status).toBe(404)

    const text = await upload(browser, new TextEncoder().encode('not an image'), 'notes.png')
    expect(text.status).toBe(415)
    expect(await text.json()).toEqual({ field: 'file', error: 'file: notes.png is not a JPEG, PNG, GIF or WebP image, nor an MP4 or MOV video' })
    const big = new Uint8Array(5 * 1024 * 1024 + 1)
    big.set(PNG.subarray(0, 16))
    const tooBig = await upload(browser, big, 'huge.png')
    expect(tooBig.status).toBe(413)
    expect((await tooBig.json()).field).toBe('file')
  })

  it('stores MP4 and MOV videos from their own route (type read from the boxes), and refuses what is not one or is too big', async () => {
    const mp4 = makeMp4({ durationSeconds: 1 })
    const stored = await upload(browser, mp4, 'clip.mp4', '/app/media/videos')
    expect(stored.status).toBe(201)
    const video = await stored.json()
    expect(video).toMatchObject({ mimeType: 'video/mp4', size: mp4.length, fileName: 'clip.mp4' })
    const served = await browser.get(`/app/media/${video.id}`)
    expect(served.headers.get('content-type')).toBe('video/mp4')
    expect(Buffer.from(await served.arrayBuffer()).equals(Buffer.from(mp4))).toBe(true)
    expect((await (await upload(browser, makeMp4({ brand: 'qt  ' }), 'clip.mov', '/app/media/videos')).json()).mimeType).toBe('video/quicktime')

    const notVideo = await upload(browser, new TextEncoder().encode('not a video'), 'clip.mp4', '/app/media/videos')
    expect(notVideo.status).toBe(415)
    expect((await notVideo.json()).field).toBe('file')
    const tooBig = await storeImage(app.services, { workspaceId, fileName: 'long.mp4', bytes: new Uint8Array(MAX_VIDEO_BYTES + 1) }).then(
      () => null,
      (e: InputError) => e,
    )
    expect(tooBig).toMatchObject({ field: 'file', status: 413, message: 'file: long.mp4 is 100.0 MB; videos can be at most 100 MB and images 5 MB' })
    // Only the video route takes bodies that big; images keep their 5 MB.
    expect(bodyLimitFor('/app/media/videos')).toEqual({ bytes: MAX_VIDEO_BYTES + 64 * 1024, message: 'file: videos can be at most 100 MB', field: 'file' })
    expect(bodyLimitFor('/app/media').bytes).toBe(5 * 1024 * 1024 + 64 * 1024)
  })

  it('saves a thread with an image and alt text; the step keeps every part', async () => {
    const image = await (await upload(browser, PNG)).json()
    const response = await browser.submit(
      '/app/series/new',
      form({ 'post-1': 'A thread, part one', 'post-1-part-1-image-1': image.id, 'post-1-part-1-alt-1': 'A bar chart of signups', 'post-1-part-2': 'Part two', 'post-2': 'A single post' }),
    )
    expect(response.status, await response.clone().text()).toBe(302)
    const seriesId = new URL(response.headers.get('location')!, app.url).searchParams.get('series')!
    const steps = await listSteps(app.services.database.db, { workspaceId, sequenceId: seriesId })
    expect(steps.map((s) => s.content)).toEqual([
      { parts: [{ text: 'A thread, part one', images: [{ mediaId: image.id, alt: 'A bar chart of signups' }] }, { text: 'Part two' }] },
      { parts: [{ text: 'A single post' }] },
    ])
    // What the connectors would publish: the image's bytes with its alt text, in the right part.
    const { stepChannelContent } = await import('../../core/media.server')
    const content = await stepChannelContent(app.services, { workspaceId, content: steps[0]!.content })
    expect(content.parts.map((p) => p.text)).toEqual(['A thread, part one', 'Part two'])
    expect(content.parts[0]!.media).toHaveLength(1)
    expect(content.parts[0]!.media![0]!).toMatchObject({ mimeType: 'image/png', altText: 'A bar chart of signups' })
    expect(Buffer.from(content.parts[0]!.media![0]!.data).equals(PNG)).toBe(true)
    expect(content.parts[1]!.media).toBeUndefined()
    // The editor page carries the parts back.
    const page = await (await browser.get(`/app/series/${seriesId}`)).text()
    expect(page).toContain('Post 1, part 2')
    expect(page).toContain('A bar chart of signups')
  })

  it('refuses bad threads with a 400 naming the field, and writes nothing', async () => {
    const mine = await (await upload(browser, PNG)).json()
    const theirs = await (await upload(other, PNG)).json()
    const cases: Array<[Record<string, string>, string, string]> = [
      [{ 'post-1': 'Text', 'post-1-part-1-image-1': mine.id, 'post-1-part-1-alt-1': ' ' }, 'posts.0.parts.0.images.0.alt', 'alt text is required'],
      [{ 'post-1': 'Text', 'post-1-part-1-image-1': theirs.id, 'post-1-part-1-alt-1': 'A chart' }, 'posts.0.parts.0.images.0.mediaId', 'no such image in this workspace'],
      [{ 'post-1': 'Fine', 'post-1-part-2': 'x'.repeat(501) }, 'posts.0.parts.1.text', 'post 1, part 2 of the thread, on @team@social.example'],
      [
        Object.fromEntries([['post-1', 'Five images'], ...[1, 2, 3, 4, 5].flatMap((k) => [[`post-1-part-1-image-${k}`, mine.id], [`post-1-part-1-alt-${k}`, 'A chart']])]),
        'posts.0.parts.0.images',
        'at most 4 images',
      ],
    ]
    const { sequences } = await import('../../db/schema')
    const count = async () => (await app.services.database.db.select().from(sequences)).length
    const before = await count()
    for (const [fields, field, text] of cases) {
      const response = await browser.submit('/app/series/new', form(fields))
      expect(response.status, field).toBe(400)
      const body = await response.text()
      expect(body, field).toContain(field)
      expect(body, field).toContain(text)
    }
    expect(await count()).toBe(before)
  })

  it('the live check counts every part for every network and flags a missing alt text', async () => {
    const image = await (await upload(browser, PNG)).json()
    const csrf = csrfTokenOf(await (await browser.get('/app/series/new')).text())
    const response = await browser.post('/app/series/check', {
      csrf,
      ...form({ 'post-1': 'One', 'post-1-part-2': 'x'.repeat(501), 'post-1-part-2-image-1': image.id, 'post-1-part-2-alt-1': '' }),
    })
    expect(response.status).toBe(200)
    const check = await response.json()
    expect(check.counters[0]).toHaveLength(2)
    expect(check.counters[0][0][0]).toMatchObject({ length: 3, max: 500, problems: [] })
    expect(check.counters[0][1][0].length).toBe(501)
    expect(check.counters[0][1][0].problems).toEqual(expect.arrayContaining(['Image 1 needs alt text.']))
    expect(check.counters[0][1][0].problems.length).toBe(2)
  })

  it('the live check counts as the network does (a link weighs 23 on Mastodon) and describes each account for the preview', async () => {
    const csrf = csrfTokenOf(await (await browser.get('/app/series/new')).text())
    const text = 'Read https://example.com/a/rather/long/path/to/an/article/about/gardens'
    const check = await (await browser.post('/app/series/check', { csrf, ...form({ 'post-1': text }) })).json()
    expect(check.counters[0][0][0]).toMatchObject({ length: 'Read '.length + 23, max: 500, problems: [] })
    expect(check.targets).toEqual([{ accountId, kind: 'mastodon', handle: 'team@social.example', displayName: null, network: 'Mastodon', look: { layout: 'card', linkCard: true } }])
  })

  it('keeps a first comment as the reply after the post: stored as the last part, counted and checked like one, refused naming it', async () => {
    const csrf = csrfTokenOf(await (await browser.get('/app/series/new')).text())
    const check = await (await browser.post('/app/series/check', { csrf, ...form({ 'post-1': 'The post', 'post-1-comment': 'c'.repeat(501) }) })).json()
    expect(check.counters[0]).toHaveLength(2)
    expect(check.counters[0][1][0]).toMatchObject({ length: 501, max: 500 })
    const tooLong = await browser.submit('/app/series/new', form({ name: 'With comment', 'post-1': 'The post', 'post-1-comment': 'c'.repeat(501) }))
    expect(tooLong.status).toBe(400)
    expect(await tooLong.text()).toContain('Post 1, first comment: the first comment of post 1 on @team@social.example')

    const saved = await browser.submit('/app/series/new', form({ name: 'With comment', 'post-1': 'The post --- not split', 'post-1-comment': 'Links in the comment: https://example.com' }))
    expect(saved.status).toBe(302)
    const seriesId = /\/app\/(?:series\/|calendar\?series=)([0-9a-f-]{36})/.exec(saved.headers.get('location')!)![1]!
    const [step] = await listSteps(app.services.database.db, { workspaceId, sequenceId: seriesId })
    expect(step!.content).toEqual({ parts: [{ text: 'The post --- not split' }, { text: 'Links in the comment: https://example.com' }], firstComment: true })
    const page = await (await browser.get(`/app/series/${seriesId}`)).text()
    expect(page).toContain('First comment on post 1')
  })

  it('takes threads with images through the API', async () => {
    const token = /trk_[A-Za-z0-9_-]+/.exec(await (await browser.submit('/app/settings/tokens', { intent: 'create', name: 'api' })).text())![0]
    const image = await (await upload(browser, PNG)).json()
    const body = {
      name: 'API thread',
      posts: [{ parts: [{ text: 'One', images: [{ mediaId: image.id, alt: 'A chart' }] }, { text: 'Two' }] }, 'Plain'],
      accountIds: [accountId],
      rule: 'FREQ=WEEKLY;BYDAY=TU,TH;BYHOUR=9;BYMINUTE=0',
      start: '2026-03-17T09:00',
      timezone: 'Europe/Berlin',
    }
    const headers = { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }
    const noAlt = await fetch(`${app.url}/api/v1/series`, { method: 'POST', headers, body: JSON.stringify({ ...body, posts: [{ parts: [{ text: 'x', images: [{ mediaId: image.id }] }] }] }) })
    expect(noAlt.status).toBe(400)
    expect((await noAlt.json()).error.field).toBe('posts.0.parts.0.images.0.alt')
    const created = await fetch(`${app.url}/api/v1/series`, { method: 'POST', headers, body: JSON.stringify(body) })
    expect(created.status).toBe(201)
    const series = await created.json()
    expect(series.content).toEqual([{ parts: [{ text: 'One', images: [{ mediaId: image.id, alt: 'A chart' }] }, { text: 'Two', images: [] }] }, { parts: [{ text: 'Plain', images: [] }] }])
  })
})
