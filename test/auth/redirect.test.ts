import { randomUUID } from 'node:crypto'
import { signUpAs, startTestApp, TestBrowser, type TestApp } from '../app-server'

/**
 * ASVS V3.7.2: after logging in or signing up, `redirectTo` may only lead to a path of this site. Each
 * payload goes through the real actions; the Location is resolved the way a browser resolves it (the
 * WHATWG URL parser drops tabs and newlines and reads `\` as `/`) and must stay on the app's origin.
 */
let app: TestApp
const password = 'correct horse battery staple'
const email = 'redirects@example.com'

beforeAll(async () => {
  app = await startTestApp()
  await signUpAs(app, { email, password })
})
afterAll(async () => {
  await app?.close()
})

/** The raw query value after `redirectTo=`, as an attacker would write it into a link. */
const payloads = [
  '%2F%09%2Fevil.example%2Fpwned', // tab: "/<TAB>/evil.example" is "//evil.example" to a browser
  '/%09/evil.example',
  '/%0A/evil.example', // newline
  '%2F%0Aevil',
  '/%0D/evil.example', // carriage return
  '/%0D%0ASet-Cookie:%20x=1',
  '/%5Cevil.example', // "/\evil.example"
  '%5C%5Cevil.example',
  '/%5C/evil.example',
  '%2F%5C%2Fevil.example',
  '/%252F/evil.example', // double-encoded: "/%2F/evil.example", a path here
  '%252F%252Fevil.example',
  '/%2509/evil.example',
  '%2F%2Fevil.example',
  '//evil.example',
  '///evil.example',
  'https://evil.example',
  'https:evil.example',
  'http://evil.example/app',
  '/\\evil.example',
  'javascript:alert(1)',
  'javascript%3Aalert(1)',
  '%20//evil.example', // leading spaces
  '%20%20/app',
  '%09//evil.example',
  '/%00/evil.example',
  '/%E3%80%80/evil.example',
  '/@evil.example',
  '/app@evil.example',
]

function expectSameOrigin(response: Response, payload: string) {
  expect(response.status, payload).toBe(302)
  const location = response.headers.get('location')
  expect(location, payload).toBeTruthy()
  expect(new URL(location!, app.url).origin, `${payload} → ${location}`).toBe(new URL(app.url).origin)
  expect(location, payload).toMatch(/^\/(?![/\\])/)
  // eslint-disable-next-line no-control-regex
  expect(location, payload).not.toMatch(/[\u0000-\u0020\\]/)
}

describe('redirectTo after log-in and sign-up', () => {
  it.each(payloads)('log-in with redirectTo=%s stays on the site', async (payload) => {
    const response = await new TestBrowser(app.url).submit(`/login?redirectTo=${payload}`, { email, password })
    expectSameOrigin(response, payload)
  })

  it.each(payloads)('sign-up with redirectTo=%s stays on the site', async (payload) => {
    const fields = { email: `${randomUUID()}@example.com`, password, name: 'Eve', workspaceName: 'Elsewhere' }
    const response = await new TestBrowser(app.url).submit(`/signup?redirectTo=${payload}`, fields)
    expectSameOrigin(response, payload)
  })

  it('falls back to the dashboard for a newline and keeps a real same-site path, query and fragment', async () => {
    const newline = await new TestBrowser(app.url).submit('/login?redirectTo=%2Fapp%0A', { email, password })
    expect(newline.status).toBe(302)
    expect(newline.headers.get('location')).toBe('/app')
    const tab = await new TestBrowser(app.url).submit('/login?redirectTo=%2F%09%2Fevil.example%2Fpwned', { email, password })
    expect(tab.headers.get('location')).toBe('/app')
    const kept = await new TestBrowser(app.url).submit(`/login?redirectTo=${encodeURIComponent('/app/settings/tokens?tab=new#top')}`, { email, password })
    expect(kept.headers.get('location')).toBe('/app/settings/tokens?tab=new#top')
  })
})
