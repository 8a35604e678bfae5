import { connectAccount, getAccount } from '../../db/queries/accounts'
import { getMembershipOfUser } from '../../db/queries/workspaces'
import { getApiToken } from '../../db/queries/tokens'
import { listOpenInvitations } from '../../db/queries/invitations'
import { findUserByEmail } from '../../db/queries/users'
import { getContact } from '../../db/queries/contacts'
import { getScoreRule } from '../../db/queries/score-rules'
import { issueApiToken } from '../../app/utils/api.server'
import { issueInvitation } from '../../app/utils/auth.server'
import { loadSeries } from '../../core/series/editing.server'
import { signUpAs, startTestApp, TestBrowser, type TestApp } from '../app-server'

/**
 * A member of workspace B must get 404 for every object of workspace A, through every door (forms and
 * API). Add a row per resource as resources appear: how to create one in A, the requests B might try,
 * and a check that A's object is untouched afterwards.
 */
type Side = { browser: TestBrowser; token: string; userId: string; workspaceId: string }
type Ctx = { app: TestApp; a: Side; b: Side }
type Attempt =
  | { form: string; fields: Record<string, string> }
  | { api: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE'; path: string; body?: unknown }
type Resource = {
  name: string
  createInA(ctx: Ctx): Promise<string>
  attempts(id: string): Attempt[]
  unchanged(ctx: Ctx, id: string): Promise<boolean>
}

const resources: Resource[] = [
  {
    name: 'member',
    createInA: async ({ app, a }) => (await getMembershipOfUser(app.services.database.db, { workspaceId: a.workspaceId, userId: a.userId }))!.id,
    attempts: (id): Attempt[] => [
      { form: '/app/settings/members', fields: { intent: 'change-role', membershipId: id, role: 'viewer' } },
      { form: '/app/settings/members', fields: { intent: 'remove', membershipId: id } },
      { api: 'GET', path: `/api/v1/members/${id}` },
    ],
    unchanged: async ({ app, a }) =>
      (await getMembershipOfUser(app.services.database.db, { workspaceId: a.workspaceId, userId: a.userId }))?.role === 'owner',
  },
  {
    name: 'API token',
    createInA: async ({ app, a }) => (await issueApiToken(app.services.database.db, { workspaceId: a.workspaceId, userId: a.userId, name: 'A secret' })).id,
    attempts: (id): Attempt[] => [
      { form: '/app/settings/tokens', fields: { intent: 'revoke', tokenId: id } },
      { api: 'GET', path: `/api/v1/tokens/${id}` },
      { api: 'DELETE', path: `/api/v1/tokens/${id}` },
    ],
    unchanged: async ({ app, a }, id) => (await getApiToken(app.services.database.db, { workspaceId: a.workspaceId, tokenId: id }))?.revokedAt === null,
  },
  {
    name: 'invitation',
    createInA: async ({ app, a }) => {
      await issueInvitation(app.services, { workspaceId: a.workspaceId, role: 'editor', createdByUserId: a.userId })
      const [newest] = await listOpenInvitations(app.services.database.db, { workspaceId: a.workspaceId, now: app.services.clock.now() })
      return newest!.id
    },
    attempts: (id): Attempt[] => [{ form: '/app/settings/invitations', fields: { intent: 'revoke', invitationId: id } }],
    unchanged: async ({ app, a }, id) =>
      (await listOpenInvitations(app.services.database.db, { workspaceId: a.workspaceId, now: app.services.clock.now() })).some((i) => i.id === id),
  },
  {
    name: 'contact',
    createInA: async ({ app, a }) => {
      const response = await fetch(`${app.url}/api/v1/contacts`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${a.token}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ email: 'private@a-tenant.test', name: 'Private' }),
      })
      return (await response.json()).id
    },
    attempts: (id): Attempt[] => [
      { api: 'GET', path: `/api/v1/contacts/${id}` },
      { api: 'PATCH', path: `/api/v1/contacts/${id}`, body: { name: 'Taken over', status: 'unsubscribed' } },
      { api: 'DELETE', path: `/api/v1/contacts/${id}` },
    ],
    unchanged: async ({ app, a }, id) => {
      const contact = await getContact(app.services.database.db, { workspaceId: a.workspaceId, contactId: id })
      return contact?.name === 'Private' && contact.status === 'subscribed'
    },
  },
  {
    name: 'score rule',
    createInA: async ({ app, a }) => {
      const response = await fetch(`${app.url}/api/v1/score-rules`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${a.token}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ on: 'event', name: 'private_event', points: 5 }),
      })
      return (await response.json()).id
    },
    attempts: (id): Attempt[] => [
      { api: 'GET', path: `/api/v1/score-rules/${id}` },
      { api: 'PUT', path: `/api/v1/score-rules/${id}`, body: { on: 'event', name: 'taken_over', points: 1 } },
      { api: 'DELETE', path: `/api/v1/score-rules/${id}` },
      { form: '/app/contacts/score-rules', fields: { intent: 'save', ruleId: id, on: 'opened', points: '50' } },
      { form: '/app/contacts/score-rules', fields: { intent: 'remove', ruleId: id } },
    ],
    unchanged: async ({ app, a }, id) => (await getScoreRule(app.services.database.db, { workspaceId: a.workspaceId, ruleId: id }))?.points === 5,
  },
  {
    name: 'account',
    createInA: async ({ app, a }) =>
      (
        await connectAccount(app.services.database.db, {
          workspaceId: a.workspaceId,
          kind: 'mastodon',
          remoteAccountId: '1@social.example',
          handle: 'a@social.example',
          credentials: { accessToken: 'a-secret-token', extra: { instanceUrl: 'https://social.example' } },
          keyring: app.services.keyring,
          clock: app.services.clock,
        })
      ).id,
    attempts: (id): Attempt[] => [
      { form: '/app/accounts', fields: { intent: 'disconnect', accountId: id } },
      { form: '/app/accounts', fields: { intent: 'reconnect', accountId: id } },
    ],
    unchanged: async ({ app, a }, id) => (await getAccount(app.services.database.db, { workspaceId: a.workspaceId, accountId: id }))?.status === 'connected',
  },
  {
    name: 'series',
    createInA: async ({ app, a }) => {
      const account = await connectAccount(app.services.database.db, {
        workspaceId: a.workspaceId,
        kind: 'mastodon',
        remoteAccountId: '2@social.example',
        handle: 'series@social.example',
        credentials: { accessToken: 'a-series-token', extra: { instanceUrl: 'https://social.example' } },
        keyring: app.services.keyring,
        clock: app.services.clock,
      })
      const start = new Date(app.services.clock.now().getTime() + 7 * 86_400_000).toISOString().slice(0, 10)
      const response = await fetch(`${app.url}/api/v1/series`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${a.token}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ name: 'Private series', posts: ['one', 'two'], accountIds: [account.id], rule: 'FREQ=DAILY;BYHOUR=9;BYMINUTE=0', start: `${start}T09:00`, timezone: 'UTC' }),
      })
      return (await response.json()).id
    },
    attempts: (id): Attempt[] => [
      { api: 'GET', path: `/api/v1/series/${id}` },
      { api: 'DELETE', path: `/api/v1/series/${id}` },
      { form: `/app/series/${id}`, fields: { intent: 'pause' } },
    ],
    unchanged: async ({ app, a }, id) => {
      const series = await loadSeries(app.services, { workspaceId: a.workspaceId, seriesId: id })
      return series?.status === 'active' && series.deliveries.every((d) => d.state === 'queued')
    },
  },
]

let ctx: Ctx
beforeAll(async () => {
  const app = await startTestApp()
  const side = async (email: string): Promise<Side> => {
    const browser = await signUpAs(app, { email })
    const tokenPage = await browser.submit('/app/settings/tokens', { intent: 'create', name: 'tests' })
    const token = /trk_[A-Za-z0-9_-]+/.exec(await tokenPage.text())![0]
    const me = await (await fetch(`${app.url}/api/v1/me`, { headers: { Authorization: `Bearer ${token}` } })).json()
    const user = await findUserByEmail(app.services.database.db, { email })
    return { browser, token, userId: user!.id, workspaceId: me.workspace.id }
  }
  ctx = { app, a: await side('a@tenant.test'), b: await side('b@tenant.test') }
})
afterAll(async () => {
  await ctx?.app.close()
})

describe.each(resources)('workspace A’s $name', (resource) => {
  it('is a 404 for an owner of workspace B, and stays as it was', async () => {
    const id = await resource.createInA(ctx)
    for (const attempt of resource.attempts(id)) {
      const response =
        'form' in attempt
          ? await ctx.b.browser.submit(attempt.form, attempt.fields)
          : await fetch(`${ctx.app.url}${attempt.path}`, {
              method: attempt.api,
              headers: { Authorization: `Bearer ${ctx.b.token}` },
              body: attempt.body === undefined ? undefined : JSON.stringify(attempt.body),
            })
      expect(response.status, JSON.stringify(attempt)).toBe(404)
      if ('api' in attempt) expect((await response.json()).error.code).toBe('not_found')
    }
    expect(await resource.unchanged(ctx, id)).toBe(true)
    // The same requests from A's side reach the object (so the 404 above is about the workspace, not the request).
    const [first] = resource.attempts(id)
    const own = 'form' in first! ? await ctx.a.browser.submit(first.form, first.fields) : await fetch(`${ctx.app.url}${first!.path}`, { headers: { Authorization: `Bearer ${ctx.a.token}` } })
    expect(own.status).not.toBe(404)
  })
})
