import { fixedClock } from '../../domain/clock'
import { signUpAs, startTestApp, TestBrowser, type TestApp } from '../app-server'

const clock = fixedClock(new Date())
let app: TestApp
beforeAll(async () => {
  app = await startTestApp({ clock })
})
afterAll(async () => {
  await app?.close()
})

const password = 'correct horse battery staple'

async function createInvitation(owner: TestBrowser, role: string): Promise<string> {
  const response = await owner.submit('/app/settings/invitations', { intent: 'create', role })
  expect(response.status).toBe(200)
  const path = /https?:\/\/[^<"]+(\/invite\/[A-Za-z0-9_-]+)/.exec(await response.text())?.[1]
  expect(path).toBeTruthy()
  return path!
}

async function createToken(browser: TestBrowser, name: string): Promise<string> {
  const response = await browser.submit('/app/settings/tokens', { intent: 'create', name })
  expect(response.status).toBe(200)
  return /trk_[A-Za-z0-9_-]+/.exec(await response.text())![0]
}

describe('invitations and roles', () => {
  it('joins a workspace through a single-use link with the role it names', async () => {
    const owner = await signUpAs(app, { email: 'owner@acme.test', workspaceName: 'Acme' })
    const link = await createInvitation(owner, 'viewer')

    const invitee = new TestBrowser(app.url)
    const landing = await invitee.get(link)
    expect(landing.status).toBe(200)
    const html = await landing.text()
    expect(html).toContain('Acme')
    expect(html).toContain(`/signup?redirectTo=${encodeURIComponent(link)}`)

    const signUp = await invitee.submit(`/signup?redirectTo=${encodeURIComponent(link)}`, {
      email: 'vic@acme.test',
      password,
      name: 'Vic',
    })
    // Issue 20: signing up from the link joins the workspace at once, with no workspace of one's own.
    expect(signUp.headers.get('location')).toBe('/app')
    expect(await (await invitee.get('/app')).text()).toContain('Acme')

    const members = await (await owner.get('/app/settings/members')).text()
    expect(members).toContain('vic@acme.test')
    expect(members).toMatch(/aria-label="Role of Vic"[^>]*>.*?<option value="viewer" selected=""/s)

    // Used once: nobody else can use it.
    const other = await signUpAs(app, { email: 'late@acme.test' })
    expect((await other.get(link)).status).toBe(404)
    expect((await other.submit('/app', {}, { action: link })).status).toBe(404)

    // Someone with a workspace of their own joins from a link while signed in, and switches between the two.
    const second = await createInvitation(owner, 'editor')
    const solo = await signUpAs(app, { email: 'solo@acme.test', workspaceName: 'Vic solo' })
    const join = await solo.submit(second, {})
    expect(join.status).toBe(302)
    expect(await (await solo.get('/app')).text()).toContain('Acme')
    const switched = await solo.submit('/app', { intent: 'switch-workspace', workspaceId: await ownWorkspaceId(solo, 'Vic solo') })
    expect(switched.status).toBe(302)
    expect(await (await solo.get('/app')).text()).toContain('Vic solo')
  })

  it('refuses revoked and expired links', async () => {
    const owner = await signUpAs(app, { email: 'owner2@acme.test', workspaceName: 'Beta' })
    const revoked = await createInvitation(owner, 'editor')
    const page = await (await owner.get('/app/settings/invitations')).text()
    const invitationId = /name="invitationId" value="([^"]+)"/.exec(page)![1]!
    expect((await owner.submit('/app/settings/invitations', { intent: 'revoke', invitationId })).status).toBe(200)
    expect((await new TestBrowser(app.url).get(revoked)).status).toBe(404)

    const expiring = await createInvitation(owner, 'editor')
    expect((await new TestBrowser(app.url).get(expiring)).status).toBe(200)
    clock.advance(8 * 24 * 60 * 60 * 1000)
    const expired = await new TestBrowser(app.url).get(expiring)
    expect(expired.status).toBe(404)
    expect(await expired.text()).toContain('Ask the workspace owner for a new link')
  })

  it('lets editors change workspace settings and keeps viewers to reading', async () => {
    const owner = await signUpAs(app, { email: 'owner3@acme.test', workspaceName: 'Gamma' })
    const viewer = await signUpAs(app, { email: 'viewer3@acme.test' })
    const editor = await signUpAs(app, { email: 'editor3@acme.test' })
    expect((await viewer.submit(await createInvitation(owner, 'viewer'), {})).status).toBe(302)
    expect((await editor.submit(await createInvitation(owner, 'editor'), {})).status).toBe(302)

    const denied = await viewer.submit('/app/settings/workspace', { name: 'Hijacked', timezone: 'UTC' })
    expect(denied.status).toBe(403)
    expect(await denied.text()).toContain('needs the editor role')
    expect((await viewer.get('/app/settings/invitations')).status).toBe(403)
    const ownersView = await (await owner.get('/app/settings/members')).text()
    const membershipId = /name="membershipId" value="([^"]+)"/.exec(ownersView)![1]!
    expect((await viewer.submit('/app/settings/members', { intent: 'change-role', membershipId, role: 'owner' })).status).toBe(403)
    expect((await editor.submit('/app/settings/members', { intent: 'create', role: 'owner' }, { action: '/app/settings/invitations' })).status).toBe(403)

    const viewerToken = await createToken(viewer, 'viewer script')
    const patch = (token: string, body: unknown) =>
      fetch(`${app.url}/api/v1/workspace`, { method: 'PATCH', headers: { Authorization: `Bearer ${token}` }, body: JSON.stringify(body) })
    const apiDenied = await patch(viewerToken, { timezone: 'Europe/Berlin' })
    expect(apiDenied.status).toBe(403)
    expect((await apiDenied.json()).error.code).toBe('forbidden')

    const saved = await editor.submit('/app/settings/workspace', { name: 'Gamma Team', timezone: 'Europe/Berlin' })
    expect(saved.status).toBe(200)
    const editorToken = await createToken(editor, 'editor script')
    const apiSaved = await patch(editorToken, { timezone: 'America/New_York' })
    expect(apiSaved.status).toBe(200)
    expect(await apiSaved.json()).toMatchObject({ name: 'Gamma Team', timezone: 'America/New_York' })

    // The last owner cannot demote themselves.
    const ownerPage = await (await owner.get('/app/settings/members')).text()
    const ownMembershipId = /\(you\)[^]*?name="membershipId" value="([^"]+)"/.exec(ownerPage)![1]!
    const demote = await owner.submit('/app/settings/members', { intent: 'change-role', membershipId: ownMembershipId, role: 'editor' })
    expect(demote.status).toBe(400)
    expect(await demote.text()).toContain('at least one owner')
  })
})

async function ownWorkspaceId(browser: TestBrowser, name: string): Promise<string> {
  const html = await (await browser.get('/app')).text()
  const id = new RegExp(`<option value="([0-9a-f-]{36})"[^>]*>${name}</option>`).exec(html)?.[1]
  expect(id, `workspace ${name} in the switcher`).toBeTruthy()
  return id!
}
