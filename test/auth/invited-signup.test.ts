import { findUserByEmail } from '../../db/queries/users'
import { listWorkspacesOfUser } from '../../db/queries/workspaces'
import { signUpAs, startTestApp, TestBrowser, type TestApp } from '../app-server'

/**
 * Issue 20, "the first hour": someone invited to a workspace signs up from the invitation link. They are
 * not asked for a workspace name and get no stray workspace of their own; the pages say "an editor".
 */
let app: TestApp
beforeAll(async () => {
  app = await startTestApp()
})
afterAll(async () => {
  await app?.close()
})

async function invite(owner: TestBrowser, role: string): Promise<string> {
  const page = await (await owner.submit('/app/settings/invitations', { intent: 'create', role })).text()
  return /https?:\/\/[^<"]+(\/invite\/[A-Za-z0-9_-]+)/.exec(page)![1]!
}

it('an invitee signs up from the link, joins the workspace as an editor and gets no workspace of their own', async () => {
  const owner = await signUpAs(app, { email: 'owner@invited.test', workspaceName: 'Garden club' })
  const link = await invite(owner, 'editor')

  const visitor = new TestBrowser(app.url)
  const invitation = (await (await visitor.get(link)).text()).replaceAll('<!-- -->', '')
  expect(invitation).toContain('as an <strong>editor</strong>')

  const signupPath = `/signup?${new URLSearchParams({ redirectTo: link })}`
  const form = await (await visitor.get(signupPath)).text()
  expect(form).toContain('Join Garden club')
  expect(form).toContain('to join Garden club as an editor')
  expect(form).not.toContain('name="workspaceName"')

  const response = await visitor.submit(signupPath, { name: 'Eli', email: 'eli@invited.test', password: 'correct horse battery staple' })
  expect(response.status).toBe(302)
  expect(response.headers.get('location')).toBe('/app')
  const eli = await findUserByEmail(app.services.database.db, { email: 'eli@invited.test' })
  const workspaces = await listWorkspacesOfUser(app.services.database.db, { userId: eli!.id })
  expect(workspaces.map((w) => [w.name, w.role])).toEqual([['Garden club', 'editor']])
  // Signed in, on that workspace.
  const dashboard = (await (await visitor.get('/app')).text()).replaceAll('<!-- -->', '')
  expect(dashboard).toContain('You are an editor of this workspace')

  // The link is used now: a second sign-up from it is an ordinary one (it asks for a workspace name).
  const again = await (await new TestBrowser(app.url).get(signupPath)).text()
  expect(again).toContain('name="workspaceName"')
})

it('a taken email or a bad password names the field and creates nothing', async () => {
  const owner = await signUpAs(app, { email: 'owner2@invited.test', workspaceName: 'Choir' })
  const link = await invite(owner, 'viewer')
  const signupPath = `/signup?${new URLSearchParams({ redirectTo: link })}`
  const visitor = new TestBrowser(app.url)
  const taken = await visitor.submit(signupPath, { name: 'O', email: 'owner@invited.test', password: 'correct horse battery staple' })
  expect(taken.status).toBe(400)
  expect(await taken.text()).toContain('An account with this email already exists')
  const short = await visitor.submit(signupPath, { name: 'V', email: 'v@invited.test', password: 'short' })
  expect(short.status).toBe(400)
  expect(await findUserByEmail(app.services.database.db, { email: 'v@invited.test' })).toBeFalsy()
  // The invitation is still open.
  expect(await (await visitor.get(signupPath)).text()).toContain('as a viewer')
})
