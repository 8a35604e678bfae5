import { eq } from 'drizzle-orm'
import { listDeliveries } from '../../db/queries/deliveries'
import { sequences, seriesTimings } from '../../db/schema'
import { fixedClock } from '../../domain/clock'
import { logInAgain, signUpAs, startTestApp, TestBrowser, type TestApp } from '../app-server'
import { connectTestAccount, createApiToken, workspaceIdOf } from './setup'

/**
 * Approval (docs/decisions/012-series-approval-threads-import.md) over HTTP as browsers and API clients send it: an
 * editor's series is a draft and nothing of it is enqueued; editors cannot approve (403); owners request
 * changes with a comment and approve the whole series once; an editor's edit of an approved series holds
 * its unpublished posts until an owner approves again. Owners' own series are scheduled at once.
 */

const clock = fixedClock(new Date('2026-03-10T12:00:00Z'))
let app: TestApp
let owner: TestBrowser
let editor: TestBrowser
let workspaceId: string
let accountId: string
let ownerToken: string
let editorToken: string

beforeAll(async () => {
  app = await startTestApp({ clock })
  owner = await signUpAs(app, { email: 'owner@approval.test', workspaceName: 'Approvals' })
  const invitation = await owner.submit('/app/settings/invitations', { intent: 'create', role: 'editor' })
  const link = /https?:\/\/[^<"]+(\/invite\/[A-Za-z0-9_-]+)/.exec(await invitation.text())![1]!
  editor = await signUpAs(app, { email: 'editor@approval.test', name: 'Eddie', workspaceName: 'Eddie solo' })
  expect((await editor.submit(link, {})).status).toBe(302)
  ownerToken = await createApiToken(owner)
  editorToken = await createApiToken(editor)
  workspaceId = await workspaceIdOf(app, ownerToken)
  accountId = await connectTestAccount(app, { workspaceId, clock })
})
afterAll(async () => {
  await app?.close()
})

function seriesForm(fields: Record<string, string> = {}): Record<string, string> {
  return {
    name: 'Launch week',
    'post-1': 'Day one',
    'post-2': 'Day two',
    'post-3': 'Day three',
    [`account-${accountId}`]: 'on',
    rule: 'FREQ=WEEKLY;BYDAY=TU,TH;BYHOUR=9;BYMINUTE=0',
    start: '2026-03-17T09:00',
    timezone: 'Europe/Berlin',
    ...fields,
  }
}

async function createAs(browser: TestBrowser, fields: Record<string, string> = {}): Promise<string> {
  const response = await browser.submit('/app/series/new', seriesForm(fields))
  expect(response.status, await response.clone().text()).toBe(302)
  const location = new URL(response.headers.get('location')!, app.url)
  return location.searchParams.get('series') ?? location.pathname.split('/').at(-1)!
}

async function state(seriesId: string) {
  const db = app.services.database.db
  const [timing] = await db.select().from(seriesTimings).where(eq(seriesTimings.sequenceId, seriesId))
  const [sequence] = await db.select().from(sequences).where(eq(sequences.id, seriesId))
  const deliveries = await listDeliveries(db, { workspaceId, sequenceId: seriesId })
  const jobs = await app.services.jobs.agenda.queryJobs({ name: 'publish-delivery' })
  const keys = new Set(jobs.jobs.map((j) => (j.data as { key: string }).key))
  return {
    approval: timing!.approval,
    comment: timing!.approvalComment,
    status: sequence!.status,
    states: deliveries.map((d) => d.state),
    dues: deliveries.map((d) => d.dueAt.toISOString()),
    withJobs: deliveries.filter((d) => keys.has(d.id)).length,
  }
}

const act = (browser: TestBrowser, seriesId: string, fields: Record<string, string>) => browser.submit(`/app/series/${seriesId}`, fields)

describe('series approval', () => {
  beforeEach(() => clock.set(new Date('2026-03-10T12:00:00Z')))

  it("schedules an owner's own series at once", async () => {
    const id = await createAs(owner)
    expect(await state(id)).toMatchObject({ approval: 'approved', status: 'active', states: ['queued', 'queued', 'queued'], withJobs: 3 })
  })

  it("holds an editor's series until an owner approves it; editors get 403 on approve; changes are requested with a comment", async () => {
    const id = await createAs(editor)
    expect(await state(id)).toMatchObject({ approval: 'draft', status: 'paused', states: ['planned', 'planned', 'planned'], withJobs: 0 })
    const draftPage = await (await editor.get(`/app/series/${id}`)).text()
    expect(draftPage).toContain('Submit for approval')
    expect(draftPage).not.toContain('>Approve<')

    // An editor cannot approve, whatever they post.
    const refused = await act(editor, id, { intent: 'approve' })
    expect(refused.status).toBe(403)
    expect(await refused.text()).toContain('Only workspace owners can approve a series; you are an editor.')
    expect((await state(id)).approval).toBe('draft')

    // Resuming the held series is refused too: only approval releases it.
    expect((await act(editor, id, { intent: 'resume', policy: 'shift' })).status).toBe(409)

    expect((await act(editor, id, { intent: 'submit' })).status).toBe(302)
    expect((await state(id)).approval).toBe('pending_approval')
    expect((await act(editor, id, { intent: 'submit' })).status).toBe(409)

    // The owner sees it on the dashboard and under "Needs approval".
    expect(await (await owner.get('/app')).text()).toContain('1 series needs approval')
    const pending = await (await owner.get('/app/series?approval=pending')).text()
    expect(pending).toContain('Launch week')
    expect(pending).toContain('Needs approval (1)')

    // Request changes: a comment is required.
    const noComment = await act(owner, id, { intent: 'request-changes', comment: '  ' })
    expect(noComment.status).toBe(400)
    expect(await noComment.text()).toContain('Comment: say what should change')
    expect((await act(owner, id, { intent: 'request-changes', comment: 'Add the launch link to day one' })).status).toBe(302)
    expect(await state(id)).toMatchObject({ approval: 'changes_requested', comment: 'Add the launch link to day one', withJobs: 0 })
    expect(await (await editor.get(`/app/series/${id}`)).text()).toContain('Add the launch link to day one')

    // The editor fixes it and submits again; the owner approves the whole series once.
    expect((await editor.submit(`/app/series/${id}`, seriesForm({ 'post-1': 'Day one: https://example.com/launch' }))).status).toBe(302)
    expect((await state(id)).approval).toBe('changes_requested')
    expect((await act(editor, id, { intent: 'submit' })).status).toBe(302)
    expect((await act(owner, id, { intent: 'approve' })).status).toBe(302)
    expect(await state(id)).toMatchObject({
      approval: 'approved',
      comment: null,
      status: 'active',
      states: ['queued', 'queued', 'queued'],
      dues: ['2026-03-17T08:00:00.000Z', '2026-03-19T08:00:00.000Z', '2026-03-24T08:00:00.000Z'],
      withJobs: 3,
    })
    expect((await act(owner, id, { intent: 'approve' })).status).toBe(409)
    expect(await (await owner.get('/app')).text()).not.toContain('needs approval')
  })

  it("sends an approved series back for approval when an editor edits it, holding its unpublished posts; late approval shifts, never bursts", async () => {
    const id = await createAs(owner)
    expect((await state(id)).withJobs).toBe(3)
    expect((await editor.submit(`/app/series/${id}`, seriesForm({ 'post-2': 'Day two, rewritten' }))).status).toBe(302)
    expect(await state(id)).toMatchObject({ approval: 'pending_approval', status: 'paused', states: ['queued', 'queued', 'queued'], withJobs: 0 })

    // An owner's edit keeps the approval state as it is (the owner approves explicitly).
    expect((await owner.submit(`/app/series/${id}`, seriesForm({ 'post-2': 'Day two, rewritten again' }))).status).toBe(302)
    expect((await state(id)).approval).toBe('pending_approval')

    // Approved after the first date passed: post 1 takes the next date instead of bursting out.
    clock.set(new Date('2026-03-18T12:00:00Z'))
    await logInAgain(owner, 'owner@approval.test') // eight days idle: the session ended
    expect((await act(owner, id, { intent: 'approve' })).status).toBe(302)
    const after = await state(id)
    expect(after).toMatchObject({ approval: 'approved', status: 'active', states: ['queued', 'queued', 'queued'], withJobs: 3 })
    expect(after.dues).toEqual(['2026-03-19T08:00:00.000Z', '2026-03-24T08:00:00.000Z', '2026-03-26T08:00:00.000Z'])
  })

  it('offers the same flow through the API: editors create drafts and get 403 on approve, owners approve', async () => {
    const headers = (token: string) => ({ Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' })
    const body = { name: 'API draft', posts: ['a', 'b'], accountIds: [accountId], rule: 'FREQ=WEEKLY;BYDAY=TU,TH;BYHOUR=9;BYMINUTE=0', start: '2026-03-17T09:00', timezone: 'Europe/Berlin' }
    const created = await fetch(`${app.url}/api/v1/series`, { method: 'POST', headers: headers(editorToken), body: JSON.stringify(body) })
    expect(created.status).toBe(201)
    const series = await created.json()
    expect(series.approval).toBe('draft')
    expect((await state(series.id)).withJobs).toBe(0)

    const post = (token: string, what: string, payload?: unknown) =>
      fetch(`${app.url}/api/v1/series/${series.id}/${what}`, { method: 'POST', headers: headers(token), body: payload ? JSON.stringify(payload) : undefined })
    expect((await post(editorToken, 'submit')).status).toBe(200)
    const forbidden = await post(editorToken, 'approve')
    expect(forbidden.status).toBe(403)
    expect((await forbidden.json()).error).toMatchObject({ code: 'forbidden', field: 'role' })
    const noComment = await post(ownerToken, 'request-changes', {})
    expect(noComment.status).toBe(400)
    expect((await noComment.json()).error.field).toBe('comment')
    const approved = await post(ownerToken, 'approve')
    expect(approved.status).toBe(200)
    expect((await approved.json()).approval).toBe('approved')
    expect((await state(series.id)).withJobs).toBe(2)

    const spec = await (await fetch(`${app.url}/api/v1/openapi.json`)).json()
    expect(Object.keys(spec.paths)).toEqual(expect.arrayContaining(['/series/{seriesId}/submit', '/series/{seriesId}/approve', '/series/{seriesId}/request-changes']))
  })
})
