import { asc, eq } from 'drizzle-orm'
import { Secret, TOTP } from 'otpauth'
import { connectAccount } from '../../db/queries/accounts'
import { getThrottleStates, recordThrottleFailure } from '../../db/queries/login-throttle'
import { getMembershipOfUser, listWorkspacesOfUser } from '../../db/queries/workspaces'
import { findUserByEmail } from '../../db/queries/users'
import { apiTokens, auditEvents, rateLimits } from '../../db/schema'
import { listWorkspaceAuditEvents, recordAuditEvent } from '../../core/audit.server'
import { pruneSecurityRecords } from '../../core/prune.server'
import { issueApiToken } from '../../core/tokens.server'
import { fixedClock } from '../../domain/clock'
import { signUpAs, startTestApp, TestBrowser, type TestApp } from '../app-server'

const clock = fixedClock(new Date('2026-06-01T12:00:00Z'))
const password = 'correct horse battery staple'
let app: TestApp
beforeAll(async () => {
  app = await startTestApp({ clock })
})
afterAll(async () => {
  await app?.close()
})

async function workspaceOf(email: string) {
  const db = app.services.database.db
  const user = (await findUserByEmail(db, { email }))!
  const [first] = await listWorkspacesOfUser(db, { userId: user.id })
  return { userId: user.id, workspaceId: first!.workspaceId }
}

async function eventsOf(workspaceId: string) {
  return app.services.database.db.select().from(auditEvents).where(eq(auditEvents.workspaceId, workspaceId)).orderBy(asc(auditEvents.id))
}

describe('audit log', () => {
  it("records an owner's security actions in their workspace only, with the actor, target and client, and no secrets", async () => {
    const alice = await signUpAs(app, { email: 'alice@audit.test', workspaceName: 'Alpha' })
    const bob = await signUpAs(app, { email: 'bob@audit.test', workspaceName: 'Beta' })
    const a = await workspaceOf('alice@audit.test')
    const b = await workspaceOf('bob@audit.test')

    // API token: created, then revoked.
    const created = await alice.submit('/app/settings/tokens', { intent: 'create', name: 'CI publisher' })
    expect(created.status).toBe(200)
    const token = /trk_[A-Za-z0-9_-]+/.exec(await created.text())![0]
    const [tokenRow] = await app.services.database.db.select().from(apiTokens).where(eq(apiTokens.workspaceId, a.workspaceId))
    expect((await alice.submit('/app/settings/tokens', { intent: 'revoke', tokenId: tokenRow!.id })).status).toBe(200)

    // An invitation, accepted by Carol, who is then made a viewer and removed.
    const invited = await (await alice.submit('/app/settings/invitations', { intent: 'create', role: 'editor' })).text()
    const invitePath = /\/invite\/[A-Za-z0-9_-]+/.exec(invited)![0]
    const carol = await signUpAs(app, { email: 'carol@audit.test', workspaceName: 'Gamma' })
    const c = await workspaceOf('carol@audit.test')
    expect((await carol.submit(invitePath, {})).status).toBe(302)
    // Carol, an editor of Alpha now, is not shown the audit log (the page answers 403, like other owner pages).
    expect((await carol.get('/app/settings/audit')).status).toBe(403)
    expect(await (await carol.get('/app/settings/workspace')).text()).not.toContain('Audit log')
    const carolMembership = (await getMembershipOfUser(app.services.database.db, { workspaceId: a.workspaceId, userId: c.userId }))!
    expect((await alice.submit('/app/settings/members', { intent: 'change-role', membershipId: carolMembership.id, role: 'viewer' })).status).toBe(200)
    expect((await alice.submit('/app/settings/members', { intent: 'remove', membershipId: carolMembership.id })).status).toBe(200)

    // A wrong password, then a log-in.
    alice.cookies.clear()
    expect((await alice.submit('/login', { email: 'alice@audit.test', password: 'not my password at all' })).status).toBe(400)
    expect((await alice.submit('/login', { email: 'alice@audit.test', password })).status).toBe(302)
    // A failed log-in of an email nobody has reaches no workspace.
    expect((await new TestBrowser(app.url).submit('/login', { email: 'nobody@audit.test', password: 'whatever it is' })).status).toBe(400)

    // Workspace settings, password, second factor.
    expect((await alice.submit('/app/settings/workspace', { name: 'Alpha Team', timezone: 'Europe/Berlin' })).status).toBeLessThan(400)
    const newPassword = 'a brand new passphrase for alice'
    expect(
      (await alice.submit('/app/settings/security', { intent: 'change-password', currentPassword: password, newPassword, confirmPassword: newPassword })).status,
    ).toBe(200)
    await alice.submit('/app/settings/security', { intent: 'totp-start' })
    const secret = /data-testid="totp-secret"[^>]*>([A-Z2-7]+)</.exec(await (await alice.get('/app/settings/security')).text())![1]!
    const code = new TOTP({ issuer: 'Trickle', label: 'alice@audit.test', secret: Secret.fromBase32(secret) }).generate({ timestamp: clock.now().getTime() })
    expect((await alice.submit('/app/settings/security', { intent: 'totp-confirm', code })).status).toBe(200)

    // An account disconnected.
    const account = await connectAccount(app.services.database.db, {
      workspaceId: a.workspaceId,
      kind: 'mastodon',
      remoteAccountId: '7@social.example',
      handle: 'alice@social.example',
      credentials: { accessToken: 'alice-access-token', extra: { instanceUrl: 'https://social.example' } },
      keyring: app.services.keyring,
      clock: app.services.clock,
    })
    expect((await alice.submit('/app/accounts', { intent: 'disconnect', accountId: account.id })).status).toBeLessThan(400)

    const inA = await eventsOf(a.workspaceId)
    expect(inA.map((e) => e.kind)).toEqual([
      'token.created',
      'token.revoked',
      'member.invited',
      'invitation.accepted',
      'member.role-changed',
      'member.removed',
      'login.failed',
      'login.succeeded',
      'workspace.updated',
      'password.changed',
      'mfa.enabled',
      'account.disconnected',
    ])
    const byKind = Object.fromEntries(inA.map((e) => [e.kind, e]))
    expect(byKind['token.created']).toMatchObject({ actorUserId: a.userId, targetType: 'api-token', targetId: tokenRow!.id, ip: '127.0.0.1' })
    expect(byKind['token.created']!.userAgent).toBeTruthy()
    expect(byKind['invitation.accepted']).toMatchObject({ actorUserId: c.userId, detail: { role: 'editor' } })
    expect(byKind['member.role-changed']).toMatchObject({ actorUserId: a.userId, targetId: c.userId, detail: { roleFrom: 'editor', roleTo: 'viewer' } })
    expect(byKind['login.failed']).toMatchObject({ actorUserId: null, targetId: a.userId, detail: { reason: 'password' } })
    expect(byKind['workspace.updated']!.detail).toMatchObject({ nameFrom: 'Alpha', nameTo: 'Alpha Team', timezoneTo: 'Europe/Berlin' })
    expect(byKind['account.disconnected']).toMatchObject({ targetId: account.id, detail: { network: 'mastodon', handle: 'alice@social.example' } })
    // Nothing secret is kept: not the token, the passwords, the TOTP secret or code, the access token, the invitation link.
    const stored = JSON.stringify(inA)
    for (const secretText of [token, password, newPassword, secret, code, 'alice-access-token', invitePath.slice('/invite/'.length), 'not my password']) {
      expect(stored).not.toContain(secretText)
    }

    // Bob's workspace saw none of it; Carol's own workspace has nothing either (she never logged in, she signed up).
    expect(await eventsOf(b.workspaceId)).toEqual([])
    expect(await eventsOf(c.workspaceId)).toEqual([])
    expect(JSON.stringify(await app.services.database.db.select().from(auditEvents))).not.toContain('nobody@audit.test')

    // The owner's page lists them newest first, filters by kind and by person.
    const page = await (await alice.get('/app/settings/audit')).text()
    expect(page).toContain('href="/app/settings/audit"')
    expect(page).toContain('<caption')
    expect(page.indexOf('data-kind="account.disconnected"')).toBeLessThan(page.indexOf('data-kind="token.created"'))
    const onlyTokens = await (await alice.get('/app/settings/audit?kind=token.revoked')).text()
    expect(onlyTokens.match(/data-kind="/g)).toHaveLength(1)
    const onlyCarol = await (await alice.get(`/app/settings/audit?actor=${c.userId}`)).text()
    expect(onlyCarol.match(/data-kind="[^"]+"/g)).toEqual(['data-kind="invitation.accepted"'])
    // Bob (an owner, of another workspace) sees only his own, empty, log.
    expect(await (await bob.get('/app/settings/audit')).text()).toContain('No events yet.')
  })

  it('a request for another workspace’s object is refused (404) and audited in the asking workspace', async () => {
    const owner = await signUpAs(app, { email: 'owner@refused.test' })
    const prober = await signUpAs(app, { email: 'prober@refused.test' })
    const a = await workspaceOf('owner@refused.test')
    const b = await workspaceOf('prober@refused.test')
    const db = app.services.database.db
    const aToken = await issueApiToken(db, { workspaceId: a.workspaceId, userId: a.userId, name: 'A' })
    const bToken = await issueApiToken(db, { workspaceId: b.workspaceId, userId: b.userId, name: 'B' })
    const aMembership = (await getMembershipOfUser(db, { workspaceId: a.workspaceId, userId: a.userId }))!

    const api = await fetch(`${app.url}/api/v1/tokens/${aToken.id}?probe=secret-query`, { headers: { Authorization: `Bearer ${bToken.token}`, 'User-Agent': 'probe/1.0' } })
    expect(api.status).toBe(404)
    const form = await prober.submit('/app/settings/members', { intent: 'remove', membershipId: aMembership.id })
    expect(form.status).toBe(404)
    // Anonymous 404s and a member's 404 for their own missing page are not refusals of another workspace's object.
    expect((await fetch(`${app.url}/api/v1/tokens/${aToken.id}`)).status).toBe(401)
    expect((await owner.get('/app/no-such-page')).status).toBe(404)

    const inB = await eventsOf(b.workspaceId)
    expect(inB.map((e) => [e.kind, e.actorUserId, e.targetType, e.targetId])).toEqual([
      ['access.refused', b.userId, 'api-token', aToken.id],
      ['access.refused', b.userId, null, null],
    ])
    expect(inB[0]).toMatchObject({ userAgent: 'probe/1.0', detail: { method: 'GET', path: `/api/v1/tokens/${aToken.id}` } })
    expect(JSON.stringify(inB)).not.toContain('secret-query')
    expect(inB[1]!.detail).toMatchObject({ method: 'POST', path: '/app/settings/members' })
    // Workspace A is told nothing (the asker would learn from its owner's log that the id exists), and A's objects are untouched.
    expect(await eventsOf(a.workspaceId)).toEqual([])
    expect(await getMembershipOfUser(db, { workspaceId: a.workspaceId, userId: a.userId })).toBeTruthy()
  })

  it('pages by keyset, newest first, and pruning removes only what is past its time', async () => {
    const services = app.services
    const db = services.database.db
    await signUpAs(app, { email: 'pager@audit.test' })
    const { workspaceId, userId } = await workspaceOf('pager@audit.test')
    const start = clock.now().getTime()
    const DAY = 24 * 60 * 60 * 1000
    // Five events: 500, 401, 399 and 1 day old, and one now (two in the same instant, ordered by id).
    for (const ageDays of [500, 401, 399, 1, 0]) {
      const at = fixedClock(new Date(start - ageDays * DAY))
      await recordAuditEvent({ database: services.database, clock: at }, { workspaceIds: workspaceId, kind: 'token.created', actorUserId: userId, client: null, detail: { ageDays } })
    }
    await recordAuditEvent({ database: services.database, clock }, { workspaceIds: workspaceId, kind: 'token.revoked', actorUserId: userId, client: null })

    const seen: unknown[] = []
    let before: string | null = null
    for (let pages = 0; pages < 10; pages++) {
      const page: Awaited<ReturnType<typeof listWorkspaceAuditEvents>> = await listWorkspaceAuditEvents(services, { workspaceId, before, limit: 2 })
      seen.push(...page.events.map((e) => e.detail.ageDays ?? e.kind))
      if (!page.older) break
      before = page.older
    }
    expect(seen).toEqual(['token.revoked', 0, 1, 399, 401, 500])

    // Throttle counters: one 3 days old (forgotten anyway), one fresh. Rate-limit rows: one expired, one running.
    const DAY_MS = DAY
    await recordThrottleFailure(db, { key: 'ip:198.51.100.1', now: new Date(start - 3 * DAY_MS), next: () => ({ failures: 1, lastFailureAt: new Date(start - 3 * DAY_MS), blockedUntil: null }) })
    await recordThrottleFailure(db, { key: 'ip:198.51.100.2', now: clock.now(), next: () => ({ failures: 1, lastFailureAt: clock.now(), blockedUntil: null }) })
    await db.insert(rateLimits).values([
      { key: 'form-ip:198.51.100.1', points: 3, expire: new Date(start - 60_000) },
      { key: 'form-ip:198.51.100.2', points: 3, expire: new Date(start + 60_000) },
    ])

    const removed = await pruneSecurityRecords(services)
    expect(removed.auditEvents).toBe(2)
    const left = await listWorkspaceAuditEvents(services, { workspaceId, limit: 50 })
    expect(left.events.map((e) => e.detail.ageDays ?? e.kind)).toEqual(['token.revoked', 0, 1, 399])
    const throttle = await getThrottleStates(db, { keys: ['ip:198.51.100.1', 'ip:198.51.100.2'] })
    expect([...throttle.keys()]).toEqual(['ip:198.51.100.2'])
    const limits = await db.select({ key: rateLimits.key }).from(rateLimits)
    expect(limits.map((r) => r.key)).toContain('form-ip:198.51.100.2')
    expect(limits.map((r) => r.key)).not.toContain('form-ip:198.51.100.1')
  })
})
