import { connectAccount } from '../../db/queries/accounts'
import { createSequence } from '../../db/queries/sequences'
import { deliveries } from '../../db/schema'
import { createEmailConnector } from '../../connectors/email/index'
import { notifyProblems, type NotifyDeps } from '../../core/notifications.server'
import { startEmailApp, T0, type EmailTestApp } from './setup'

/**
 * Failure notifications by email: one digest per workspace per run to the owners (and extra recipients),
 * through the workspace's SMTP sender to a real loopback SMTP server; each problem is mailed once;
 * lookups still pending and published posts are not problems; turning the email off marks them told
 * without mail; the settings page names a bad address.
 */

let t: EmailTestApp
let deps: NotifyDeps
let accountId: string

beforeAll(async () => {
  t = await startEmailApp()
  deps = { db: t.app.services.database.db, clock: t.clock, keyring: t.app.services.keyring, email: createEmailConnector({ allowPrivateNetworkHosts: true }), appUrl: t.app.url }
  accountId = (
    await connectAccount(deps.db, {
      workspaceId: t.workspaceId,
      kind: 'mastodon',
      remoteAccountId: '1@social.example',
      handle: 'team@social.example',
      credentials: { accessToken: 'secret', extra: { instanceUrl: 'https://social.example' } },
      keyring: deps.keyring,
      clock: t.clock,
    })
  ).id
})
afterAll(async () => {
  await t?.close()
})

async function seriesWith(name: string, states: Array<{ state: 'failed' | 'missed' | 'needs_review' | 'published'; lookupPending?: boolean; error?: string }>, kind: 'series' | 'drip' = 'series') {
  const { sequence, steps } = await createSequence(deps.db, { workspaceId: t.workspaceId, kind, name, steps: states.map((_, i) => ({ parts: [{ text: `${name} ${i}` }] })), clock: t.clock })
  await deps.db.insert(deliveries).values(
    states.map((s, i) => ({
      workspaceId: t.workspaceId,
      sequenceId: sequence.id,
      stepId: steps[i]!.id,
      accountId,
      dueAt: new Date(T0.getTime() - (i + 1) * 3_600_000),
      state: s.state,
      nextAttemptAt: s.lookupPending ? T0 : null,
      lastError: s.error ?? null,
    })),
  )
}

describe('failure notifications', () => {
  it('mails one digest per run to the owners and extra recipients, once per problem', async () => {
    const bad = await t.browser.submit('/app/settings/notifications', { emailOnProblems: 'on', extraRecipients: 'ops@brand.test\nnot an address' })
    expect(bad.status).toBe(400)
    expect(await bad.text()).toContain('extraRecipients')
    expect((await t.browser.submit('/app/settings/notifications', { emailOnProblems: 'on', extraRecipients: 'ops@brand.test' })).status).toBe(200)

    await seriesWith('Launch week', [
      { state: 'failed', error: 'The post is longer than 500 characters' },
      { state: 'missed' },
      { state: 'needs_review' },
      { state: 'needs_review', lookupPending: true },
      { state: 'published' },
    ])
    const before = t.smtp.messages.length
    expect(await notifyProblems(deps)).toEqual({ digests: 1, problems: 3, silenced: 0 })
    const mails = (await t.smtp.waitForMessages(before + 2)).slice(before)
    expect(mails.map((m) => m.envelope.to[0]).sort()).toEqual(['ops@brand.test', 'owner@brand.test'])
    const mail = mails[0]!.parsed
    expect(mail.subject).toMatch(/^Trickle: 3 posts in .+ need your attention$/)
    expect(mail.from?.text).toContain('news@brand.test')
    expect(mail.text).toContain('Failed: Launch week on @team@social.example')
    expect(mail.text).toContain('The post is longer than 500 characters')
    expect(mail.text).toContain('Missed: Launch week')
    expect(mail.text).toContain('Needs review: Launch week')
    expect(mail.text).toContain(`${t.app.url}/app`)
    expect(mail.html).not.toContain('<script')

    // Nothing new: nothing sent.
    expect(await notifyProblems(deps)).toEqual({ digests: 0, problems: 0, silenced: 0 })
    expect(t.smtp.messages.length).toBe(before + 2)
  })

  it('summarises failed drip emails by drip and count, never by address, apart from the posts', async () => {
    await seriesWith('Welcome drip', [{ state: 'failed', error: '550 5.1.1 <gone@example.com>: User unknown' }, { state: 'failed', error: '550 5.1.1 <old@example.com>' }], 'drip')
    let before = t.smtp.messages.length
    expect(await notifyProblems(deps)).toMatchObject({ digests: 1, problems: 2 })
    let mail = (await t.smtp.waitForMessages(before + 2)).slice(before)[0]!.parsed
    expect(mail.subject).toMatch(/^Trickle: 2 drip emails in .+ need your attention$/)
    expect(mail.text).toContain('- Welcome drip: 2 failed')
    expect(mail.text).not.toContain('posts did not go out')
    expect(mail.text).not.toContain('gone@example.com')
    expect(mail.html).not.toContain('old@example.com')

    await seriesWith('Mixed week', [{ state: 'missed' }])
    await seriesWith('Welcome drip 2', [{ state: 'failed' }], 'drip')
    before = t.smtp.messages.length
    await notifyProblems(deps)
    mail = (await t.smtp.waitForMessages(before + 2)).slice(before)[0]!.parsed
    expect(mail.subject).toMatch(/^Trickle: 1 post and 1 drip email in .+ need your attention$/)
    expect(mail.text).toContain('Missed: Mixed week')
    expect(mail.text).toContain('- Welcome drip 2: 1 failed')
  })

  it('marks problems as told without mail when the email is turned off', async () => {
    expect((await t.browser.submit('/app/settings/notifications', { extraRecipients: '' })).status).toBe(200)
    await seriesWith('Quiet week', [{ state: 'failed' }])
    const before = t.smtp.messages.length
    expect(await notifyProblems(deps)).toEqual({ digests: 0, problems: 0, silenced: 1 })
    expect(await notifyProblems(deps)).toEqual({ digests: 0, problems: 0, silenced: 0 })
    expect(t.smtp.messages.length).toBe(before)
  })
})
