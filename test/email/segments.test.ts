import { eq, sql } from 'drizzle-orm'
import { insertContact, insertContactRows } from '../../db/queries/contacts'
import { insertContactEvent } from '../../db/queries/events'
import { dripSegmentMembers } from '../../db/schema'
import { runDripTriggers } from '../../core/drips/triggers.server'
import { signUpAs } from '../app-server'
import { startEmailApp, type EmailTestApp } from './setup'
import { fuzzPayloads } from '../fuzz'

/**
 * Segments through the built app: the API (CRUD, preview, 404 across workspaces, 400 naming the field,
 * 409 while a drip uses one, fuzzed payloads) and the editor page. The preview counts exactly the
 * contacts the drip runner's segment trigger treats as members.
 */
let t: EmailTestApp
beforeAll(async () => {
  t = await startEmailApp({ worker: false })
  const db = t.app.services.database.db
  const at = t.clock.now()
  // More contacts than one batch of the walk (1000), a third of them tagged `vip`.
  await insertContactRows(db, {
    workspaceId: t.workspaceId,
    at,
    rows: Array.from({ length: 1200 }, (_, i) => ({ email: `bulk${i}@example.com`, name: null, timezone: null, tags: i % 3 === 0 ? ['vip'] : [], fields: {} })),
  })
  const pro = await insertContact(db, { workspaceId: t.workspaceId, email: 'pro-opened@example.com', name: 'Pat Pro', fields: { plan: 'pro' }, at })
  const idle = await insertContact(db, { workspaceId: t.workspaceId, email: 'pro-idle@example.com', fields: { plan: 'pro' }, at })
  await insertContact(db, { workspaceId: t.workspaceId, email: 'vip-gone@example.com', tags: ['vip'], status: 'unsubscribed', at })
  await insertContactEvent(db, { workspaceId: t.workspaceId, contactId: pro.id, type: 'opened', occurredAt: new Date(at.getTime() - 5 * 86_400_000) })
  await insertContactEvent(db, { workspaceId: t.workspaceId, contactId: idle.id, type: 'opened', occurredAt: new Date(at.getTime() - 90 * 86_400_000) })
}, 120_000)
afterAll(async () => {
  await t?.close()
})

const db = () => t.app.services.database.db
const vipOrActivePro = {
  match: 'any',
  conditions: [
    { kind: 'tag', tag: 'vip', has: true },
    {
      match: 'all',
      conditions: [
        { kind: 'field', field: 'plan', op: 'eq', value: 'pro' },
        { kind: 'activity', activity: 'opened', withinDays: 30 },
      ],
    },
  ],
}
const step = { subject: 'Hello', markdown: 'Hi there' }

/** A user who accepted a viewer invitation to the test workspace, signed in. */
async function joinAsViewer(email: string) {
  const invitation = await t.browser.submit('/app/settings/invitations', { intent: 'create', role: 'viewer' })
  const link = /https?:\/\/[^<"]+(\/invite\/[A-Za-z0-9_-]+)/.exec(await invitation.text())![1]!
  const viewer = await signUpAs(t.app, { email })
  expect((await viewer.submit(link, {})).status).toBe(302)
  return viewer
}

async function tokenFor(email: string): Promise<string> {
  const browser = await signUpAs(t.app, { email })
  const page = await browser.submit('/app/settings/tokens', { intent: 'create', name: 'other' })
  return /trk_[A-Za-z0-9_-]+/.exec(await page.text())![0]
}

describe('segments API', () => {
  it('creates, reads, lists with member counts, renames, changes the rule and deletes', async () => {
    const created = await t.api('POST', '/api/v1/segments', { name: '  VIPs  ', rule: { match: 'all', conditions: [{ kind: 'tag', tag: 'vip', has: true }] } })
    expect(created.status).toBe(201)
    const seg = await created.json()
    // 400 of the 1200 bulk contacts, and the unsubscribed one (counts are of any status).
    expect(seg).toMatchObject({ name: 'VIPs', memberCount: 401, usedBy: [] })
    expect((await (await t.api('GET', `/api/v1/segments/${seg.id}`)).json()).rule).toEqual({ match: 'all', conditions: [{ kind: 'tag', tag: 'vip', has: true }] })
    const list = await (await t.api('GET', '/api/v1/segments')).json()
    expect(list.segments).toContainEqual(expect.objectContaining({ id: seg.id, memberCount: 401 }))

    const renamed = await t.api('PATCH', `/api/v1/segments/${seg.id}`, { name: 'Top customers' })
    expect(renamed.status).toBe(200)
    expect(await renamed.json()).toMatchObject({ name: 'Top customers', memberCount: 401 })
    const ruled = await (await t.api('PATCH', `/api/v1/segments/${seg.id}`, { rule: { match: 'all', conditions: [{ kind: 'field', field: 'plan', op: 'eq', value: 'PRO' }] } })).json()
    expect(ruled).toMatchObject({ name: 'Top customers', memberCount: 2 })

    expect((await t.api('DELETE', `/api/v1/segments/${seg.id}`)).status).toBe(204)
    expect((await t.api('GET', `/api/v1/segments/${seg.id}`)).status).toBe(404)
    expect((await t.api('DELETE', `/api/v1/segments/${seg.id}`)).status).toBe(404)
    expect((await t.api('GET', '/api/v1/segments/not-a-uuid')).status).toBe(404)
  })

  it('previews an unsaved rule: the count is the members the drip runner’s segment trigger sees, plus a sample of 10', async () => {
    const preview = await t.api('POST', '/api/v1/segments/preview', { rule: vipOrActivePro })
    expect(preview.status).toBe(200)
    const body = await preview.json()
    expect(body.count).toBe(402) // 400 bulk vips + the unsubscribed vip + the pro who opened within 30 days
    expect(body.sample).toHaveLength(10)
    expect(Object.keys(body.sample[0]).sort()).toEqual(['email', 'id', 'name', 'status'])
    expect(body.sample[0]).toMatchObject({ email: expect.stringMatching(/@example\.com$/), status: expect.any(String) })

    // The drip runner's view: a segment-triggered drip records every member it finds.
    const seg = await (await t.api('POST', '/api/v1/segments', { name: 'VIP or active pro', rule: vipOrActivePro })).json()
    expect(seg.memberCount).toBe(402)
    const drip = await (await t.api('POST', '/api/v1/drips', { name: 'VIP welcome', trigger: { kind: 'segment', segmentId: seg.id }, steps: [step] })).json()
    expect((await t.api('POST', `/api/v1/drips/${drip.id}/activate`)).status).toBe(200)
    await runDripTriggers({ db: db(), clock: t.clock })
    const members = await db().select({ contactId: dripSegmentMembers.contactId }).from(dripSegmentMembers).where(eq(dripSegmentMembers.sequenceId, drip.id))
    expect(members).toHaveLength(body.count)
    expect(new Set(members.map((m) => m.contactId))).toEqual(expect.objectContaining({ size: 402 }))
    for (const s of body.sample) expect(members.map((m) => m.contactId)).toContain(s.id)

    // Now in use as the trigger: the list says so, and deleting is refused naming the drip.
    const list = await (await t.api('GET', '/api/v1/segments')).json()
    expect(list.segments.find((s: { id: string }) => s.id === seg.id).usedBy).toEqual([{ id: drip.id, name: 'VIP welcome', as: 'trigger' }])
    const refused = await t.api('DELETE', `/api/v1/segments/${seg.id}`)
    expect(refused.status).toBe(409)
    const error = (await refused.json()).error
    expect(error).toMatchObject({ code: 'conflict' })
    expect(error.message).toContain('VIP welcome')
    expect((await t.api('GET', `/api/v1/segments/${seg.id}`)).status).toBe(200)
  })

  it('refuses to delete a segment a step condition uses (409 naming the drip)', async () => {
    const seg = await (await t.api('POST', '/api/v1/segments', { name: 'Pros', rule: { match: 'all', conditions: [{ kind: 'field', field: 'plan', op: 'eq', value: 'pro' }] } })).json()
    const drip = await (
      await t.api('POST', '/api/v1/drips', { name: 'Upsell', steps: [step, { ...step, delay: 'P1D', condition: { kind: 'segment', segmentId: seg.id }, onFalse: 'exit' }] })
    ).json()
    expect(drip.id).toBeDefined()
    const refused = await t.api('DELETE', `/api/v1/segments/${seg.id}`)
    expect(refused.status).toBe(409)
    expect((await refused.json()).error.message).toContain('Upsell')
    expect((await t.api('DELETE', `/api/v1/drips/${drip.id}`)).status).toBe(204)
    expect((await t.api('DELETE', `/api/v1/segments/${seg.id}`)).status).toBe(204)
  })

  it('another workspace’s segment is a 404 for every method, and its preview sees only its own contacts', async () => {
    const seg = await (await t.api('POST', '/api/v1/segments', { name: 'Mine', rule: { match: 'all', conditions: [] } })).json()
    const other = await tokenFor('other-owner@brand.test')
    for (const [method, body] of [['GET'], ['PATCH', { name: 'Theirs' }], ['DELETE']] as const) {
      const r = await t.api(method, `/api/v1/segments/${seg.id}`, body, { token: other })
      expect(r.status, method).toBe(404)
    }
    expect((await (await t.api('GET', '/api/v1/segments', undefined, { token: other })).json()).segments).toEqual([])
    expect(await (await t.api('POST', '/api/v1/segments/preview', { rule: { match: 'all', conditions: [] } }, { token: other })).json()).toEqual({ count: 0, sample: [] })
    expect((await (await t.api('GET', `/api/v1/segments/${seg.id}`)).json()).name).toBe('Mine')
    // A drip of the other workspace cannot name it either.
    const drip = await t.api('POST', '/api/v1/drips', { name: 'x', trigger: { kind: 'segment', segmentId: seg.id }, steps: [step] }, { token: other })
    expect(drip.status).toBe(400)
  })

  it('a viewer reads and previews, an editor is needed to write (403)', async () => {
    const viewer = await joinAsViewer('viewer@brand.test')
    const token = /trk_[A-Za-z0-9_-]+/.exec(await (await viewer.submit('/app/settings/tokens', { intent: 'create', name: 'viewer' })).text())![0]
    expect((await (await t.api('GET', '/api/v1/me', undefined, { token })).json()).workspace.id).toBe(t.workspaceId)
    const seg = await (await t.api('POST', '/api/v1/segments', { name: 'Viewer check', rule: { match: 'all', conditions: [] } })).json()
    expect((await t.api('GET', '/api/v1/segments', undefined, { token })).status).toBe(200)
    expect((await t.api('GET', `/api/v1/segments/${seg.id}`, undefined, { token })).status).toBe(200)
    expect((await t.api('POST', '/api/v1/segments/preview', { rule: { match: 'any', conditions: [] } }, { token })).status).toBe(200)
    expect((await t.api('POST', '/api/v1/segments', { name: 'x', rule: { match: 'all', conditions: [] } }, { token })).status).toBe(403)
    expect((await t.api('PATCH', `/api/v1/segments/${seg.id}`, { name: 'x' }, { token })).status).toBe(403)
    expect((await t.api('DELETE', `/api/v1/segments/${seg.id}`, undefined, { token })).status).toBe(403)
    expect((await t.api('DELETE', `/api/v1/segments/${seg.id}`)).status).toBe(204)
  })

  it('names the bad field of a rule (400), inside nested rules too', async () => {
    const cases: Array<[unknown, string]> = [
      [{ name: 'x', rule: { match: 'all', conditions: [{ kind: 'score', op: 'eqq', value: 1 }] } }, 'rule.conditions.0.op'],
      [{ name: 'x', rule: { match: 'all', conditions: [{ kind: 'tag', tag: 'a', has: true }, { kind: 'mood' }] } }, 'rule.conditions.1.kind'],
      [{ name: 'x', rule: { match: 'any', conditions: [{ match: 'all', conditions: [{ kind: 'field', field: 'plan', op: 'nope' }] }] } }, 'rule.conditions.0.conditions.0.op'],
      [{ name: 'x', rule: { match: 'some', conditions: [] } }, 'rule.match'],
      [{ name: 'x', rule: { match: 'all', conditions: [{ match: 'both', conditions: [] }] } }, 'rule.conditions.0.match'],
      [{ name: '   ', rule: { match: 'all', conditions: [] } }, 'name'],
      [{ name: 'x' }, 'rule'],
      [{ name: 'x', rule: { match: 'all', conditions: [] }, colour: 'red' }, 'colour'],
    ]
    for (const [body, field] of cases) {
      const r = await t.api('POST', '/api/v1/segments', body)
      expect(r.status, JSON.stringify(body)).toBe(400)
      const error = (await r.json()).error
      expect(error.field, JSON.stringify(body)).toBe(field)
      expect(error.message).toContain(field)
    }
    const preview = await t.api('POST', '/api/v1/segments/preview', { rule: { match: 'all', conditions: [{ kind: 'score', op: 'eqq', value: 1 }] } })
    expect(preview.status).toBe(400)
    expect((await preview.json()).error.field).toBe('rule.conditions.0.op')
  })

  it('fuzzed payloads never produce a 500 or a partial write', async () => {
    const count = async () =>
      ((await db().execute(sql`SELECT count(*)::int AS n, coalesce(string_agg(name || rule::text, '|' ORDER BY id), '') AS s FROM segments`)) as unknown as Array<{ n: number; s: string }>)[0]!
    const seg = await (await t.api('POST', '/api/v1/segments', { name: 'Fuzz target', rule: vipOrActivePro })).json()
    const values: unknown[] = [null, 0, -1, 1e308, 'x', '', '\u0000', '\ud800', 'a'.repeat(5000), [], {}, true, 'all', 'any', 'eq', 'exists', 'tag', 'field', 'activity', { match: 'all', conditions: [] }, Array.from({ length: 60 }, () => ({ kind: 'tag', tag: 'a', has: true }))]
    const { rnd, mutate } = fuzzPayloads({ seed: 17, values, maxDepth: 4, replaceChance: 0.25 })
    const base = { name: 'Fuzzed', rule: vipOrActivePro }
    for (let i = 0; i < 80; i++) {
      const before = await count()
      const body = rnd() < 0.1 ? '{"rule":' : mutate(base)
      const created = await t.api('POST', '/api/v1/segments', body)
      expect(created.status, JSON.stringify(body)).not.toBe(500)
      if (created.status !== 201) {
        expect(created.status).toBeGreaterThanOrEqual(400)
        expect(created.status).toBeLessThan(500)
        expect(await count()).toEqual(before)
      } else await t.api('DELETE', `/api/v1/segments/${(await created.json()).id}`)
      const before2 = await count()
      const patched = await t.api('PATCH', `/api/v1/segments/${seg.id}`, body)
      expect(patched.status, JSON.stringify(body)).not.toBe(500)
      if (patched.status !== 200) expect(await count()).toEqual(before2)
      else await t.api('PATCH', `/api/v1/segments/${seg.id}`, { name: 'Fuzz target', rule: vipOrActivePro })
      const preview = await t.api('POST', '/api/v1/segments/preview', body && typeof body === 'object' && !Array.isArray(body) ? { rule: (body as { rule?: unknown }).rule } : body)
      expect(preview.status, JSON.stringify(body)).not.toBe(500)
    }
  }, 120_000)
})

describe('segments page', () => {
  const editorFields = (name: string) => ({
    intent: 'save',
    name,
    match: 'any',
    conditionCount: '2',
    'conditions.0.kind': 'tag',
    'conditions.0.has': 'yes',
    'conditions.0.tag': 'vip',
    'conditions.1.kind': 'field',
    'conditions.1.field': 'plan',
    'conditions.1.op': 'eq',
    'conditions.1.value': 'pro',
  })

  it('the editor’s live count comes from the preview route, with a sample', async () => {
    const r = await t.browser.submit('/app/contacts/segments/new', { ...editorFields(''), intent: '' }, { action: '/app/contacts/segments/preview' })
    expect(r.status).toBe(200)
    const body = await r.json()
    expect(body).toMatchObject({ ok: true, count: 403 }) // 401 vips + the two pros
    expect(body.sample).toHaveLength(10)
    const bad = await t.browser.submit('/app/contacts/segments/new', { ...editorFields(''), 'conditions.1.op': 'nope' }, { action: '/app/contacts/segments/preview' })
    expect(bad.status).toBe(400)
    expect(await bad.json()).toMatchObject({ ok: false, field: 'conditions.1.op' })
    // The CSRF token is checked there too.
    expect((await t.browser.post('/app/contacts/segments/preview', editorFields(''))).status).toBe(403)
  })

  it('saves a segment from the editor form, shows it in the list with its count, edits it and refuses a bad field under the field', async () => {
    const refused = await t.browser.submit('/app/contacts/segments/new', { ...editorFields('Page VIPs'), 'conditions.1.kind': 'score', 'conditions.1.op': 'gte', 'conditions.1.value': 'lots' })
    expect(refused.status).toBe(400)
    const html = await refused.text()
    expect(html).toContain('expected number')
    expect(html).toContain('value="Page VIPs"') // what was typed stays

    const saved = await t.browser.submit('/app/contacts/segments/new', editorFields('Page VIPs'))
    expect(saved.status).toBe(302)
    expect(saved.headers.get('location')).toBe('/app/contacts/segments')
    const list = await (await t.browser.get('/app/contacts/segments')).text()
    expect(list).toContain('Page VIPs')
    const [seg] = (await (await t.api('GET', '/api/v1/segments')).json()).segments.filter((s: { name: string }) => s.name === 'Page VIPs')
    expect(seg).toMatchObject({ memberCount: 403, rule: { match: 'any', conditions: [{ kind: 'tag', tag: 'vip', has: true }, { kind: 'field', field: 'plan', op: 'eq', value: 'pro' }] } })
    expect(list).toContain(`/app/contacts/segments/${seg.id}`)
    expect(list).toMatch(/>403</)

    const editor = await (await t.browser.get(`/app/contacts/segments/${seg.id}`)).text()
    expect(editor).toContain('<legend')
    expect(editor).toContain('Remove condition 2')
    const edited = await t.browser.submit(`/app/contacts/segments/${seg.id}`, {
      ...editorFields('Page VIPs, subscribed'),
      match: 'all',
      conditionCount: '2',
      'conditions.1.kind': 'status',
      'conditions.1.status': 'subscribed',
    })
    expect(edited.status).toBe(302)
    expect(await (await t.api('GET', `/api/v1/segments/${seg.id}`)).json()).toMatchObject({ name: 'Page VIPs, subscribed', memberCount: 400 })
    expect((await t.browser.get('/app/contacts')).status).toBe(200)
    expect(await (await t.browser.get('/app/contacts')).text()).toContain('href="/app/contacts/segments"')
    expect((await t.browser.get('/app/contacts/segments/00000000-0000-4000-8000-000000000000')).status).toBe(404)

    const deleted = await t.browser.submit(`/app/contacts/segments/${seg.id}`, { intent: 'delete' })
    expect(deleted.status).toBe(302)
    expect((await t.api('GET', `/api/v1/segments/${seg.id}`)).status).toBe(404)
  })

  it('a viewer sees the rule read-only with who matches now; an editor gets the editor', async () => {
    const seg = await (await t.api('POST', '/api/v1/segments', { name: 'Read-only VIPs', rule: { match: 'any', conditions: [{ kind: 'tag', tag: 'vip', has: true }] } })).json()
    const viewer = await joinAsViewer('viewer-page@brand.test')
    const page = await viewer.get(`/app/contacts/segments/${seg.id}`)
    expect(page.status).toBe(200)
    const html = await page.text()
    expect(html).toContain('Contacts in this segment match any of the conditions')
    expect(html).toMatch(/<fieldset[^>]*disabled/)
    expect(html).toContain('value="vip"')
    expect(html).toMatch(/Matches 401 contacts(<!-- -->)?: bulk\d+@example\.com/) // the count and a sample
    expect(html).toContain('aria-label="Sample of matching contacts"')
    expect(html).toContain('changing segments needs the editor role')
    for (const control of ['Save segment', 'Delete segment', 'Remove condition 1', 'Add condition']) expect(html).not.toContain(control)
    expect(await (await viewer.get('/app/contacts/segments')).text()).not.toContain('New segment')
    // Writing still needs the editor role.
    expect((await viewer.submit(`/app/contacts/segments/${seg.id}`, { intent: 'delete' })).status).toBe(403)
    const editor = await (await t.browser.get(`/app/contacts/segments/${seg.id}`)).text()
    expect(editor).toContain('Save segment')
    expect(editor).not.toContain('changing segments needs the editor role')
    expect((await t.api('DELETE', `/api/v1/segments/${seg.id}`)).status).toBe(204)
  })

  it('a segment a drip uses is not deleted from the page: the drip is named', async () => {
    const [seg] = (await (await t.api('GET', '/api/v1/segments')).json()).segments.filter((s: { usedBy: unknown[] }) => s.usedBy.length > 0)
    const refused = await t.browser.submit(`/app/contacts/segments/${seg.id}`, { intent: 'delete' })
    expect(refused.status).toBe(409)
    expect(await refused.text()).toContain('VIP welcome')
    const list = await (await t.browser.get('/app/contacts/segments')).text()
    expect(list).toContain('VIP welcome')
  })
})
